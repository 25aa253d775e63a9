"""Q&A by region in a real browser (Debian's Chromium, 360x780): the region shown and chosen, the "no
answer for this region" notice with the general and other regions' answers marked, the back link, and the
vote's thank-you in view, with and without JavaScript. Screenshots: artifacts/screenshots/qa-region-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from portal.qa.services import load_demo_content
from tests import factories
from tests.portal.browser import BROWSER_TESTS, SHOTS, shot, sign_in
from vouchers.models import Voucher
from vouchers.services import voucher_issue

pytestmark = BROWSER_TESTS

VIEWPORT_HEIGHT = 780


@pytest.fixture
def demo_qa() -> None:
    factories.region("340600", "淮北市")
    factories.region("340500", "马鞍山市")
    load_demo_content(progress=lambda _: None)


def in_viewport(locator: Any) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT_HEIGHT


def viewport_shot(page: Any, name: str) -> None:
    """What the resident sees without scrolling (the full-page shot hides where the page stands)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_maanshan_retiree_is_told_there_is_no_local_answer_and_sees_the_others_marked(
    page: Any, demo_qa: None
) -> None:
    person = factories.person(name="陈桂兰", phone="13900007777", region_code="340500")
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    sign_in(page, "13900007777")
    page.goto("/qa/")
    assert page.get_by_test_id("qa-region").inner_text() == "马鞍山市（您的参保地）"
    page.get_by_label("用您自己的话提问").fill("退休了去药店买药能报吗")
    page.get_by_role("button", name="搜索").click()
    notice = page.get_by_test_id("no-local-answer")
    assert notice.is_visible() and "本地区暂无这个问题的解答" in notice.inner_text()
    assert page.get_by_role("heading", name="通用解答").is_visible()
    assert page.locator("li.hit .tag.general").first.is_visible()
    others = page.get_by_test_id("other-regions")
    assert others.locator(".tag.other").first.inner_text() == "其他地区：淮北市"
    shot(page, "qa-region-no-local-answer")
    # A question Ma'anshan does answer: its own answer first, marked with the city.
    page.get_by_label("用您自己的话提问").fill("居民门诊一年最多报多少")
    page.get_by_role("button", name="搜索").click()
    assert page.get_by_role("heading", name="马鞍山市的解答").is_visible()
    assert page.locator("li.hit").first.locator(".tag.local").inner_text() == "马鞍山市"
    assert page.get_by_test_id("no-local-answer").count() == 0
    shot(page, "qa-region-local-answer")
    # Huaibei's rule, opened from the other regions' answers, says it does not apply in Ma'anshan.
    page.goto("/qa/search/?q=退休了去药店买药能报吗")
    page.get_by_test_id("other-regions").locator("a").first.click()
    applies = page.get_by_test_id("applies")
    assert "这是淮北市的规定，不适用于马鞍山市。" in applies.inner_text() and in_viewport(applies)
    shot(page, "qa-region-other-region-entry")


def test_a_visitor_not_signed_in_sees_the_region_and_chooses_one(page: Any, demo_qa: None) -> None:
    page.goto("/qa/")
    assert page.get_by_test_id("qa-region").inner_text() == "所有地区"
    assert page.get_by_text("还没有选择地区").is_visible()
    chooser = page.get_by_label("看哪个地区的解答")
    assert chooser.is_visible()  # open while nothing is chosen
    shot(page, "qa-region-not-chosen")
    page.get_by_label("用您自己的话提问").fill("居民门诊一年最多报多少")
    page.get_by_role("button", name="搜索").click()
    assert page.locator(".tag.regional", has_text="仅限淮北市").first.is_visible()  # "本市" rules are marked
    chooser = page.get_by_label("看哪个地区的解答")
    chooser.select_option("340500")
    page.get_by_role("button", name="确定").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("qa-region").inner_text() == "马鞍山市"
    assert page.get_by_label("用您自己的话提问").input_value() == "居民门诊一年最多报多少"  # the question is kept
    assert page.get_by_role("heading", name="马鞍山市的解答").is_visible()
    shot(page, "qa-region-chosen")
    # Remembered on the other Q&A pages; the other regions' questions are set apart.
    page.goto("/qa/employees-outpatient/")
    assert page.get_by_test_id("qa-region").inner_text() == "马鞍山市"
    assert page.get_by_text("马鞍山市职工医保门诊统筹的年度支付限额是多少？").is_visible()
    page.get_by_text("其他地区的问题").click()
    assert page.locator(".tag.other").first.is_visible()
    shot(page, "qa-region-topic")
    # An address with a code that is no region: said plainly, and the page still works.
    response = page.goto("/qa/?region=999999")
    assert response is not None and response.status == 200
    assert "没有地区代码为“999999”的地区" in page.get_by_role("alert").inner_text()
    assert page.get_by_test_id("qa-region").inner_text() == "马鞍山市"  # the earlier choice stands
    shot(page, "qa-region-unknown-code")
    # In English, the region's name is the national list's English name, and the words around it English too.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto("/qa/search/?q=退休了去药店买药能报吗")
    assert page.get_by_text("No answer for this region yet").is_visible()
    assert page.locator(".tag.other").first.inner_text() == "Other region: Huaibei"
    shot(page, "qa-region-english")


def test_an_entry_links_back_to_the_results_and_the_thank_you_is_in_view(page: Any, demo_qa: None) -> None:
    page.goto("/qa/search/?q=个账能给爸妈用吗&region=340600")
    page.locator("li.hit a").first.click()
    back = page.get_by_test_id("back-link")
    assert back.inner_text() == "‹ 返回搜索结果" and in_viewport(back)
    page.get_by_role("button", name="有帮助", exact=True).click()
    page.wait_for_url("**#feedback-result")
    thanks = page.locator("#feedback-result")
    assert thanks.inner_text() == "谢谢您的反馈！"
    assert thanks.get_attribute("role") == "status"
    assert in_viewport(thanks), thanks.bounding_box()
    assert page.evaluate("document.activeElement.id") == "feedback-result"
    viewport_shot(page, "qa-region-thanks")
    page.get_by_role("link", name="返回搜索结果").last.click()
    page.wait_for_url("**/qa/search/**")
    assert page.locator("li.hit").count() >= 1 and page.get_by_test_id("qa-region").inner_text() == "淮北市"


def test_without_javascript_the_vote_still_lands_on_its_thank_you(
    browser: Any, live_server: Any, demo_qa: None
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": VIEWPORT_HEIGHT},
        base_url=live_server.url,
        locale="zh-CN",
        java_script_enabled=False,
    )
    page = context.new_page()
    try:
        page.goto("/qa/family-sharing/")
        page.locator("ul.plain a").first.click()
        assert page.get_by_test_id("back-link").inner_text() == "‹ 返回“家庭共济”"
        page.get_by_label("想补充什么（可不填）").fill("字再大一点就好了")
        page.get_by_role("button", name="没帮助").click()
        page.wait_for_url("**#feedback-result")
        thanks = page.locator("#feedback-result")
        assert thanks.inner_text() == "谢谢您的反馈！" and in_viewport(thanks), thanks.bounding_box()
        viewport_shot(page, "qa-region-thanks-no-js")
    finally:
        page.goto("about:blank")
        context.close()
