"""Writes for the Q&A: the search index, feedback, search logs, the CMS set-up and the demo content."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from portal import ratelimit
from portal.errors import DomainError, define
from portal.institutions.models import Region
from portal.qa.engines import engine, forget_counts
from portal.qa.models import (
    EntryFeedback,
    EntryPage,
    QAIndexPage,
    RelatedEntry,
    SearchDocument,
    SearchLog,
    SynonymGroup,
    TopicPage,
)
from portal.qa.selectors import RegionalResult, SearchResult, regional_search, search_entries
from portal.qa.text import Synonyms, current_synonyms, document_terms

QA_ENTRY_NOT_FOUND = define("qa_entry_not_found", 404, "没有找到这条问答", "This Q&A entry was not found")
QA_FEEDBACK_TOO_MANY = define(
    "qa_feedback_too_many",
    429,
    "反馈太频繁了，请一小时后再试",
    "Too much feedback from here; please try again in an hour",
)

EDITORS, REVIEWERS = "cms_editors", "cms_reviewers"
TOPICS = [
    ("residents-outpatient", "居民普通门诊", "Residents' outpatient care"),
    ("employees-outpatient", "职工门诊统筹", "Employees' outpatient pooling"),
    ("family-sharing", "家庭共济", "Family account sharing"),
    ("offsite-care", "异地就医", "Off-site medical care"),
    ("e-voucher", "医保电子凭证", "Medical-insurance e-voucher"),
    ("medical-assistance", "医疗救助", "Medical assistance"),
    ("negotiated-drugs", "谈判药品与双通道", "Negotiated drugs and the dual channel"),
    ("payments", "支付与结算", "Payment and settlement"),
]
WORKFLOW_NAME = "问答审核 / Q&A review"
TASK_NAME = "审核员审核 / reviewer approval"


# --- The search index -------------------------------------------------------------------------


def _document(entry: EntryPage, synonyms: Synonyms) -> SearchDocument:
    terms = document_terms(question=entry.title, answer_html=entry.answer, synonyms=synonyms)
    return SearchDocument(
        entry_id=entry.pk,
        question_terms=terms.question_terms,
        answer_terms=terms.answer_terms,
        question_chars=terms.question_chars,
    )


def index_entries(*, entries: Iterable[EntryPage]) -> int:
    """Replace the search documents of ``entries`` with their published text; returns how many."""
    synonyms = current_synonyms()  # first: it also teaches jieba the synonym terms
    documents = [_document(entry, synonyms) for entry in entries]
    with transaction.atomic():
        SearchDocument.objects.filter(entry_id__in=[document.entry_id for document in documents]).delete()
        SearchDocument.objects.bulk_create(documents, batch_size=500)
    forget_counts()
    return len(documents)


def index_entry(*, entry: EntryPage) -> int:
    return index_entries(entries=[entry])


def unindex_entry(*, entry_id: int) -> None:
    SearchDocument.objects.filter(entry_id=entry_id).delete()
    forget_counts()


def reindex_all(*, progress: Callable[[str], None] | None = None) -> int:
    """Rebuild the whole index (after synonyms change). Returns the number of entries indexed."""
    from portal.qa.text import forget_synonyms

    forget_synonyms()
    live = EntryPage.objects.live().order_by("pk")
    total = live.count()
    SearchDocument.objects.exclude(entry__in=live.values("pk")).delete()
    done = 0
    batch: list[EntryPage] = []
    for entry in live.iterator(chunk_size=500):
        batch.append(entry)
        if len(batch) == 500 or done + len(batch) == total:
            index_entries(entries=batch)
            done += len(batch)
            batch = []
            if progress:
                progress(f"  indexed {done}/{total}")
    if batch:  # entries published while this ran
        index_entries(entries=batch)
        done += len(batch)
    engine().rebuild()
    return done


# --- Residents: search and feedback -----------------------------------------------------------


def search_and_log(*, query: str, region: Region | None, limit: int | None = None) -> SearchResult:
    result = search_entries(query=query, region=region, limit=limit or settings.QA_SEARCH_MAX_RESULTS)
    if result.query:
        SearchLog.objects.create(query=result.query, region=region, results=len(result.hits))
    return result


def regional_search_and_log(*, query: str, region: Region | None, limit: int | None = None) -> RegionalResult:
    """The search of the pages, logged like the API's. When the region has no answer to the question, it
    is logged as found nothing, so that the editors' report of failed searches shows what the region lacks."""
    result = regional_search(query=query, region=region, limit=limit or settings.QA_SEARCH_MAX_RESULTS)
    if result.query:
        SearchLog.objects.create(query=result.query, region=region, results=len(result.hits) if result.answered else 0)
    return result


def _client_hash(client_key: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"qa-client:{client_key}".encode(), hashlib.sha256).hexdigest()[:32]


def feedback_submit(*, entry_id: int, helpful: bool, comment: str, client_key: str) -> tuple[EntryFeedback, bool]:
    """Record "was this helpful". A second vote on the same entry the same day replaces the first.

    Returns the feedback and whether it was new. At most ``QA_FEEDBACK_PER_HOUR`` votes per client.
    """
    entry = EntryPage.objects.live().filter(pk=entry_id).first()
    if entry is None:
        raise DomainError(QA_ENTRY_NOT_FOUND)
    client = _client_hash(client_key)
    now = timezone.now()
    used, left = ratelimit.hit(f"qa-feedback:{client}", period=3600)
    if used > settings.QA_FEEDBACK_PER_HOUR:
        raise DomainError(QA_FEEDBACK_TOO_MANY, details={"retry_after": left})
    return EntryFeedback.objects.update_or_create(
        entry=entry,
        client=client,
        day=timezone.localdate(now),
        defaults={"helpful": helpful, "comment": comment.strip()[:500], "created_at": now},
    )


# --- The CMS set-up ---------------------------------------------------------------------------


def ensure_qa_setup() -> QAIndexPage:
    """The Q&A home, its topics, the editors' and reviewers' groups and rights, and the review workflow.

    Idempotent: ``manage.py qa_setup`` runs it after every deploy, the demo builder before its content.
    """
    with transaction.atomic():
        root = Page.get_first_root_node()
        index = QAIndexPage.objects.first()
        if index is None:
            index = root.add_child(
                instance=QAIndexPage(title="政策问答", slug="qa", intro="用您自己的话搜索医保政策，或按主题浏览。")
            )
        _drop_wagtail_welcome_page(root)
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname="localhost", port=80, root_page=index, is_default_site=True, site_name="医保政策问答"
            )
        elif site.root_page_id != index.pk:
            site.root_page = index
            site.save(update_fields=["root_page"])
        for position, (code, name, name_en) in enumerate(TOPICS):
            if not TopicPage.objects.filter(code=code).exists():
                index.refresh_from_db()
                index.add_child(
                    instance=TopicPage(title=name, slug=code, code=code, name_en=name_en, position=position)
                )
        editors, reviewers = _ensure_groups()
        _grant_pages(editors, index, ["add", "change"])
        _grant_pages(reviewers, index, ["add", "change", "publish", "unlock"])
        _ensure_workflow(index, reviewers)
    return index


def _drop_wagtail_welcome_page(root: Page) -> None:
    generic = ContentType.objects.get_for_model(Page)
    for page in Page.objects.child_of(root).filter(content_type=generic, slug="home", numchild=0):
        if not Site.objects.filter(root_page=page).exclude(is_default_site=True).exists():
            Site.objects.filter(root_page=page).delete()
            page.delete()


def _ensure_groups() -> tuple[Group, Group]:
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    codenames = [
        ("wagtailadmin", "access_admin"),
        ("qa", "add_synonymgroup"),
        ("qa", "change_synonymgroup"),
        ("qa", "delete_synonymgroup"),
        ("qa", "view_synonymgroup"),
        ("qa", "view_entryfeedback"),
        ("qa", "view_searchlog"),
    ]
    permissions = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in codenames]
    for group in (editors, reviewers):
        group.permissions.add(*permissions)
    return editors, reviewers


def _grant_pages(group: Group, page: Page, kinds: list[str]) -> None:
    page_type = ContentType.objects.get_for_model(Page)
    for kind in kinds:
        permission = Permission.objects.get(content_type=page_type, codename=f"{kind}_page")
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)


def _ensure_workflow(index: QAIndexPage, reviewers: Group) -> None:
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
    task.groups.set([reviewers])
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})


# --- Demo content -----------------------------------------------------------------------------


def load_demo_content(*, progress: Callable[[str], None] = print) -> int:
    """The demo Q&A (portal/qa/demo_content.py), published. Entries already there are left alone.

    Returns how many entries are published in all."""
    from portal.qa import demo_content

    ensure_qa_setup()
    if not SynonymGroup.objects.exists():
        SynonymGroup.objects.bulk_create(SynonymGroup(terms="\n".join(group)) for group in demo_content.SYNONYMS)
    from portal.qa.text import forget_synonyms

    forget_synonyms()
    topics = {topic.code: topic for topic in TopicPage.objects.all()}
    regions = {region.code: region for region in Region.objects.all()}
    created: list[tuple[EntryPage, dict[str, Any]]] = []
    with transaction.atomic():
        for spec in demo_content.ENTRIES:
            topic = topics[spec["topic"]]
            if EntryPage.objects.child_of(topic).filter(slug=spec["slug"]).exists():
                continue
            topic.refresh_from_db()
            entry = topic.add_child(
                instance=EntryPage(
                    title=spec["question"],
                    slug=spec["slug"],
                    answer=spec["answer"],
                    effective_from=_date(spec.get("effective_from")),
                    effective_to=_date(spec.get("effective_to")),
                    source=spec["source"],
                    live=False,
                )
            )
            created.append((entry, spec))
        by_slug = {page.slug: page for page in EntryPage.objects.all()}
        for entry, spec in created:
            entry.regions.set([regions[code] for code in spec.get("regions", []) if code in regions])
            entry.related_links.set(
                [RelatedEntry(entry=by_slug[slug]) for slug in spec.get("related", []) if slug in by_slug]
            )
            entry.save_revision().publish()
    published = EntryPage.objects.live().count()
    progress(f"  policy Q&A: {published} entries published, {len(created)} new")
    return published


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
