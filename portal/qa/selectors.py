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
from collections.abc import Sequence
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
from portal.qa.ranking import QueryPlan, plan_query
from portal.qa.text import Marks, current_synonyms

MAX_QUERY_LENGTH = 100


REGION_COOKIE = "qa_region"
EVERY_REGION = "all"  # the chooser's value (and the cookie's) for "every region's answers"
MAX_SHOWN_CODE = 12  # an unknown code is echoed back at most this long


@dataclass(frozen=True)
class RegionChoice:
    """Whose answers a Q&A page shows, and why.

    ``source`` says where the region came from: ``query`` (``?region=`` on this request), ``cookie``
    (chosen earlier in the Q&A and remembered), ``resident`` (the signed-in resident's own region) or
    ``none`` (nothing chosen: every region's answers). ``unknown`` is a code asked for that is not a
    region (already shortened for showing); the page says so and falls back to the next source.
    ``remember`` is what the chooser's cookie should be set to after this request ("" to leave it).
    """

    region: Region | None
    source: str
    own: Region | None = None
    unknown: str = ""
    remember: str = ""

    @property
    def every_region(self) -> bool:
        return self.region is None

    @property
    def is_own(self) -> bool:
        return self.region is not None and self.own is not None and self.region.pk == self.own.pk


def _region_by_code(value: str) -> Region | None:
    if len(value) != 6 or not value.isdigit():
        return None
    return Region.objects.filter(code=value).first()


def _resident_region(request: HttpRequest) -> Region | None:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        from portal.people.selectors import person_for_user

        person = person_for_user(user=user)
        if person is not None:
            return person.region
    return None


def region_choice(request: HttpRequest, *, remembered: bool = True) -> RegionChoice:
    """The region of a Q&A page: ``?region=<code>`` (or ``all``), else the one chosen earlier (a cookie,
    when ``remembered``), else the signed-in resident's region, else none (every region). An unknown
    code never fails: it is reported and the next source is used. Computed once per request."""
    cache_key = "_qa_region_choice" if remembered else "_qa_region_choice_api"
    cached = getattr(request, cache_key, None)
    if isinstance(cached, RegionChoice):
        return cached
    own = _resident_region(request)
    unknown = ""
    choice: RegionChoice | None = None
    asked = request.GET.get("region", "").strip()
    if asked:
        if asked == EVERY_REGION:
            choice = RegionChoice(region=None, source="query", own=own, remember=EVERY_REGION)
        else:
            region = _region_by_code(asked)
            if region is not None:
                choice = RegionChoice(region=region, source="query", own=own, remember=region.code)
            else:
                unknown = asked[:MAX_SHOWN_CODE]
    if choice is None and remembered:
        kept = request.COOKIES.get(REGION_COOKIE, "")
        if kept == EVERY_REGION:
            choice = RegionChoice(region=None, source="cookie", own=own, unknown=unknown)
        elif kept:
            region = _region_by_code(kept)
            if region is not None:
                choice = RegionChoice(region=region, source="cookie", own=own, unknown=unknown)
    if choice is None:
        if own is not None:
            choice = RegionChoice(region=own, source="resident", own=own, unknown=unknown)
        else:
            choice = RegionChoice(region=None, source="none", own=None, unknown=unknown)
    setattr(request, cache_key, choice)
    return choice


def region_for_request(request: HttpRequest) -> Region | None:
    """For the API: ``?region=<code>`` if it is a region, else the signed-in resident's region, else none
    (every region). The pages also remember a visitor's choice (``region_choice``)."""
    return region_choice(request, remembered=False).region


def chooser_regions(choice: RegionChoice) -> list[Region]:
    """The regions a visitor may choose: the active ones, and the current and own ones even if not."""
    regions = {region.pk: region for region in Region.objects.filter(active=True).order_by("code")}
    for extra in (choice.region, choice.own):
        if extra is not None:
            regions.setdefault(extra.pk, extra)
    return sorted(regions.values(), key=lambda region: region.code)


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


@dataclass(frozen=True)
class TopicEntry:
    pk: int
    title: str
    url: str | None
    scope: str  # scope_of
    region_names: tuple[str, ...]


def topic_entries(*, topic: TopicPage, region: Region | None) -> tuple[list[TopicEntry], list[TopicEntry]]:
    """A topic's entries for ``region`` (its own and every region's; all of them without a region), and
    the other regions' entries, each saying where it applies."""
    entries = entries_in_force(region=None).child_of(topic).prefetch_related("regions")
    mine: list[TopicEntry] = []
    others: list[TopicEntry] = []
    for entry in entries:
        regions = tuple((r.code, r.name) for r in entry.regions.all())
        scope = scope_of(regions, region)
        item = TopicEntry(entry.pk, entry.title, entry.url, scope, tuple(name for _, name in regions))
        (others if scope == "other" else mine).append(item)
    return mine, others


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
    # Where the entry applies, seen from the reader's region: "local" (that region's own answer),
    # "general" (every region's), "other" (other regions' only); with no region: "general" or "regional".
    scope: str = ""

    @property
    def region_names(self) -> list[str]:
        return [name for _, name in self.entry.regions]


@dataclass
class SearchResult:
    query: str
    terms: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)


@dataclass
class RegionalResult:
    """A search as the Q&A pages show it: the answers for the reader's region (its own and every region's),
    whether one of them answers the question, and, when none does, other regions' answers to show marked
    as such. Without a region: every region's answers in ``hits``, each with where it applies."""

    query: str
    region: Region | None
    terms: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    others: list[Hit] = field(default_factory=list)
    answered: bool = False

    @property
    def local_hits(self) -> list[Hit]:
        return [hit for hit in self.hits if hit.scope == "local"]

    @property
    def general_hits(self) -> list[Hit]:
        return [hit for hit in self.hits if hit.scope == "general"]


# The region has an answer to a question when its best (own or every region's) scores at least this share
# of the best of all regions: below it, the words matched are the common ones ("药店", "报销") and the
# question (e.g. whether retirees' pharmacy purchases are covered) is answered only by another region.
ANSWERED_SHARE = 0.6
# Without an answer of its own, a region is shown only the closest general and other regions' answers:
# at most this many of each, scoring at least this share of the best.
FALLBACK_SHARE = 0.35
MAX_FALLBACK_HITS = 5


def normalize_query(query: str) -> str:
    return " ".join(query.split())[:MAX_QUERY_LENGTH]


def _plan(query: str) -> QueryPlan:
    return plan_query(query, synonyms=current_synonyms(), frequencies=document_frequencies, total=indexed_entries())


def _hits(*, plan: QueryPlan, visible: PageQuerySet, limit: int) -> list[Hit]:
    ranked = ranked_entries(plan=plan, visible=visible, limit=limit)
    cards = entry_cards(entry_ids=[entry_id for entry_id, _ in ranked])
    marks = Marks(plan.marks)
    hits = []
    for entry_id, score in ranked:
        card = cards.get(entry_id)
        if card is None:  # unpublished between the two reads
            continue
        hits.append(
            Hit(
                entry=card,
                topic=card.topic,
                score=score,
                question_html=marks.highlight(card.title),
                snippet_html=marks.snippet(card.answer_text),
            )
        )
    return hits


def scope_of(regions: Sequence[tuple[str, str]], region: Region | None) -> str:
    """Where an entry applying in ``regions`` (none: every region) stands for a reader in ``region``."""
    if not regions:
        return "general"
    if region is None:
        return "regional"
    return "local" if any(code == region.code for code, _ in regions) else "other"


def search_entries(
    *, query: str, region: Region | None, limit: int = 20, now: dt.datetime | None = None
) -> SearchResult:
    """The published entries in force for ``region`` that best answer ``query``, best first, with the
    matched words highlighted. How they rank: ``portal.qa.ranking``; where: ``portal.qa.engines``."""
    query = normalize_query(query)
    result = SearchResult(query=query)
    if not query:
        return result
    plan = _plan(query)
    result.terms = list(plan.terms)
    if plan.empty:
        return result
    result.hits = _hits(plan=plan, visible=entries_in_force(region=region, now=now or timezone.now()), limit=limit)
    for hit in result.hits:
        hit.scope = scope_of(hit.entry.regions, region)
    return result


def regional_search(
    *, query: str, region: Region | None, limit: int = 20, now: dt.datetime | None = None
) -> RegionalResult:
    """``search_entries`` for the pages: the region's answers, and whether any answers the question well
    enough (``ANSWERED_SHARE`` of the best score of all regions). If not, only the closest of the region's
    (general) answers, and the closest other regions' answers (``others``), to be shown marked as such."""
    query = normalize_query(query)
    result = RegionalResult(query=query, region=region)
    if not query:
        return result
    plan = _plan(query)
    result.terms = list(plan.terms)
    if plan.empty:
        return result
    now = now or timezone.now()
    everywhere = _hits(plan=plan, visible=entries_in_force(region=None, now=now), limit=limit)
    if region is None:
        result.hits = everywhere
        result.answered = bool(everywhere)
    else:
        here = _hits(plan=plan, visible=entries_in_force(region=region, now=now), limit=limit)
        best = everywhere[0].score if everywhere else 0.0
        result.hits = here
        result.answered = bool(here) and here[0].score >= ANSWERED_SHARE * best
        if not result.answered:
            shown = {hit.entry.pk for hit in here}
            close = [hit for hit in everywhere if hit.score >= FALLBACK_SHARE * best]
            result.hits = [hit for hit in here if hit.score >= FALLBACK_SHARE * best][:MAX_FALLBACK_HITS]
            result.others = [hit for hit in close if hit.entry.pk not in shown][:MAX_FALLBACK_HITS]
    for hit in [*result.hits, *result.others]:
        hit.scope = scope_of(hit.entry.regions, region)
    return result
