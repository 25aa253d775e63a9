"""What is the same for every reader of a published entry, built once per revision and cached.

An entry's *detail* (the answer rendered from the CMS's rich text, its topic, regions, source and related
questions) and its *card* (question, address, topic and the answer as plain text, for search results)
only change when the entry is published again. Each process keeps them in memory under the entry's live
revision, so a new revision is a new key at once, in every process.

What an entry shows of *other* pages (its topic's name, related questions, its own address under its
topic) changes when those are published, unpublished, moved or deleted: any of these starts a new
*generation* (``forget_entries``, from ``signals``), a number kept in Django's cache (Redis in
production, shared by all processes) and read on each request; what was built in an older generation
is built again.

Whether an entry may be shown at all (published, not expired, policy in force) is never cached: the
callers check it with one SELECT each time, so an expired entry disappears at once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from wagtail.rich_text import expand_db_html

from portal.localcache import LocalCache, local_cache
from portal.qa.models import EntryPage, TopicPage
from portal.qa.text import plain_text

CACHE_SECONDS = 24 * 3600
MAX_ENTRIES = 50_000  # details and cards of this process; all forgotten at once when full
GENERATION_KEY = "qa:entries:generation"
V = TypeVar("V")

GENERATION_SECONDS = 1  # how stale another page's change (a topic renamed) may look in another process
_built: LocalCache = local_cache(ttl=CACHE_SECONDS)
_generation_seen: LocalCache = local_cache(ttl=GENERATION_SECONDS)


@dataclass(frozen=True)
class TopicCard:
    code: str
    title: str
    name_en: str


@dataclass(frozen=True)
class EntryCard:
    """An entry as search results show it."""

    pk: int
    title: str
    url: str | None
    answer_text: str
    topic: TopicCard | None
    regions: tuple[tuple[str, str], ...] = ()  # (code, name); none: every region


@dataclass(frozen=True)
class RelatedCard:
    pk: int
    title: str
    url: str | None


@dataclass(frozen=True)
class EntryDetail:
    """An entry as its page and the API show it."""

    pk: int
    title: str
    url: str | None
    topic: TopicCard | None
    answer_html: SafeString
    regions: tuple[tuple[str, str], ...]  # (code, name)
    effective_from: dt.date | None
    effective_to: dt.date | None
    source: str
    source_url: str
    related: tuple[RelatedCard, ...]
    last_published_at: dt.datetime | None


def forget_entries() -> None:
    """Start a new generation: every entry cached before is built again when next read (in this process at
    once, in the others within ``GENERATION_SECONDS``)."""
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
    _generation_seen.forget()


def entry_cards(*, entry_ids: Sequence[int]) -> dict[int, EntryCard]:
    """Cards of the published entries among ``entry_ids``."""
    revisions = dict(EntryPage.objects.filter(pk__in=entry_ids, live=True).values_list("pk", "live_revision_id"))
    return _cached("card", revisions, _build_cards)


def entry_detail(*, entry_id: int, revision_id: int | None) -> EntryDetail | None:
    """The detail of a published entry at its live revision (the caller has checked it may be shown)."""
    return _cached("detail", {entry_id: revision_id}, _build_details).get(entry_id)


def detail_of_page(page: EntryPage, *, preview: bool) -> EntryDetail:
    """The detail of a page being served: cached for the live page, built afresh for a preview (a draft)."""
    if not preview and page.live and page.live_revision_id is not None:
        detail = entry_detail(entry_id=page.pk, revision_id=page.live_revision_id)
        if detail is not None:
            return detail
    return _detail(page, _topics([page]))


def _generation() -> int:
    """The shared generation, read from the cache at most once a ``GENERATION_SECONDS`` per process."""
    return int(_generation_seen.get_or_load("generation", _shared_generation))


def _shared_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return int(generation)


def _cached(kind: str, revisions: dict[int, int | None], build: Callable[[list[int]], dict[int, V]]) -> dict[int, V]:
    generation = _generation()
    result: dict[int, V] = {}
    for pk, revision in revisions.items():
        hit = _built.get((kind, pk, revision))
        if hit is not None and hit[0] == generation:
            result[pk] = hit[1]
    missing = [pk for pk in revisions if pk not in result]
    if missing:
        for pk, value in build(missing).items():
            _built.put((kind, pk, revisions[pk]), (generation, value), max_entries=MAX_ENTRIES)
            result[pk] = value
    return result


def _topics(entries: Sequence[EntryPage]) -> dict[str, TopicCard]:
    paths = {entry.path[: -EntryPage.steplen] for entry in entries}
    return {
        path: TopicCard(code=code, title=title, name_en=name_en)
        for path, code, title, name_en in TopicPage.objects.filter(path__in=paths).values_list(
            "path", "code", "title", "name_en"
        )
    }


def _build_cards(entry_ids: list[int]) -> dict[int, EntryCard]:
    entries = list(EntryPage.objects.filter(pk__in=entry_ids, live=True).prefetch_related("regions"))
    topics = _topics(entries)
    return {
        entry.pk: EntryCard(
            pk=entry.pk,
            title=entry.title,
            url=entry.url,
            answer_text=plain_text(entry.answer),
            topic=topics.get(entry.path[: -EntryPage.steplen]),
            regions=tuple((region.code, region.name) for region in entry.regions.all()),
        )
        for entry in entries
    }


def _build_details(entry_ids: list[int]) -> dict[int, EntryDetail]:
    entries = list(EntryPage.objects.filter(pk__in=entry_ids, live=True))
    topics = _topics(entries)
    return {entry.pk: _detail(entry, topics) for entry in entries}


def _detail(entry: EntryPage, topics: dict[str, TopicCard]) -> EntryDetail:
    related_ids = [link.entry_id for link in sorted(entry.related_links.all(), key=_sort_order)]
    related = {page.pk: page for page in EntryPage.objects.live().filter(pk__in=related_ids)}
    return EntryDetail(
        pk=entry.pk,
        title=entry.title,
        url=entry.url,
        topic=topics.get(entry.path[: -EntryPage.steplen]),
        answer_html=mark_safe(expand_db_html(entry.answer)),  # noqa: S308  (the CMS's rich text, as |richtext)
        regions=tuple((region.code, region.name) for region in entry.regions.all()),
        effective_from=entry.effective_from,
        effective_to=entry.effective_to,
        source=entry.source,
        source_url=entry.source_url,
        related=tuple(
            RelatedCard(pk=pk, title=related[pk].title, url=related[pk].url) for pk in related_ids if pk in related
        ),
        last_published_at=entry.last_published_at,
    )


def _sort_order(link: Any) -> int:
    return link.sort_order if link.sort_order is not None else 0
