"""Q&A by region: every page says whose answers it shows and lets visitors change it; a region without an
answer is told so, then sees the general and other regions' answers marked; entries link back; the vote's
outcome is shown where the redirect after it lands."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from portal.institutions.models import Region
from portal.qa.models import EntryPage, SearchLog
from portal.qa.region_pages import FEEDBACK_COOKIE
from portal.qa.selectors import REGION_COOKIE, regional_search
from portal.qa.services import load_demo_content
from tests import factories
from tests.portal.qa_helpers import publish_entry

pytestmark = pytest.mark.django_db

RETIREE_QUESTION = "退休了去药店买药能报吗"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


@pytest.fixture
def demo_qa() -> dict[str, EntryPage]:
    factories.region("340600", "淮北市")
    factories.region("340500", "马鞍山市")
    load_demo_content(progress=lambda _: None)
    return {entry.slug: entry for entry in EntryPage.objects.all()}


def _signed_in(region_code: str) -> Client:
    from portal.people.services import person_user

    client = Client()
    client.force_login(person_user(person=factories.person(region_code=region_code)))
    return client


def _section(html: str, marker: str, end: str = 'class="card') -> str:
    """The element whose opening tag holds ``marker``, up to ``end`` (the next card)."""
    start = html.index(marker)
    return html[start : html.find(end, start + len(marker))]


def test_a_maanshan_retiree_is_told_there_is_no_local_answer_then_sees_general_and_other_answers_marked(
    demo_qa: dict[str, EntryPage],
) -> None:
    maanshan = factories.region("340500", "马鞍山市")
    result = regional_search(query=RETIREE_QUESTION, region=maanshan)
    assert result.answered is False
    assert result.hits and all(hit.scope == "general" for hit in result.hits)
    assert result.others and {hit.scope for hit in result.others} == {"other"}
    assert result.others[0].region_names == ["淮北市"]
    # Signed in in Ma'anshan, without choosing anything: the page says so, plainly, then marks each answer.
    response = _signed_in("340500").get("/qa/search/", {"q": RETIREE_QUESTION})
    html = response.content.decode()
    assert response.status_code == 200
    assert "马鞍山市（您的参保地）" in html
    assert "本地区暂无这个问题的解答" in html
    assert html.index("本地区暂无这个问题的解答") < html.index("通用解答") < html.index("其他地区的解答")
    assert "其他地区：淮北市" in _section(html, 'data-testid="other-regions"')
    assert "/employee-outpatient-pharmacy/" in _section(html, 'data-testid="other-regions"')
    # Editors see it among the failed searches, with the region.
    log = SearchLog.objects.get(query=RETIREE_QUESTION)
    assert log.results == 0 and log.region == maanshan


def test_a_question_the_region_answers_shows_its_own_answer_first(demo_qa: dict[str, EntryPage]) -> None:
    html = Client().get("/qa/search/", {"q": "居民门诊一年最多报多少", "region": "340500"}).content.decode()
    assert "本地区暂无" not in html
    assert "马鞍山市的解答" in html
    first = html[html.index('class="hit"') :]
    first = first[: first.index("</li>")]
    assert "/resident-outpatient-other-region/" in first and 'class="tag local">马鞍山市' in first
    assert 'class="tag other' not in html  # Huaibei's rules are not offered as answers
    assert "region=all" in html  # but every region's answers are one link away


def test_visitors_not_signed_in_see_that_no_region_is_chosen_and_regional_rules_are_marked(
    demo_qa: dict[str, EntryPage],
) -> None:
    client = Client()
    home = client.get("/qa/").content.decode()
    assert 'data-testid="qa-region">所有地区' in home
    assert "还没有选择地区" in home and 'name="region"' in home and "马鞍山市</option>" in home
    html = client.get("/qa/search/", {"q": RETIREE_QUESTION}).content.decode()
    assert "所有地区的解答" in html and "仅限淮北市" in html and "通用解答" in html
    # A Huaibei entry read without a region says whose rule it is, and what its "本市" means.
    entry = _entry_saying(demo_qa, "本市")
    page = client.get(entry.url).content.decode()
    assert "这是淮北市的规定，其他地区可能不同。" in page
    assert "文中的“本市”指淮北市。" in page


def _entry_saying(entries: dict[str, EntryPage], words: str) -> EntryPage:
    return next(
        entry
        for entry in entries.values()
        if words in entry.answer and [region.code for region in entry.regions.all()] == ["340600"]
    )


def test_a_chosen_region_is_remembered_on_the_other_pages(demo_qa: dict[str, EntryPage]) -> None:
    client = Client()
    response = client.get("/qa/", {"region": "340500"})
    assert response.cookies[REGION_COOKIE].value == "340500"
    assert response.cookies[REGION_COOKIE]["httponly"] and response.cookies[REGION_COOKIE]["samesite"] == "Lax"
    topic = client.get("/qa/employees-outpatient/").content.decode()
    assert 'data-testid="qa-region">马鞍山市' in topic
    assert "马鞍山市职工医保门诊统筹的年度支付限额是多少？" in _section(topic, 'id="entries-title"')
    others = topic[topic.index("其他地区的问题") :]
    assert "职工医保门诊统筹一年最多能报销多少钱？" in others and "其他地区：淮北市" in others
    # A Huaibei entry read from Ma'anshan says it does not apply there.
    entry = _entry_saying(demo_qa, "本市")
    assert "这是淮北市的规定，不适用于马鞍山市。" in client.get(entry.url).content.decode()
    # "Every region" is a choice too, and is remembered as such.
    assert client.get("/qa/", {"region": "all"}).cookies[REGION_COOKIE].value == "all"
    assert 'data-testid="qa-region">所有地区' in client.get("/qa/family-sharing/").content.decode()


def test_a_signed_in_resident_starts_with_their_region_and_may_choose_another(demo_qa: dict[str, EntryPage]) -> None:
    client = _signed_in("340500")
    assert 'data-testid="qa-region">马鞍山市（您的参保地）' in client.get("/qa/").content.decode()
    html = client.get("/qa/", {"region": "340600"}).content.decode()
    assert 'data-testid="qa-region">淮北市' in html
    assert 'value="340600" selected' in html and "马鞍山市（您的参保地）</option>" in html
    assert 'data-testid="qa-region">淮北市' in client.get("/qa/family-sharing/").content.decode()


@pytest.mark.parametrize("code", ["999999", "abc", "3405", "<script>", "9" * 300, "34０５００"])
def test_an_unknown_region_code_falls_back_clearly_and_is_not_remembered(
    demo_qa: dict[str, EntryPage], code: str
) -> None:
    client = Client()
    for path in ["/qa/", "/qa/family-sharing/", "/qa/search/"]:
        response = client.get(path, {"region": code, "q": "家庭共济"})
        html = response.content.decode()
        assert response.status_code == 200, path
        assert REGION_COOKIE not in response.cookies
        assert "没有地区代码为" in html and "下面显示的是所有地区的解答" in html, path
        assert "<script>”" not in html  # echoed escaped, and shortened
    assert client.get("/api/v1/qa/search", {"q": "家庭共济", "region": code}).status_code == 200
    # A signed-in resident falls back to their own region; a spoiled cookie is ignored.
    html = _signed_in("340500").get("/qa/", {"region": code}).content.decode()
    assert "下面显示的是马鞍山市的解答" in html
    client.cookies[REGION_COOKIE] = "nonsense"
    assert client.get("/qa/").status_code == 200


def test_the_region_bar_and_notices_have_no_chinese_in_english(demo_qa: dict[str, EntryPage]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    html = client.get("/qa/search/", {"q": RETIREE_QUESTION, "region": "340500"}).content.decode()
    assert "No answer for this region yet" in html
    for part in [
        _section(html, 'class="card region-bar"', "</details>"),
        _section(html, 'data-testid="no-local-answer"', "</div>"),
    ]:
        text = re.sub(r"<[^>]+>", " ", part)
        for name in [*Region.objects.values_list("name", flat=True), RETIREE_QUESTION]:
            text = text.replace(name, "")
        assert not CJK.search(text), text
    assert "Other region: Huaibei" in html and "General answer" in html  # English names from portal.divisions
    entry = _entry_saying(demo_qa, "本市")
    page = client.get(entry.url).content.decode()
    assert "This is the rule of Huaibei; it does not apply in Ma&#x27;anshan." in page
    assert "“This city” in the answer means Huaibei." in page


def test_an_entry_links_back_to_the_search_results_or_topic_it_was_opened_from(demo_qa: dict[str, EntryPage]) -> None:
    client = Client()
    results = client.get("/qa/search/", {"q": "个账能给爸妈用吗"}).content.decode()
    link = re.search(r'class="hit"><a href="([^"]+)"', results)
    assert link is not None
    entry_url = link.group(1).replace("&amp;", "&")
    page = client.get(entry_url).content.decode()
    back = re.search(r'<a class="back" href="([^"]+)" data-testid="back-link">‹ ([^<]+)</a>', page)
    assert back is not None and back.group(2) == "返回搜索结果"
    assert back.group(1).replace("&amp;", "&").startswith("/qa/search/?q=")
    assert client.get(back.group(1).replace("&amp;", "&")).status_code == 200
    # The back link survives the vote and the region chooser (carried in the form) on the entry page.
    assert 'name="back" value="/qa/search/?q=' in page
    # Opened from its topic (or with no back address), the link goes to the topic.
    entry = next(e for e in demo_qa.values() if e.get_parent().slug == "family-sharing")
    plain = client.get(entry.url).content.decode()
    assert 'href="/qa/family-sharing/" data-testid="back-link">‹ 返回“家庭共济”' in plain
    # Only this site's Q&A addresses are followed back.
    for bad in ["https://evil.example/qa/", "//evil.example/qa/", "/admin/", "/qa/\\\\evil", "javascript:alert(1)"]:
        html = client.get(entry.url, {"back": bad}).content.decode().split("<main>")[1]
        assert 'href="/qa/family-sharing/" data-testid="back-link"' in html, bad
        assert "evil" not in html and "javascript:" not in html


def test_the_vote_lands_on_its_thank_you_which_is_announced_and_focused() -> None:
    entry = publish_entry("问题五", "<p>答案</p>", topic_code="family-sharing", slug="q5")
    client = Client(enforce_csrf_checks=True)
    token = client.get(entry.url).cookies["csrftoken"].value
    back = "/qa/search/?q=问题五"
    response = client.post(
        f"/qa/entries/{entry.pk}/feedback", {"helpful": "yes", "back": back, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(entry.url + "?back=%2Fqa%2Fsearch%2F")
    assert response["Location"].endswith("#feedback-result")
    page = client.get(response["Location"].split("#")[0])
    html = page.content.decode()
    assert re.search(r'id="feedback-result" class="thanks" role="status" tabindex="-1">谢谢您的反馈！', html)
    assert 'class="messages"' not in html  # not at the top of the page, off-screen
    assert page.cookies[FEEDBACK_COOKIE].value == ""  # shown once
    again = client.get(response["Location"].split("#")[0]).content.decode()
    assert "谢谢您的反馈" not in again and 'name="helpful"' in again
    # A refused vote says why in the same place, as an alert, with the form to try again.
    token = client.cookies["csrftoken"].value
    refused = client.post(f"/qa/entries/{entry.pk}/feedback", {"csrfmiddlewaretoken": token}, follow=True)
    html = refused.content.decode()
    assert re.search(r'id="feedback-result" class="feedback-error" role="alert" tabindex="-1">请选择', html)
    assert 'name="helpful"' in html
    # The outcome cookie is signed: a forged one shows nothing.
    client.cookies[FEEDBACK_COOKIE] = f"{entry.pk}:thanks"
    assert "谢谢您的反馈" not in client.get(entry.url).content.decode()


def test_a_vote_on_an_entry_no_longer_published_goes_to_the_q_and_a_home() -> None:
    entry = publish_entry("问题六", "<p>答案</p>", slug="q6")
    entry.unpublish()
    response = Client().post(f"/qa/entries/{entry.pk}/feedback", {"helpful": "yes"}, follow=True)
    assert response.status_code == 200 and "没有找到这条问答" in response.content.decode()
