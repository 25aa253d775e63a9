"""The two search engines the databases already have, behind one small interface.

- PostgreSQL: the generated tsvector column ``qa_searchdocument.vector`` (GIN index). Candidates are the
  entries whose vector holds any of the query's terms; SQL scores them with ``ts_rank`` per term (see
  ``portal.qa.ranking``) and returns the best. Lexemes are the tokens exactly as jieba cut them (no
  parser, no dictionary), so a query term is looked up as written.
- SQLite (the embedded mode): the FTS5 table ``qa_searchdocument_fts`` finds candidates; Python scores
  them with the same formula.

Both count document frequencies with their index, cached per process for a few minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.db import connection
from django.db.models import QuerySet

from portal.localcache import local_cache
from portal.qa import ranking
from portal.qa.models import SearchDocument
from portal.qa.ranking import QueryPlan, Term

Ranked = list[tuple[int, float]]  # (entry id, final score), best first
# Visibility is checked for the best WINDOW_FACTOR x limit entries by score first (see ranked_entries).
WINDOW_FACTOR = 5
MIN_WINDOW = 100

_doc_freq_cache = local_cache(ttl=300)
_unknown_cache = local_cache(ttl=60)
_total_cache = local_cache(ttl=60)


class Engine(Protocol):
    def count(self, tokens: Sequence[str]) -> dict[str, int]: ...

    def rank(self, *, plan: QueryPlan, candidates: Sequence[Term], window: int | None) -> Ranked: ...

    def rebuild(self) -> None: ...


def engine() -> Engine:
    if connection.vendor == "postgresql":
        return PostgresEngine()
    if connection.vendor == "sqlite":
        return SqliteEngine()
    raise NotImplementedError(f"policy Q&A search supports PostgreSQL and SQLite, not {connection.vendor}")


def document_frequencies(tokens: list[str]) -> dict[str, int]:
    """How many entries hold each token. Cached per process for 5 minutes: residents ask the same words.
    A count a few minutes old only shifts a weight a little; indexing in this process clears it. "Nobody
    says this" is kept for a minute only: an entry published in another process may say it."""
    found: dict[str, int] = {}
    missing = []
    for token in tokens:
        cached = _doc_freq_cache.get(token)
        if cached is None:
            cached = _unknown_cache.get(token)
        if cached is not None:
            found[token] = cached
        else:
            missing.append(token)
    if missing:
        counted = engine().count(missing)
        for token in missing:
            found[token] = counted.get(token, 0)
            (_doc_freq_cache if found[token] else _unknown_cache).put(token, found[token])
    return found


def indexed_entries() -> int:
    return _total_cache.get_or_load("count", lambda: max(1, SearchDocument.objects.count()))


def forget_counts() -> None:
    _doc_freq_cache.forget()
    _unknown_cache.forget()
    _total_cache.forget()


# --- PostgreSQL -------------------------------------------------------------------------------------

_WEIGHTS = "'{" + ",".join(str(weight) for weight in ranking.RANK_WEIGHTS) + "}'::real[]"


def _tsquery(terms: Sequence[Term]) -> str:
    """A tsquery in its text form, each token quoted as a lexeme: nothing is parsed or stemmed."""
    return " | ".join(_operand(term) for term in terms)


def _operand(term: Term) -> str:
    quoted = "'" + term.token.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted


class PostgresEngine:
    def count(self, tokens: Sequence[str]) -> dict[str, int]:
        counts = ", ".join("(SELECT count(*) FROM qa_searchdocument WHERE vector @@ %s::tsquery)" for _ in tokens)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {counts}", [_tsquery([Term(token, 0.0)]) for token in tokens])
            row = cursor.fetchone()
        return dict(zip(tokens, row, strict=True))

    def rank(self, *, plan: QueryPlan, candidates: Sequence[Term], window: int | None) -> Ranked:
        params: list[Any] = []

        def term_rank(term: Term) -> str:
            params.extend([term.weight, _tsquery([term])])
            rank = f"ts_rank({_WEIGHTS}, d.vector, %s::tsquery)"
            return f"%s * {rank}"

        columns = []
        for i, concept in enumerate(plan.concepts):
            ranks = [term_rank(term) for term in concept.terms]
            columns.append(f"{ranks[0] if len(ranks) == 1 else 'GREATEST(' + ', '.join(ranks) + ')'} AS c{i}")
        raw = [f"c{i}" for i in range(len(plan.concepts))]
        matched = [f"(c{i} > 0)::int" for i in range(len(plan.concepts))]
        if plan.chars:
            columns.append("(" + " + ".join(term_rank(term) for term in plan.chars) + ") AS chars")
            columns.append("(" + " + ".join("(d.vector @@ %s::tsquery)::int" for _ in plan.chars) + ") AS nchars")
            params.extend(_tsquery([term]) for term in plan.chars)
            raw.append("chars")
            matched.append(f"(nchars >= {int(plan.wanted_chars)})::int")
        # Materialized, so that each ts_rank runs once per row and the vectors are not carried along.
        sql = f"""
            WITH scored AS MATERIALIZED (
                SELECT d.entry_id, {", ".join(columns)}
                FROM qa_searchdocument d
                WHERE d.vector @@ %s::tsquery
            )
            SELECT entry_id,
                ROUND(CAST(({" + ".join(raw)}) * (0.5 + 0.5 * ({" + ".join(matched)}) / {plan.asked}.0)
                      AS numeric), {ranking.SCORE_PLACES}) AS score
            FROM scored
            WHERE {" + ".join(matched)} > 0
            ORDER BY score DESC, entry_id
            LIMIT %s
        """  # noqa: S608  (only numbers and placeholders are formatted in)
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, _tsquery(candidates), window])
            return [(entry_id, float(score)) for entry_id, score in cursor.fetchall()]

    def rebuild(self) -> None:
        """Nothing to do: the vector is a generated column, always in step with its row."""


# --- SQLite -----------------------------------------------------------------------------------------


def _match(terms: Sequence[Term]) -> str:
    """An FTS5 query: each token a quoted string (its tokenizer splits only at white space)."""
    return " OR ".join('"' + term.token.replace('"', '""') + '"' for term in terms)


class SqliteEngine:
    def count(self, tokens: Sequence[str]) -> dict[str, int]:
        found = {}
        with connection.cursor() as cursor:
            for token in tokens:
                cursor.execute(
                    "SELECT count(*) FROM qa_searchdocument_fts WHERE qa_searchdocument_fts MATCH %s",
                    [_match([Term(token, 0.0)])],
                )
                found[token] = cursor.fetchone()[0]
        return found

    def rank(self, *, plan: QueryPlan, candidates: Sequence[Term], window: int | None) -> Ranked:
        sql = """
            SELECT d.entry_id, d.question_terms, d.answer_terms, d.question_chars
            FROM qa_searchdocument d
            WHERE d.entry_id IN (SELECT rowid FROM qa_searchdocument_fts WHERE qa_searchdocument_fts MATCH %s)
        """
        scored = []
        with connection.cursor() as cursor:
            cursor.execute(sql, [_match(candidates)])
            for entry_id, question_terms, answer_terms, question_chars in cursor.fetchall():
                document = ranking.occurrences(
                    question_terms=question_terms, answer_terms=answer_terms, question_chars=question_chars
                )
                final = ranking.score(plan, document)
                if final is not None:
                    scored.append((entry_id, final))
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        return scored[:window] if window is not None else scored

    def rebuild(self) -> None:
        """Rebuild the FTS5 index from its content table (repairs it, should the two ever drift)."""
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO qa_searchdocument_fts(qa_searchdocument_fts) VALUES ('rebuild')")


def ranked_entries(*, plan: QueryPlan, visible: QuerySet, limit: int) -> Ranked:
    """The best ``limit`` entries for ``plan`` among ``visible``. Visibility (published, in force, region:
    a join of three tables) is checked for the best ``window`` entries by score, and for all of them
    only when too few of those may be shown."""
    search = engine()
    candidates = ranking.candidate_terms(plan, total=indexed_entries())
    window = max(WINDOW_FACTOR * limit, MIN_WINDOW)
    ranked = search.rank(plan=plan, candidates=candidates, window=window)
    shown = _visible_only(ranked, visible)[:limit]
    if len(shown) < limit and len(ranked) >= window:
        shown = _visible_only(search.rank(plan=plan, candidates=candidates, window=None), visible)[:limit]
    return shown


def _visible_only(ranked: Ranked, visible: QuerySet) -> Ranked:
    if len(ranked) > MIN_WINDOW * 10:
        allowed = set(visible.order_by().values_list("pk", flat=True))
    else:
        allowed = set(visible.order_by().filter(pk__in=[pk for pk, _ in ranked]).values_list("pk", flat=True))
    return [pair for pair in ranked if pair[0] in allowed]
