"""Residents find answers in their own words: segmentation, synonyms, ranking, regions, highlights."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.qa.demo_content import ENTRIES
from portal.qa.models import EntryPage, SearchLog, SynonymGroup
from portal.qa.selectors import search_entries
from portal.qa.services import load_demo_content
from tests import factories
from tests.portal.qa_helpers import publish_entry
from tests.portal.qa_phrasings import PHRASINGS

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_qa() -> dict[str, EntryPage]:
    factories.region("340600", "淮北市")
    factories.region("340500", "马鞍山市")
    load_demo_content(progress=lambda _: None)
    return {entry.slug: entry for entry in EntryPage.objects.all()}


def _slugs(query: str, region: str | None = None) -> list[str]:
    params = {"q": query, **({"region": region} if region else {})}
    body = Client().get("/api/v1/qa/search", params).json()
    return [hit["url"].rstrip("/").rsplit("/", 1)[-1] for hit in body["results"]]


def test_everyday_phrasings_find_the_right_answer_in_the_top_three(demo_qa: dict[str, EntryPage]) -> None:
    assert len(PHRASINGS) >= 30
    misses = []
    first = 0
    regions = {spec["slug"]: (spec["regions"] or ["340600"])[0] for spec in ENTRIES}
    for query, expected in PHRASINGS:
        for region in (None, regions[expected]):
            slugs = _slugs(query, region)[:3]
            if expected not in slugs:
                misses.append((query, region, expected, slugs))
            elif region is None and slugs[0] == expected:
                first += 1
    assert misses == []
    assert first >= 0.75 * len(PHRASINGS), f"only {first} of {len(PHRASINGS)} ranked first"


def test_the_demo_answers_every_figure_and_topic(demo_qa: dict[str, EntryPage]) -> None:
    assert len(ENTRIES) >= 40
    assert EntryPage.objects.live().count() == len(ENTRIES)
    body = Client().get("/api/v1/qa/topics").json()
    assert len(body["topics"]) == 8
    assert all(topic["entries"] >= 4 for topic in body["topics"])
    text = " ".join(f"{e['question']} {e['answer']}" for e in ENTRIES)
    for figure in ["150", "60%", "200", "400", "50%", "10个百分点", "2000", "3000", "330", "1200", "500", "75%",
                   "40万", "13万", "80%", "70%", "1500", "5万", "320", "580", "7", "17", "1%", "10万"]:  # fmt: skip
        assert figure in text.replace(",", "").replace("，", ""), figure


def test_a_synonym_finds_an_entry_that_uses_the_other_word() -> None:
    SynonymGroup.objects.create(terms="异地就医备案\n异地备案")
    SynonymGroup.objects.create(terms="家庭共济, 共济")
    SynonymGroup.objects.create(terms="个人账户、个账")
    SynonymGroup.objects.create(terms="普通门诊\n门诊统筹")
    publish_entry("退休人员在外地长期居住，怎样办理异地就医备案？", "<p>在线提交即可。</p>", topic_code="offsite-care")
    publish_entry("家庭共济可以绑定几个人？", "<p>最多七人。</p>", topic_code="family-sharing")
    publish_entry("个人账户余额在哪里查询？", "<p>在首页查看。</p>", topic_code="family-sharing")
    publish_entry("职工普通门诊的起付标准是多少？", "<p>一级200元。</p>")
    assert _slugs("异地备案咋弄") and Client().get("/api/v1/qa/search", {"q": "异地备案咋弄"}).json()["results"][0][
        "question"
    ].endswith("异地就医备案？")
    for query, question in [
        ("共济能绑几个", "家庭共济可以绑定几个人？"),
        ("个账余额", "个人账户余额在哪里查询？"),
        ("门诊统筹起付线", "职工普通门诊的起付标准是多少？"),
    ]:
        results = Client().get("/api/v1/qa/search", {"q": query}).json()["results"]
        assert results and results[0]["question"] == question, query


def test_a_match_in_the_question_outranks_one_in_the_answer() -> None:
    in_answer = publish_entry("怎样查询缴费记录？", "<p>可以在窗口或网上查询。提到了追溯码也没关系。</p>", slug="a")
    in_question = publish_entry("药品追溯码是什么？", "<p>每盒药上的唯一编码。</p>", slug="b")
    results = search_entries(query="追溯码", region=None).hits
    assert [hit.entry.pk for hit in results] == [in_question.pk, in_answer.pk]


def test_results_follow_the_residents_region(resident_api) -> None:  # type: ignore[no-untyped-def]
    huaibei = factories.region("340600", "淮北市")
    maanshan = factories.region("340500", "马鞍山市")
    publish_entry("居民门诊每年最多报多少？（淮北）", "<p>150元。</p>", regions=[huaibei], slug="hb")
    publish_entry("居民门诊每年最多报多少？（马鞍山）", "<p>330元。</p>", regions=[maanshan], slug="mas")
    publish_entry("居民门诊在哪里看病能报销？", "<p>基层医疗机构。</p>", slug="all")
    assert set(_slugs("居民门诊", "340600")) == {"hb", "all"}
    assert set(_slugs("居民门诊", "340500")) == {"mas", "all"}
    assert set(_slugs("居民门诊")) == {"hb", "mas", "all"}
    # A signed-in resident gets their own region without asking.
    resident = factories.person(region_code="340500")
    body = resident_api(resident).get("/api/v1/qa/search", {"q": "居民门诊"}).json()
    assert body["region"] == "340500"
    assert {hit["question"] for hit in body["results"]} == {
        "居民门诊每年最多报多少？（马鞍山）",
        "居民门诊在哪里看病能报销？",
    }


def test_matched_words_are_highlighted_and_the_html_is_escaped() -> None:
    SynonymGroup.objects.create(terms="个人账户\n个账")
    publish_entry("个人账户的钱能买<药>吗？", "<p>可以在定点药店用个人账户支付药费。</p>", slug="hl")
    hit = Client().get("/api/v1/qa/search", {"q": "个账 药"}).json()["results"][0]
    assert hit["question_html"] == "<mark>个人账户</mark>的钱能买&lt;<mark>药</mark>&gt;吗？"
    assert "<mark>个人账户</mark>支付" in hit["snippet_html"]


def test_nothing_found_is_an_empty_list_and_is_logged_for_editors() -> None:
    publish_entry("职工门诊统筹的起付线是多少？", "<p>一级200元。</p>")
    for query in ["今天天气怎么样", "火车票改签", "zzzz"]:
        body = Client().get("/api/v1/qa/search", {"q": query}).json()
        assert body["count"] == 0 and body["results"] == [], query
    assert SearchLog.objects.filter(results=0).count() == 3
    page = Client().get("/qa/search/", {"q": "火车票改签"})
    assert page.status_code == 200 and "没有找到相关问答" in page.content.decode()


def test_an_empty_or_overlong_query_is_handled() -> None:
    assert Client().get("/api/v1/qa/search", {"q": "  "}).json()["count"] == 0
    response = Client().get("/api/v1/qa/search", {"q": "门诊" * 150})
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    assert Client().get("/api/v1/qa/search").json()["code"] == "invalid_input"


def test_search_works_the_same_on_the_html_page(demo_qa: dict[str, EntryPage]) -> None:
    page = Client().get("/qa/search/", {"q": "个账能给爸妈用吗"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<mark>" in html and 'class="hit"' in html


def test_public_pages_list_topics_and_entries(demo_qa: dict[str, EntryPage]) -> None:
    home = Client().get("/qa/")
    assert home.status_code == 200 and "家庭共济" in home.content.decode()
    topic = Client().get("/qa/family-sharing/")
    assert topic.status_code == 200
    entry = next(e for e in demo_qa.values() if e.get_parent().slug == "family-sharing")
    assert entry.title in topic.content.decode()
    detail = Client().get(f"/api/v1/qa/entries/{entry.pk}").json()
    assert detail["topic"]["code"] == "family-sharing" and detail["related"]
    listing = Client().get("/api/v1/qa/entries", {"topic": "family-sharing"}).json()
    assert entry.pk in [e["id"] for e in listing["results"]] and listing["next"] is None
    english = Client().get("/api/v1/qa/topics", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "Family account sharing" in [t["name"] for t in english["topics"]]


def test_the_entries_come_a_page_at_a_time_newest_first(demo_qa: dict[str, EntryPage]) -> None:
    first = Client().get("/api/v1/qa/entries", {"limit": 5}).json()
    assert len(first["results"]) == 5 and first["previous"] is None and first["next"]
    seen = [e["id"] for e in first["results"]]
    url = first["next"]
    while url:
        page = Client().get(url).json()
        seen += [e["id"] for e in page["results"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    assert set(seen) == {e.pk for e in demo_qa.values()} - set(_not_in_force())


def _not_in_force() -> list[int]:
    from portal.qa.selectors import entries_in_force

    return list(
        EntryPage.objects.exclude(pk__in=entries_in_force(region=None).values("pk")).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    ("query", "field"), [({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"cursor": "nope"}, "cursor")]
)
def test_bad_paging_of_entries_is_invalid_input(demo_qa: dict[str, EntryPage], query, field) -> None:
    response = Client().get("/api/v1/qa/entries", query)
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    assert set(response.json()["details"]["fields"]) == {field}


def test_an_unknown_topic_is_not_found(demo_qa: dict[str, EntryPage]) -> None:
    response = Client().get("/api/v1/qa/entries", {"topic": "no-such-topic"})
    assert response.status_code == 404 and response.json()["code"] == "qa_entry_not_found"
