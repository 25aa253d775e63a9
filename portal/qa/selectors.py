"""Reads of the Q&A: what residents may see, and search.

What a resident sees is an entry that is published (``live``), not past its expiry, whose policy is
still in force, and that applies to their region (or to every region). Search ranks with a small
BM25-style score over the inverted index in ``SearchPosting``. Each thing the query asks about (a
concept: a word with its parts and synonyms, see ``text.concepts``) scores by its best term in the
entry: the term's rarity (idf) times its weight there, where a word in the question weighs three times
a word in the answer. Entries that cover more of the concepts come first. It is plain SQL on indexed
columns, so it runs the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, F, FloatField, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString
from wagtail.query import PageQuerySet

from portal.institutions.models import Region
from portal.localcache import local_cache
from portal.qa.models import EntryPage, SearchPosting, TopicPage
from portal.qa.text import SYNONYM_PREFIX, characters, concepts, current_synonyms, highlight, snippet

MAX_QUERY_LENGTH = 100
CANDIDATES = 60  # ranked in SQL, re-ranked here with coverage
# With many entries, concepts found in a large share of them (门诊, 多少) make most of the rows but pick
# out little: the candidates come from the rarer concepts, and the common ones only add to their scores.
PRUNE_FROM_ENTRIES = 2000
COMMON_SHARE = 0.15
PRUNED_CANDIDATES = 400
WORD_FIELDS = (SearchPosting.Field.QUESTION, SearchPosting.Field.ANSWER)

_live_count_cache = local_cache(ttl=60)


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


def topic_for(entry: EntryPage) -> TopicPage | None:
    return TopicPage.objects.filter(path=entry.path[: -EntryPage.steplen]).first()


def related_entries(*, entry: EntryPage) -> list[EntryPage]:
    ids = list(entry.related_links.order_by("sort_order").values_list("entry_id", flat=True))
    found = {page.pk: page for page in EntryPage.objects.live().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


@dataclass
class Hit:
    entry: EntryPage
    topic: TopicPage | None
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
    query = normalize_query(query)
    result = SearchResult(query=query)
    if not query:
        return result
    synonyms = current_synonyms()
    asked = concepts(query, synonyms)
    doc_freq = _document_frequencies(sorted({term for concept in asked for term in concept}))
    known = [{t: f for t, f in concept.items() if doc_freq.get(t)} for concept in asked]
    # A word the index has never seen (a typo, an abbreviation nobody wrote) falls back to its
    # characters, matched against the questions only.
    unknown_words = [next(iter(concept)) for concept, hits in zip(asked, known, strict=True) if not hits]
    fallback_chars = sorted(set().union(*(characters(word) for word in unknown_words))) if unknown_words else []
    char_freq = _document_frequencies(fallback_chars, field=SearchPosting.Field.QUESTION_CHAR)
    char_terms = [ch for ch in fallback_chars if char_freq.get(ch)]
    known = [concept for concept in known if concept]
    tokens = [t for concept in asked for t in concept if t.startswith(SYNONYM_PREFIX)]
    result.terms = [t for concept in asked for t in concept if not t.startswith(SYNONYM_PREFIX)]
    result.terms += sorted(synonyms.terms_of(tokens) - set(result.terms))
    if not known and not char_terms:
        return result
    total = _live_entry_count()

    def idf(df: int) -> float:
        return math.log(1 + (total - df + 0.5) / (df + 0.5))

    parts: dict[str, Any] = {}
    for i, concept in enumerate(known):
        # Synonyms are equals: every full term of a concept gets the rarity of the commonest one, so an
        # entry saying 每年 is worth as much as one saying 一年. Parts keep their own, at most that.
        top = max(concept.values())
        rarity = idf(max(doc_freq[term] for term, factor in concept.items() if factor == top))
        whens = [
            When(
                term=term,
                field__in=WORD_FIELDS,
                then=F("weight") * Value(factor * (rarity if factor == top else min(rarity, idf(doc_freq[term])))),
            )
            for term, factor in concept.items()
        ]
        parts[f"c{i}"] = Coalesce(Max(Case(*whens, default=Value(0.0), output_field=FloatField())), Value(0.0))
    is_char = Q(term__in=char_terms, field=SearchPosting.Field.QUESTION_CHAR)
    if char_terms:
        whens = [
            When(term=ch, field=SearchPosting.Field.QUESTION_CHAR, then=F("weight") * Value(idf(char_freq[ch])))
            for ch in char_terms
        ]
        parts["chars"] = Coalesce(Sum(Case(*whens, default=Value(0.0), output_field=FloatField())), Value(0.0))
        parts["nchars"] = Count("term", filter=is_char, distinct=True)
    score: Any = Value(0.0)
    for name in parts:
        if name != "nchars":
            score = score + F(name)
    all_terms = sorted({term for concept in known for term in concept})
    visible = entries_in_force(region=region, now=now or timezone.now()).values("pk")
    postings = SearchPosting.objects.filter(Q(term__in=all_terms, field__in=WORD_FIELDS) | is_char)
    rare = sorted(
        {term for concept in known if max(doc_freq[t] for t in concept) <= COMMON_SHARE * total for term in concept}
    )
    if total >= PRUNE_FROM_ENTRIES and rare and len(rare) < len(all_terms):
        candidates = (
            SearchPosting.objects.filter(Q(term__in=rare, field__in=WORD_FIELDS) | is_char, entry__in=visible)
            .values("entry_id")
            .annotate(rough=Sum("weight"))
            .order_by("-rough", "entry_id")
            .values_list("entry_id", flat=True)[:PRUNED_CANDIDATES]
        )
        postings = postings.filter(entry_id__in=list(candidates))
    else:
        postings = postings.filter(entry__in=visible)
    rows = (
        postings.values("entry_id").annotate(**parts).annotate(score=score).order_by("-score", "entry_id")[:CANDIDATES]
    )
    wanted_chars = max(2, math.ceil(0.6 * len(fallback_chars)))
    asked_count = len(known) + (1 if char_terms else 0)
    ranked = []
    for row in rows:
        matched = sum(1 for i in range(len(known)) if row[f"c{i}"] > 0)
        chars_ok = bool(char_terms) and row["nchars"] >= wanted_chars
        if matched == 0 and not chars_ok:
            continue
        coverage = (matched + (1 if chars_ok else 0)) / asked_count
        ranked.append((row["score"] * (0.5 + 0.5 * coverage), row["entry_id"]))
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    ranked = ranked[:limit]
    if not ranked:
        return result

    entries = {page.pk: page for page in EntryPage.objects.filter(pk__in=[pk for _, pk in ranked])}
    topics = {
        topic.path: topic
        for topic in TopicPage.objects.filter(path__in={page.path[: -EntryPage.steplen] for page in entries.values()})
    }
    marks = set(result.terms) | (set(char_terms) if not known else set())
    for final, pk in ranked:
        entry = entries[pk]
        result.hits.append(
            Hit(
                entry=entry,
                topic=topics.get(entry.path[: -EntryPage.steplen]),
                score=round(final, 4),
                question_html=highlight(entry.title, marks),
                snippet_html=snippet(entry.answer, marks),
            )
        )
    return result


_doc_freq_cache = local_cache(ttl=300)


def _document_frequencies(terms: list[str], field: int | None = None) -> dict[str, int]:
    """How many entries hold each term. Cached per process for 5 minutes: residents ask the same words.

    A count a few minutes old only shifts a term's weight a little; publishing in this process clears it.
    """
    if not terms:
        return {}
    found: dict[str, int] = {}
    missing = []
    for term in terms:
        cached = _doc_freq_cache.get((field, term))
        if cached is not None:
            found[term] = cached
        else:
            missing.append(term)
    if missing:
        postings = SearchPosting.objects.filter(term__in=missing)
        postings = postings.filter(field=field) if field is not None else postings.filter(field__in=WORD_FIELDS)
        counted = dict(
            postings.values_list("term").annotate(n=Count("entry_id", distinct=True)).values_list("term", "n")
        )
        for term in missing:
            found[term] = counted.get(term, 0)
            if found[term]:  # never cache "nobody says this": the next entry published may
                _doc_freq_cache.put((field, term), found[term])
    return found


def forget_counts() -> None:
    _doc_freq_cache.forget()
    _live_count_cache.forget()


def _live_entry_count() -> int:
    return _live_count_cache.get_or_load("count", lambda: max(1, EntryPage.objects.live().count()))
