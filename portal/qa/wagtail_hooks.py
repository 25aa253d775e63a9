"""The Q&A in Wagtail's admin: synonyms as snippets, and the editors' two reports."""

from __future__ import annotations

from typing import Any

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.qa.models import EntryFeedback, SearchLog, SynonymGroup
from portal.qa.reports import FailedSearchesView, LeastHelpfulView


class SynonymViewSet(SnippetViewSet):
    model = SynonymGroup
    icon = "list-ul"
    menu_label = "同义词 / Synonyms"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["__str__", "note", "updated_at"]
    search_fields = ["terms", "note"]


register_snippet(SynonymViewSet)


class _PermittedMenuItem(MenuItem):
    def __init__(self, *args: Any, model: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model = model

    def is_shown(self, request: Any) -> bool:
        meta = self.model._meta
        return request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}")


report_urls = [
    path("least-helpful/", LeastHelpfulView.as_view(), name="least_helpful"),
    path("least-helpful/results/", LeastHelpfulView.as_view(results_only=True), name="least_helpful_results"),
    path("failed-searches/", FailedSearchesView.as_view(), name="failed_searches"),
    path("failed-searches/results/", FailedSearchesView.as_view(results_only=True), name="failed_searches_results"),
]


@hooks.register("register_admin_urls")
def register_qa_report_urls() -> list[Any]:
    return [path("qa-reports/", include((report_urls, "qa_reports"), namespace="qa_reports"))]


@hooks.register("register_reports_menu_item")
def register_least_helpful_menu_item() -> MenuItem:
    return _PermittedMenuItem(
        "最没帮助的回答 / Least helpful",
        reverse("qa_reports:least_helpful"),
        name="qa-least-helpful",
        icon_name="help",
        order=100,
        model=EntryFeedback,
    )


@hooks.register("register_reports_menu_item")
def register_failed_searches_menu_item() -> MenuItem:
    return _PermittedMenuItem(
        "没有结果的搜索 / Failed searches",
        reverse("qa_reports:failed_searches"),
        name="qa-failed-searches",
        icon_name="search",
        order=110,
        model=SearchLog,
    )
