"""Each family page alone, in a real browser at 360 px: the /family/ chooser, family sharing (家庭共济) and
relatives' codes (亲情账户), each saying in one sentence what it is for, each with its own verb, in Chinese,
English and large text. Screenshots: artifacts/screenshots/family-*.png."""

from __future__ import annotations

import re
from typing import Any

from tests import factories
from tests.portal.browser import BROWSER_TESTS, shot, sign_in

pytestmark = BROWSER_TESTS

CJK = re.compile(r"[\u3400-\u9fff]")


def english(page: Any, live_server: Any) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def main_text(page: Any) -> str:
    return str(page.locator("main").inner_text())


def test_the_chooser_names_two_different_things_in_one_sentence_each(page: Any, live_server: Any) -> None:
    me = factories.person(name="王建国", insurance_type="employee", balance_fen=10_000, phone="13900006101")
    sign_in(page, me.phone)
    page.goto("/family/")  # the old address of the combined page (home links to each page directly)
    sharing, relatives = page.get_by_test_id("choose-sharing"), page.get_by_test_id("choose-relatives")
    assert sharing.inner_text().split("\n") == ["家庭共济", "让家人用我的个人账户付医药费。"]
    assert relatives.inner_text().split("\n") == ["亲情账户", "替家人出示医保码（适合没有手机的老人和孩子）。"]
    assert page.get_by_role("button").filter(has_text=re.compile("解绑|解除|移除")).count() == 0
    shot(page, "family-chooser")

    english(page, live_server)
    page.reload()
    assert page.get_by_role("heading", name="Family", exact=True).is_visible()
    assert "Let relatives pay medical bills from my personal account." in sharing.inner_text()
    assert "Show a relative's e-voucher code for them" in relatives.inner_text()
    assert not CJK.search(main_text(page))
    shot(page, "family-chooser-en")

    page.context.add_cookies([{"name": "elderly", "value": "1", "url": live_server.url}])
    page.reload()
    shot(page, "family-chooser-large-text")
    page.get_by_test_id("choose-relatives").click()
    page.wait_for_url("**/family/relatives/")


def test_the_family_sharing_page_alone(page: Any, live_server: Any) -> None:
    me = factories.person(name="王建国", insurance_type="employee", balance_fen=10_000, phone="13900006102")
    sign_in(page, me.phone)
    page.goto("/family/sharing/")
    assert page.get_by_role("heading", name="家庭共济", exact=True).is_visible()
    assert "家庭共济：让家人用我的个人账户付医药费。" in main_text(page)
    assert page.get_by_role("link", name="添加家人").get_attribute("href") == "/family/sharing/bind"
    assert "亲情账户" in page.get_by_role("link", name="亲情账户").inner_text()  # the other page, by name
    assert "移除" not in main_text(page) and "解绑" not in main_text(page)
    shot(page, "family-sharing")

    english(page, live_server)
    page.reload()
    assert "Family sharing: let relatives pay medical bills from my personal account." in main_text(page)
    assert not CJK.search(main_text(page))
    shot(page, "family-sharing-en")


def test_the_relatives_codes_page_alone(page: Any, live_server: Any) -> None:
    me = factories.person(name="王建国", insurance_type="resident", phone="13900006103")
    sign_in(page, me.phone)
    page.goto("/family/relatives/")
    assert page.get_by_role("heading", name="亲情账户", exact=True).is_visible()
    assert "亲情账户：替家人出示医保码。" in main_text(page)
    assert page.get_by_role("link", name="添加亲属").get_attribute("href") == "/family/relatives/add"
    assert "解除" not in main_text(page) and "解绑" not in main_text(page)
    shot(page, "family-relatives")

    english(page, live_server)
    page.reload()
    assert "Relatives' codes: show a relative's e-voucher code for them." in main_text(page)
    assert not CJK.search(main_text(page))
    shot(page, "family-relatives-en")


def test_a_resident_without_a_personal_account_is_told_why_they_cannot_share(page: Any) -> None:
    me = factories.person(name="赵桂兰", insurance_type="resident", phone="13900006104")
    sign_in(page, me.phone)
    page.goto("/family/sharing/")
    assert "只有有个人账户的职工参保人才能让家人用自己的账户" in page.get_by_test_id("cannot-bind").inner_text()
    assert page.get_by_role("link", name="添加家人").count() == 0
    shot(page, "family-sharing-cannot-share")
