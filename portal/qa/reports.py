"""Editors' reports in the CMS: the least helpful answers, and what residents searched for in vain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from portal.qa.models import EntryFeedback, EntryPage, SearchLog

REPORT_DAYS = 90


@dataclass
class EntryVotes:
    pk: int
    question: str
    votes: int
    helpful: int
    not_helpful: int
    comments: str

    @property
    def helpful_share(self) -> str:
        return f"{round(100 * self.helpful / self.votes)}%" if self.votes else "-"


def least_helpful_entries(*, since: dt.datetime | None = None, limit: int = 200) -> list[EntryVotes]:
    since = since or timezone.now() - dt.timedelta(days=REPORT_DAYS)
    rows = (
        EntryFeedback.objects.filter(created_at__gte=since)
        .values("entry_id")
        .annotate(votes=Count("pk"), helpful=Count("pk", filter=Q(helpful=True)))
        .order_by("entry_id")
    )
    stats = {row["entry_id"]: row for row in rows}
    questions = dict(EntryPage.objects.filter(pk__in=stats).values_list("pk", "title"))
    comments: dict[int, list[str]] = {}
    for entry_id, comment in (
        EntryFeedback.objects.filter(entry_id__in=stats, helpful=False, created_at__gte=since)
        .exclude(comment="")
        .order_by("-created_at")
        .values_list("entry_id", "comment")
    ):
        if len(comments.setdefault(entry_id, [])) < 3:
            comments[entry_id].append(comment)
    result = [
        EntryVotes(
            pk=entry_id,
            question=questions.get(entry_id, "?"),
            votes=row["votes"],
            helpful=row["helpful"],
            not_helpful=row["votes"] - row["helpful"],
            comments=" / ".join(comments.get(entry_id, [])),
        )
        for entry_id, row in stats.items()
    ]
    result.sort(key=lambda r: (r.helpful / r.votes, -r.votes, r.pk))
    return result[:limit]


@dataclass
class FailedSearch:
    query: str
    times: int
    last_seen: dt.datetime


def searches_without_results(*, since: dt.datetime | None = None, limit: int = 200) -> list[FailedSearch]:
    since = since or timezone.now() - dt.timedelta(days=REPORT_DAYS)
    rows = (
        SearchLog.objects.filter(results=0, created_at__gte=since)
        .values("query")
        .annotate(times=Count("pk"), last_seen=Max("created_at"))
        .order_by("-times", "-last_seen")[:limit]
    )
    return [FailedSearch(query=row["query"], times=row["times"], last_seen=row["last_seen"]) for row in rows]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A cell that a spreadsheet would run as a formula (=HYPERLINK(...) typed into a search or a comment)
    is written as text: a leading apostrophe, as OWASP advises for CSV injection."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvReport(ReportView):
    """Wagtail's report, with CSV cells that never start a formula (its Excel export already stores text)."""

    def write_csv_row(self, writer: Any, row_dict: dict[str, Any]) -> Any:
        return super().write_csv_row(writer, {field: csv_safe(value) for field, value in row_dict.items()})


class LeastHelpfulView(SafeCsvReport):
    page_title = "最没帮助的回答 / Least helpful answers"
    header_icon = "help"
    index_url_name = "qa_reports:least_helpful"
    index_results_url_name = "qa_reports:least_helpful_results"
    permission_policy = ModelPermissionPolicy(EntryFeedback)
    permission_required = "view"
    columns = [
        TitleColumn(
            "question",
            label="问题 / question",
            url_name="wagtailadmin_pages:edit",
            id_accessor="pk",
        ),
        Column("votes", label="投票 / votes"),
        Column("helpful_share", label="有帮助 / helpful"),
        Column("not_helpful", label="没帮助 / not helpful"),
        Column("comments", label="最近意见 / latest comments"),
    ]
    list_export = ["question", "votes", "helpful", "not_helpful", "comments"]

    def get_queryset(self) -> Any:
        return least_helpful_entries()


class FailedSearchesView(SafeCsvReport):
    page_title = "没有结果的搜索 / Searches that found nothing"
    header_icon = "search"
    index_url_name = "qa_reports:failed_searches"
    index_results_url_name = "qa_reports:failed_searches_results"
    permission_policy = ModelPermissionPolicy(SearchLog)
    permission_required = "view"
    columns = [
        Column("query", label="搜索词 / query"),
        Column("times", label="次数 / times"),
        Column("last_seen", label="最近 / last seen"),
    ]
    list_export = ["query", "times", "last_seen"]

    def get_queryset(self) -> Any:
        return searches_without_results()
