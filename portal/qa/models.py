"""Policy Q&A: the page tree editors work on, the synonyms they manage, and what residents leave behind.

The page tree is ``QAIndexPage`` > ``TopicPage`` (one per topic) > ``EntryPage`` (one question and its
answer). Wagtail gives drafts, the editor -> reviewer workflow, scheduled publishing (``go_live_at``)
and expiry (``expire_at``), revisions with compare and roll-back, and preview.

``effective_from``/``effective_to`` are the dates the *policy* is in force, which is not the same
thing as when the page is published: an answer about rules starting next month can be published
today and says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page

ANSWER_FEATURES = ["h3", "bold", "italic", "ol", "ul", "link"]


class QAIndexPage(Page):
    """The root of the Q&A: lists the topics and offers search."""

    intro = models.TextField("简介 / introduction", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["qa.TopicPage"]
    max_count = 1

    class Meta:
        verbose_name = "问答首页 / Q&A home"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from portal.qa.region_pages import region_context
        from portal.qa.selectors import topics_with_counts

        context = super().get_context(request, *args, **kwargs)
        context.update(region_context(request))
        context["topics"] = topics_with_counts(region=context["region"])
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _serve_remembering(super().serve(request, *args, **kwargs), request)


class TopicPage(Page):
    """A topic: residents' outpatient, employees' outpatient, family sharing, ..."""

    code = models.SlugField("代码 / code", max_length=40, unique=True)
    name_en = models.CharField("英文名称 / English name", max_length=100)
    summary = models.TextField("说明 / summary", blank=True)
    position = models.PositiveSmallIntegerField("排序 / position", default=0)

    content_panels = [*Page.content_panels, FieldPanel("code"), FieldPanel("name_en"), FieldPanel("summary")]
    promote_panels = [*Page.promote_panels, FieldPanel("position")]
    parent_page_types = ["qa.QAIndexPage"]
    subpage_types = ["qa.EntryPage"]

    class Meta:
        verbose_name = "问答主题 / Q&A topic"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from portal.qa.region_pages import region_context
        from portal.qa.selectors import topic_entries

        context = super().get_context(request, *args, **kwargs)
        context.update(region_context(request))
        context["entries"], context["other_entries"] = topic_entries(topic=self, region=context["region"])
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _serve_remembering(super().serve(request, *args, **kwargs), request)


class EntryPage(Page):
    """One question (the page title) and its answer."""

    answer = RichTextField("答案 / answer", features=ANSWER_FEATURES)
    regions = ParentalManyToManyField(
        "institutions.Region",
        blank=True,
        verbose_name="适用统筹区 / regions",
        help_text="不选表示适用于所有统筹区 / none selected: every region",
    )
    effective_from = models.DateField("政策生效日期 / policy in force from", null=True, blank=True)
    effective_to = models.DateField("政策失效日期 / policy in force until", null=True, blank=True)
    source = models.CharField("依据文件 / source document", max_length=300)
    source_url = models.URLField("文件链接 / source link", blank=True)

    content_panels = [
        FieldPanel("title", heading="问题 / question"),
        FieldPanel("answer"),
        MultiFieldPanel(
            [
                FieldPanel("regions", widget=forms.CheckboxSelectMultiple),
                FieldPanel("effective_from"),
                FieldPanel("effective_to"),
            ],
            heading="适用范围 / where and when",
        ),
        MultiFieldPanel([FieldPanel("source"), FieldPanel("source_url")], heading="依据 / source"),
        InlinePanel("related_links", label="相关问题 / related questions", max_num=5),
    ]
    parent_page_types = ["qa.TopicPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "问答条目 / Q&A entry"

    @property
    def question(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError(
                {"effective_to": "失效日期不能早于生效日期 / the end date cannot be before the start date"}
            )

    def in_force(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from portal.errors import Bilingual
        from portal.qa import region_pages
        from portal.qa.entry_cache import detail_of_page

        context = super().get_context(request, *args, **kwargs)
        detail = detail_of_page(self, preview=bool(getattr(request, "is_preview", False)))
        context["detail"] = detail
        context["region_names"] = [name for _, name in detail.regions]
        context["not_yet_in_force"] = bool(self.effective_from and self.effective_from > timezone.localdate())
        context.update(
            region_pages.region_context(request, keep={"back": region_pages.safe_back(request.GET.get("back"))})
        )
        context["applicability"] = region_pages.applicability(
            regions=detail.regions, choice=context["region_choice"], answer_html=str(detail.answer_html)
        )
        topic_url = self.url[: self.url.rstrip("/").rfind("/") + 1] if self.url else None
        topic_name = Bilingual(detail.topic.title, detail.topic.name_en).localized() if detail.topic else ""
        context.update(
            region_pages.back_link(request, topic_url=topic_url if detail.topic else None, topic_name=topic_name)
        )
        context["related"] = [
            {"title": item.title, "url": region_pages.with_back(item.url, context["back"])}
            for item in detail.related
            if item.url
        ]
        context["feedback_result"] = region_pages.feedback_outcome(request, entry_id=self.pk)
        context["feedback_result_id"] = region_pages.FEEDBACK_RESULT_ID
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from portal.qa.region_pages import forget_feedback

        return forget_feedback(request, _serve_remembering(super().serve(request, *args, **kwargs), request))


class RelatedEntry(Orderable):
    """A related question shown under an answer, in the order the editor chose."""

    source = ParentalKey(EntryPage, on_delete=models.CASCADE, related_name="related_links")
    entry = models.ForeignKey(EntryPage, on_delete=models.CASCADE, related_name="+", verbose_name="问题 / question")

    panels = [FieldPanel("entry")]

    class Meta(Orderable.Meta):
        verbose_name = "相关问题 / related question"


class SynonymGroup(models.Model):
    """Words residents use for the same thing (异地备案 = 异地就医备案). Editors manage these in the CMS.

    A search for any term in a group finds entries that use any other term of it.
    """

    terms = models.TextField(
        "同义词 / terms",
        help_text="每行一个词，或用逗号分隔；至少两个词，每个词至少两个字 / one term per line or comma-separated; "
        "at least two terms of at least two characters",
    )
    note = models.CharField("备注 / note", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [FieldPanel("terms"), FieldPanel("note")]

    class Meta:
        verbose_name = "同义词组 / synonym group"
        verbose_name_plural = "同义词 / synonyms"

    def __str__(self) -> str:
        return " = ".join(self.term_list())

    def term_list(self) -> list[str]:
        from portal.qa.text import parse_terms

        return parse_terms(self.terms)

    def clean(self) -> None:
        terms = self.term_list()
        if len(terms) < 2:
            raise ValidationError({"terms": "至少需要两个词 / at least two terms are needed"})
        short = [term for term in terms if len(term) < 2]
        if short:
            raise ValidationError(
                {"terms": f"单字词会匹配太多内容：{'、'.join(short)} / single characters match too much"}
            )


class SearchDocument(models.Model):
    """What search knows of one published entry: its words as jieba cut them, one row per entry.

    Written by ``services.index_entries`` only, each time the entry is published; removed when it is
    unpublished. The three text columns hold space-separated tokens in the order of the text: the
    question's words and synonym-group tokens (``~12``), the answer's, and the question's characters
    (``#查``). Each engine indexes them with what it already has (migration 0003):

    - PostgreSQL: a generated ``vector`` column (tsvector; question words weight A, answer words B,
      characters C, positions in text order) with a GIN index. Not a model field: only SQL reads it.
    - SQLite: an FTS5 table ``qa_searchdocument_fts`` over the three columns, kept in step by triggers.
      A later migration that rebuilds this table on SQLite must create the triggers again.
    """

    entry = models.OneToOneField(EntryPage, on_delete=models.CASCADE, primary_key=True, related_name="+")
    question_terms = models.TextField()
    answer_terms = models.TextField()
    question_chars = models.TextField()
    indexed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"search document {self.entry_id}"


class EntryFeedback(models.Model):
    """Was this helpful? One vote per entry, person or device and day; a second vote that day replaces it."""

    entry = models.ForeignKey(EntryPage, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    comment = models.CharField(max_length=500, blank=True)
    client = models.CharField(max_length=64, help_text="keyed hash of the person or device, never the raw address")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "问答反馈 / Q&A feedback"
        constraints = [models.UniqueConstraint(fields=["entry", "client", "day"], name="qa_feedback_once_a_day")]
        indexes = [models.Index(fields=["entry", "helpful"], name="qa_feedback_entry")]

    def __str__(self) -> str:
        return f"{'+' if self.helpful else '-'} {self.entry_id} {self.day}"


class SearchLog(models.Model):
    """What residents searched for and how many answers they got (for the editors' report)."""

    query = models.CharField(max_length=100)
    region = models.ForeignKey("institutions.Region", null=True, blank=True, on_delete=models.SET_NULL)
    results = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "问答搜索记录 / Q&A search"
        indexes = [models.Index(fields=["results", "created_at"], name="qa_searchlog_results")]

    def __str__(self) -> str:
        return f"{self.query} ({self.results})"


def _serve_remembering(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    from portal.qa.region_pages import remember_region

    return remember_region(request, response)
