"""Reads of the Q&A: what residents may see, one entry, and search.

What a resident sees is an entry that is published (``live``), not past its expiry, whose policy is
still in force, and that applies to their region (or to every region). Search ranks each entry by the
concepts of the query it covers, where and how rare they are (``portal.qa.ranking``), with the full-text
engine of the database (``portal.qa.engines``). What is the same for every reader of an entry (the
rendered answer, its topic, related questions) is cached per published revision (``entry_cache``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString
from wagtail.query import PageQuerySet

from portal.institutions.models import Region
from portal.qa import entry_cache
from portal.qa.engines import document_frequencies, indexed_entries, ranked_entries
from portal.qa.entry_cache import EntryCard, EntryDetail, TopicCard, entry_cards
from portal.qa.models import EntryPage, TopicPage
from portal.qa.ranking import plan_query
from portal.qa.text import Marks, current_synonyms

MAX_QUERY_LENGTH = 100


def region_for_request(request: HttpRequest) -> Region | None:
    """``?region=<code>`` if given, else the signed-in resident's region, else none (every region)."""
    code = request.GET.get("region", "").strip()
    if code:
        return Region.objects.filter(code=code).first()
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        from portal.people.selectors import person_for_user

        person = person_for_user(user=user)
        if person is not None:
            return person.region
    return None


def entries_in_force(*, region: Region | None, now: dt.datetime | None = None) -> PageQuerySet:
    now = now or timezone.now()
    today = timezone.localdate(now)
    entries = (
        EntryPage.objects.live()
        .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
    )
    if region is not None:
        entries = entries.filter(Q(regions__isnull=True) | Q(regions=region))
    return entries.order_by("path")


def topics_with_counts(*, region: Region | None) -> list[tuple[TopicPage, int]]:
    counts = Counter(
        path[: -TopicPage.steplen] for path in entries_in_force(region=region).values_list("path", flat=True)
    )
    return [(topic, counts.get(topic.path, 0)) for topic in TopicPage.objects.live().order_by("position", "path")]


def entry_detail(*, entry_id: int, now: dt.datetime | None = None) -> EntryDetail | None:
    """One entry as its page and the API show it, or None if residents may not see it (one SELECT, then
    the cache of its live revision)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ENTRY_IN_FORCE, [entry_id, now, timezone.localdate(now)])
        row = cursor.fetchone()
    if row is None:
        return None
    return entry_cache.entry_detail(entry_id=entry_id, revision_id=row[0])


# entries_in_force for one entry, as one fixed statement: the hot path of every entry read (building the
# ORM query took longer than running it). The tests of expiry and of policies no longer in force read
# entries through it.
_ENTRY_IN_FORCE = """
    SELECT p.live_revision_id FROM wagtailcore_page p JOIN qa_entrypage e ON e.page_ptr_id = p.id
    WHERE p.id = %s AND p.live AND (p.expire_at IS NULL OR p.expire_at > %s)
        AND (e.effective_to IS NULL OR e.effective_to >= %s)
"""


@dataclass
class Hit:
    entry: EntryCard
    topic: TopicCard | None
    score: float
    question_html: SafeString
    snippet_html: SafeString


@dataclass
class SearchResult:
    query: str
    terms: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)


def normalize_query(query: str) -> str:
    return " ".join(query.split())[:MAX_QUERY_LENGTH]


def search_entries(
    *, query: str, region: Region | None, limit: int = 20, now: dt.datetime | None = None
) -> SearchResult:
    """The published entries in force for ``region`` that best answer ``query``, best first, with the
    matched words highlighted. How they rank: ``portal.qa.ranking``; where: ``portal.qa.engines``."""
    query = normalize_query(query)
    result = SearchResult(query=query)
    if not query:
        return result
    plan = plan_query(query, synonyms=current_synonyms(), frequencies=document_frequencies, total=indexed_entries())
    result.terms = list(plan.terms)
    if plan.empty:
        return result
    visible = entries_in_force(region=region, now=now or timezone.now())
    ranked = ranked_entries(plan=plan, visible=visible, limit=limit)
    cards = entry_cards(entry_ids=[entry_id for entry_id, _ in ranked])
    marks = Marks(plan.marks)
    for entry_id, score in ranked:
        card = cards.get(entry_id)
        if card is None:  # unpublished between the two reads
            continue
        result.hits.append(
            Hit(
                entry=card,
                topic=card.topic,
                score=score,
                question_html=marks.highlight(card.title),
                snippet_html=marks.snippet(card.answer_text),
            )
        )
    return result
