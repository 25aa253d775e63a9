"""How the Q&A search ranks. One definition, computed by both engines (``portal.qa.engines``).

A query is cut into *concepts* (``text.concepts``): each word the resident typed, with its parts (worth
less) and the synonym groups it belongs to (worth the same). A concept scores once per entry, by its
best term, so a long word, its parts and its synonyms cannot outvote a short telling word (低保).

- **term score**: for one indexed token of an entry, what PostgreSQL's ``ts_rank`` gives a one-word
  query: the token's occurrences in text order (the question's first) weigh ``QUESTION_WEIGHT``,
  ``ANSWER_WEIGHT`` or ``CHAR_WEIGHT``; the i-th occurrence counts 1/i² of its weight, and the sum is
  divided by π²/6. One occurrence in the question gives 0.61, a word said again tends to 1; a word only
  in the answer gets a third of that.
- **term weight**: the term's factor (1 for the word and its synonyms, ``PART_FACTOR`` for a part,
  ``SINGLE_FACTOR`` for a one-character word) times its rarity (idf). The full terms of a concept
  share the rarity of the commonest of them: an entry saying 每年 is worth as much as one saying 一年.
- **raw score**: the sum over concepts of the best term score times its weight, plus, when a word of
  the query is unknown to the index, its characters found in the question (``CHAR_WEIGHT``, by rarity).
- **final score**: raw × (0.5 + 0.5 × the share of concepts the entry matches); the characters count
  as one concept when at least 60% of them (two at least) are in the question. Entries matching
  nothing are left out. Ties go to the older entry (lower id). Scores are rounded to 4 places before
  ordering, so both engines order the same.

PostgreSQL computes this in SQL with ``ts_rank`` over the entry's tsvector; SQLite finds candidates
with FTS5 and computes it here, in ``score``. With many entries, only the entries holding one of the
query's rarer concepts are scored (``candidate_terms``): the same rule on both engines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from portal.qa.text import CHAR_PREFIX, SYNONYM_PREFIX, Synonyms, characters, concepts

QUESTION_WEIGHT = 1.0  # ts_rank's weight A
ANSWER_WEIGHT = 0.3125  # B: about a third of the question's (5/16: exact in float4, like PostgreSQL keeps it)
CHAR_WEIGHT = 0.125  # C: a character of the question, for the fallback
RANK_WEIGHTS = (0.0, CHAR_WEIGHT, ANSWER_WEIGHT, QUESTION_WEIGHT)  # in ts_rank's order: D, C, B, A
RANK_SCALE = 1.64493406685  # π²/6, as in PostgreSQL's ts_rank
MAX_POSITIONS = 256  # a tsvector keeps at most this many occurrences of a word
SCORE_PLACES = 4

PRUNE_FROM_ENTRIES = 1000  # below this, every concept brings candidates
COMMON_SHARE = 0.15
CANDIDATE_SHARE = 0.25  # a concept found in more than this share of entries only adds to candidates' scores
FALLBACK_SHARE = 0.6  # of the unknown words' characters an entry's question must have (2 at least)


@dataclass(frozen=True)
class Term:
    token: str  # as indexed: 门诊, ~12 (a synonym group), #查 (a character)
    weight: float
    rows: int = 0  # how many entries hold it


@dataclass(frozen=True)
class Concept:
    terms: tuple[Term, ...]
    rows: int  # how many entries hold its commonest finder: about what it costs to find candidates with it
    finders: tuple[Term, ...]  # the full terms (the word, its synonyms): parts only add to a score


@dataclass(frozen=True)
class QueryPlan:
    concepts: tuple[Concept, ...]
    chars: tuple[Term, ...]  # the fallback: characters of words the index has never seen
    wanted_chars: int
    terms: tuple[str, ...]  # the words shown to the resident as searched for
    marks: frozenset[str]  # what to highlight

    @property
    def asked(self) -> int:
        return len(self.concepts) + (1 if self.chars else 0)

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.chars

    @property
    def all_terms(self) -> tuple[Term, ...]:
        return tuple(term for concept in self.concepts for term in concept.terms) + self.chars


def idf(df: int, total: int) -> float:
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def plan_query(
    query: str, *, synonyms: Synonyms, frequencies: Callable[[list[str]], dict[str, int]], total: int
) -> QueryPlan:
    """The concepts of ``query`` with the terms the index knows, weighted; ``frequencies`` counts how many
    entries hold each token."""
    asked = [_without_covered_words(concept, synonyms) for concept in concepts(query, synonyms)]
    wanted = sorted({token for concept in asked for token in concept})
    doc_freq = frequencies(wanted)
    planned: list[Concept] = []
    unknown_words: list[str] = []
    for concept in asked:
        known = {token: factor for token, factor in concept.items() if doc_freq.get(token)}
        if not known:
            word = next(iter(concept))
            unknown_words.append(word)
            continue
        top = max(known.values())
        rarity = idf(max(doc_freq[token] for token, factor in known.items() if factor == top), total)
        terms = tuple(
            Term(
                token,
                factor
                * (rarity if factor == top else min(rarity, idf(doc_freq[token], total)))
                * (QUESTION_WEIGHT / CHAR_WEIGHT if token.startswith(CHAR_PREFIX) else 1.0),
                rows=doc_freq[token],
            )
            for token, factor in known.items()
        )
        finders = tuple(term for term, factor in zip(terms, known.values(), strict=True) if factor == top)
        planned.append(Concept(terms, rows=max(term.rows for term in finders), finders=finders))
    # A word the index has never seen (a typo, an abbreviation nobody wrote) falls back to its
    # characters, matched against the questions only.
    fallback = sorted({f"{CHAR_PREFIX}{ch}" for word in unknown_words for ch in characters(word)})
    char_freq = frequencies(fallback) if fallback else {}
    chars = tuple(Term(ch, idf(char_freq[ch], total), rows=char_freq[ch]) for ch in fallback if char_freq.get(ch))
    shown = [t for concept in asked for t in concept if not t.startswith((SYNONYM_PREFIX, CHAR_PREFIX))]
    shown += sorted(synonyms.terms_of(t for concept in asked for t in concept) - set(shown))
    marks = set(shown) | ({term.token.removeprefix(CHAR_PREFIX) for term in chars} if not planned else set())
    return QueryPlan(
        concepts=tuple(planned),
        chars=chars,
        wanted_chars=max(2, math.ceil(FALLBACK_SHARE * len(fallback))),
        terms=tuple(shown),
        marks=frozenset(marks),
    )


def _without_covered_words(concept: dict[str, float], synonyms: Synonyms) -> dict[str, float]:
    """Leave out a word that is itself a term of a synonym group of the concept (退休 of 退休人员 /
    退休 / ...): the group's token is indexed wherever the word is, as often or more, so it always
    scores at least as much. Fewer terms to look up and rank."""
    groups = dict(synonyms.groups)
    covered = {
        word
        for word, factor in concept.items()
        if not word.startswith(SYNONYM_PREFIX)
        and any(
            token.startswith(SYNONYM_PREFIX) and other >= factor and word in groups.get(token, ())
            for token, other in concept.items()
        )
    }
    return {token: factor for token, factor in concept.items() if token not in covered}


def candidate_terms(plan: QueryPlan, *, total: int) -> tuple[Term, ...]:
    """The terms whose entries are scored: every term with fewer than ``PRUNE_FROM_ENTRIES`` entries;
    with more, the full terms (not the parts: 医院 of 互联网医院) of the query's rarest concepts, taken
    rarest first while the entries they are found in add up to at most ``CANDIDATE_SHARE`` of all (one
    concept at least).

    Concepts found in many entries (门诊, 多少, 医保) bring most of the rows and pick out little: an
    entry matching nothing else scores low, so they only add to the scores of the entries the rarer
    concepts find. The characters of unknown words count as one concept here."""
    if total < PRUNE_FROM_ENTRIES:
        return plan.all_terms
    groups = [(concept.rows, concept.finders) for concept in plan.concepts]
    if plan.chars:
        groups.append((sum(term.rows for term in plan.chars), plan.chars))
    chosen: list[Term] = []
    rows = 0
    for found_in, terms in sorted(groups, key=lambda group: group[0]):
        if chosen and rows + found_in > CANDIDATE_SHARE * total:
            break
        chosen += terms
        rows += found_in
    return tuple(chosen)


# --- The score, computed here for SQLite (PostgreSQL computes the same in SQL) ----------------------


def occurrences(*, question_terms: str, answer_terms: str, question_chars: str) -> dict[str, list[float]]:
    """Each token of an entry's search document with the weights of its occurrences, in text order."""
    found: dict[str, list[float]] = {}
    for text, weight in (
        (question_terms, QUESTION_WEIGHT),
        (answer_terms, ANSWER_WEIGHT),
        (question_chars, CHAR_WEIGHT),
    ):
        for token in text.split():
            found.setdefault(token, []).append(weight)
    return found


def saturation(weights: Sequence[float]) -> float:
    """PostgreSQL's ts_rank for one word with these occurrence weights (calc_rank_or, one operand)."""
    total, best, best_at = 0.0, -1.0, 0
    for j, weight in enumerate(weights[:MAX_POSITIONS]):
        total += weight / ((j + 1) * (j + 1))
        if weight > best:
            best, best_at = weight, j
    if best < 0:
        return 0.0
    return (best + total - best / ((best_at + 1) * (best_at + 1))) / RANK_SCALE


def term_score(term: Term, document: dict[str, list[float]]) -> float:
    weights = document.get(term.token)
    return saturation(weights) if weights else 0.0


def score(plan: QueryPlan, document: dict[str, list[float]]) -> float | None:
    """The final score of one entry, or None when it matches nothing asked."""
    raw, matched = 0.0, 0
    for concept in plan.concepts:
        best = max(term.weight * term_score(term, document) for term in concept.terms)
        if best > 0:
            matched += 1
            raw += best
    if plan.chars:
        found = [term for term in plan.chars if term.token in document]
        raw += sum(term.weight * saturation(document[term.token]) for term in found)
        if len(found) >= plan.wanted_chars:
            matched += 1
    if matched == 0:
        return None
    return round(raw * (0.5 + 0.5 * matched / plan.asked), SCORE_PLACES)
