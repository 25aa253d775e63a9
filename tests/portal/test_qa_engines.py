"""The search engines the databases already have, the ranking they share, and the entry cache."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.qa import engines, ranking
from portal.qa.demo_content import ENTRIES
from portal.qa.models import EntryPage, SearchDocument
from portal.qa.ranking import Concept, QueryPlan, Term, candidate_terms, plan_query
from portal.qa.services import load_demo_content
from portal.qa.text import current_synonyms, words
from tests import factories
from tests.portal.qa_helpers import publish_entry, topic
from tests.portal.qa_phrasings import PHRASINGS

pytestmark = pytest.mark.django_db


def test_a_dictionary_word_cut_apart_by_its_neighbours_is_indexed_too() -> None:
    # jieba cuts 每年最多救助 as 每年 / 最 / 多 / 救助: a resident asking 最多 must still find it.
    cut = words("医疗救助每年最多救助多少钱")
    assert "最多" in cut and cut.index("最多") > cut.index("多")
    assert "最多" not in words("最后多交了钱")  # not a word where the two characters are not next to each other


def test_candidates_come_from_the_rarer_concepts_full_terms_only() -> None:
    rare = Term("互联网", 1.2, rows=300)
    part = Term("医院", 0.6, rows=4000)
    common = Term("门诊", 0.3, rows=6000)
    plan = QueryPlan(
        concepts=(
            Concept((rare, part), rows=300, finders=(rare,)),
            Concept((common,), rows=6000, finders=(common,)),
        ),
        chars=(),
        wanted_chars=2,
        terms=("互联网医院", "门诊"),
        marks=frozenset(),
    )
    assert candidate_terms(plan, total=10_000) == (rare,)  # 门诊 would bring 60% of all entries
    assert candidate_terms(plan, total=500) == plan.all_terms  # small sites score every match


@pytest.mark.parametrize("vendor", ["postgresql"])
def test_postgresql_scores_exactly_what_the_shared_formula_gives(vendor: str) -> None:
    """The SQL (ts_rank over the tsvector) and ``ranking.score`` (SQLite's scorer) are one definition."""
    if connection.vendor != vendor:
        pytest.skip("compares PostgreSQL's SQL with the Python formula; SQLite runs the formula itself")
    factories.region("340600", "淮北市")
    factories.region("340500", "马鞍山市")
    load_demo_content(progress=lambda _: None)
    documents = {
        doc.entry_id: ranking.occurrences(
            question_terms=doc.question_terms, answer_terms=doc.answer_terms, question_chars=doc.question_chars
        )
        for doc in SearchDocument.objects.all()
    }
    total = engines.indexed_entries()
    compared = 0
    for query, _ in PHRASINGS:
        plan = plan_query(query, synonyms=current_synonyms(), frequencies=engines.document_frequencies, total=total)
        if plan.empty:
            continue
        from_sql = engines.PostgresEngine().rank(plan=plan, candidates=plan.all_terms, window=None)
        scored = ((pk, ranking.score(plan, document)) for pk, document in documents.items())
        in_python = sorted(((pk, s) for pk, s in scored if s is not None), key=lambda pair: (-pair[1], pair[0]))
        assert [pk for pk, _ in from_sql] == [pk for pk, _ in in_python], query
        assert [s for _, s in from_sql] == pytest.approx([s for _, s in in_python], abs=2e-4), query
        compared += 1
    assert compared >= len(PHRASINGS) - 2


def test_an_entry_read_is_one_select_once_built_and_follows_every_change() -> None:
    factories.region("340600", "淮北市")
    entry = publish_entry("门诊统筹一年最多报多少？", "<p>每年<b>2000</b>元。</p>")
    client = Client()
    url = f"/api/v1/qa/entries/{entry.pk}"
    first = client.get(url).json()
    assert first["answer_html"] == "<p>每年<b>2000</b>元。</p>" and first["topic"]["name_zh"] == "职工门诊统筹"
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url).json()
    assert again == first
    assert len(queries) == 1, [q["sql"] for q in queries]  # may it be shown? then the cache of its revision

    # A new revision is a new key at once.
    page = EntryPage.objects.get(pk=entry.pk)
    page.answer = "<p>每年<b>2500</b>元。</p>"
    page.save_revision().publish()
    assert client.get(url).json()["answer_html"] == "<p>每年<b>2500</b>元。</p>"

    # Another page's change (the topic renamed) starts a new generation.
    parent = topic()
    parent.title = "职工门诊共济保障"
    parent.save_revision().publish()
    assert client.get(url).json()["topic"]["name_zh"] == "职工门诊共济保障"

    # Unpublished: gone at once, not served from the cache.
    EntryPage.objects.get(pk=entry.pk).unpublish()
    assert client.get(url).status_code == 404


def test_search_results_show_the_live_revision(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    entry = publish_entry("药品追溯码是什么？", "<p>每盒药上的唯一编码。</p>")
    client = Client()
    assert client.get("/api/v1/qa/search", {"q": "追溯码"}).json()["results"][0]["question"] == "药品追溯码是什么？"
    page = EntryPage.objects.get(pk=entry.pk)
    page.title = "药品追溯码有什么用？"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert client.get("/api/v1/qa/search", {"q": "追溯码"}).json()["results"][0]["question"] == "药品追溯码有什么用？"


def test_every_demo_entry_is_indexed_once() -> None:
    factories.region("340600", "淮北市")
    factories.region("340500", "马鞍山市")
    load_demo_content(progress=lambda _: None)
    assert SearchDocument.objects.count() == EntryPage.objects.live().count() == len(ENTRIES)
