"""The residents' web pages in a real browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright.

Screenshots of each page at 360x780 go to artifacts/screenshots/ (not committed). The fixtures
(``browser``, ``page``) are in tests/portal/conftest.py, the helpers in tests/portal/browser.py.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import zxingcpp
from PIL import Image

from portal.qa.services import ensure_qa_setup, load_demo_content
from portal.signin.sms import LocmemSmsBackend
from tests import factories
from tests.portal.browser import BROWSER_TESTS, shot, sign_in, wait_until
from vouchers import verify
from vouchers.models import Voucher
from vouchers.services import voucher_issue

pytestmark = BROWSER_TESTS


def decode_code(page: Any) -> str:
    image = Image.open(io.BytesIO(page.locator("#code").screenshot()))
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, "no QR code found in the screenshot"
    return results[0].text


def test_sign_in_with_an_sms_code_then_home(page: Any) -> None:
    person = factories.person(name="王芳", phone="13900001111", balance_fen=12_345)
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    page.goto("/")
    assert "/signin" in page.url
    page.goto("/signin")
    page.get_by_label("手机号").fill("139")
    page.get_by_role("button", name="获取验证码").click()
    assert page.get_by_role("alert").is_visible()  # the field error, in the user's language
    shot(page, "signin-error")
    sign_in(page, "13900001111")
    assert page.get_by_role("heading", name="王芳").is_visible()
    assert page.get_by_test_id("balance").inner_text() == "¥123.45"
    shot(page, "home")


def test_the_security_check_before_a_code_runs_by_itself_and_needs_no_typing(page: Any, settings: Any) -> None:
    """Past the free codes for a phone, a proof-of-work check comes first: the page solves it in the
    browser (under the Content-Security-Policy, with the page's nonce) and sends the form again."""
    from portal.signin.models import OtpChallenge

    settings.OTP_FREE_PER_PHONE = 1
    person = factories.person(phone="13900005555")
    OtpChallenge.objects.create(phone=person.phone, code_hash="x$y", expires_at=person.created_at)  # one sent earlier
    page.goto("/signin")
    page.get_by_label("手机号").fill(person.phone)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").wait_for(timeout=30_000)  # solved and sent without a click
    assert LocmemSmsBackend.outbox[-1]["phone"] == person.phone
    page.get_by_label("短信验证码").fill(LocmemSmsBackend.outbox[-1]["code"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def test_the_code_shows_refreshes_and_decodes_from_a_screenshot(page: Any) -> None:
    person = factories.person(phone="13900002222")
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    page.clock.install()
    sign_in(page, "13900002222")
    page.get_by_role("link", name="出示医保码").click()
    wait_until(page, "document.getElementById('code').dataset.generation === '1'")
    wait_until(page, "document.getElementById('code').complete && document.getElementById('code').naturalWidth > 0")
    first = decode_code(page)
    assert first.startswith("YB1:")
    # A real, signed code: the offline verifier accepts it with the published keys.
    jwks = page.request.get("/.well-known/jwks.json").json()
    assert verify.check(first, jwks=jwks, revocations=None, now=time.time())["valid"] is True
    assert "秒后自动刷新" in page.get_by_test_id("countdown").inner_text()
    shot(page, "voucher")
    # Thirty seconds later the page has fetched a new code by itself.
    page.clock.run_for(31_000)
    wait_until(page, "document.getElementById('code').dataset.generation === '2'")
    wait_until(page, "document.getElementById('code').complete")
    second = decode_code(page)
    assert second.startswith("YB1:") and second != first
    # And the refresh button gets another at once.
    page.get_by_role("button", name="刷新").click()
    wait_until(page, "document.getElementById('code').dataset.generation === '3'")
    wait_until(page, "document.getElementById('code').complete")
    assert decode_code(page) not in (first, second)


def test_elderly_mode_is_remembered_and_english_is_available(page: Any) -> None:
    ensure_qa_setup()
    person = factories.person(phone="13900003333")
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    sign_in(page, "13900003333")
    page.get_by_role("button", name="长辈模式").click()
    page.wait_for_load_state()
    assert "elderly" in page.locator("body").get_attribute("class")
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 22
    height = page.get_by_role("link", name="出示医保码").bounding_box()["height"]
    assert height >= 60  # bigger touch targets
    shot(page, "home-elderly")
    page.goto("/qa/")
    assert "elderly" in page.locator("body").get_attribute("class")  # remembered across pages
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Browse by topic").is_visible()
    page.goto("/")
    assert page.get_by_role("link", name="Show my code").is_visible()
    shot(page, "home-english-elderly")


def test_searching_the_policy_q_and_a(page: Any) -> None:
    factories.region("340600", "淮北市")
    load_demo_content(progress=lambda _: None)
    page.goto("/qa/")
    shot(page, "qa-home")
    page.get_by_label("用您自己的话提问").fill("个账能给爸妈用吗")
    page.get_by_role("button", name="搜索").click()
    first = page.locator("li.hit").first
    assert first.locator("mark").count() >= 1
    shot(page, "qa-search")
    first.locator("a").click()
    assert page.get_by_text("这个回答有帮助吗？").is_visible()
    page.get_by_role("button", name="有帮助", exact=True).click()
    assert page.get_by_text("谢谢您的反馈！").is_visible()
    shot(page, "qa-entry")


def test_a_new_user_activates_the_e_voucher_with_field_errors_in_their_language(page: Any) -> None:
    number = factories.id_number()
    factories.person(name="李娜", phone="13900004444", number=number)
    sign_in(page, "13900004444")
    page.get_by_role("link", name="出示医保码").click()
    page.get_by_role("link", name="立即激活").click()
    page.get_by_label("姓名").fill("李娜")
    page.get_by_label("身份证号").fill(factories.id_number(division="340603"))  # valid, but not hers
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(LocmemSmsBackend.outbox[-1]["code"])
    page.get_by_role("button", name="激活").click()
    error = page.locator("#id-error")
    assert error.is_visible() and "身份" in error.inner_text()
    shot(page, "activate-error")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.url}])
    page.goto("/voucher/activate")
    page.get_by_label("Full name").fill("李娜")
    page.get_by_label("Identity number").fill(number)
    page.get_by_role("button", name="Send me a code").click()  # again, too soon
    # The refusal in English, in words (a loaded machine may take a second: "59 seconds").
    assert re.search(r"try again in (1 minute|5\d seconds)", page.get_by_role("alert").inner_text())
    page.get_by_label("SMS code").fill(LocmemSmsBackend.outbox[-1]["code"])  # the first code is still good
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/voucher")
    assert page.get_by_text("Your e-voucher is active").is_visible()
    assert Voucher.objects.filter(person__phone="13900004444", status=Voucher.Status.ACTIVE).exists()


def test_the_code_page_says_whose_code_it_is_and_hides_the_code_offline_or_signed_out(page: Any) -> None:
    person = factories.person(name="王建国", phone="13900002233")
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    sign_in(page, "13900002233")
    page.goto("/voucher")
    wait_until(page, "document.getElementById('code').dataset.generation === '1'")
    assert page.get_by_role("heading", level=1).inner_text() == "医保电子凭证"
    assert page.get_by_test_id("masked-name").inner_text() == "**国"
    assert page.get_by_test_id("masked-id").inner_text() == person.id_number_masked
    assert "淮北市" in page.get_by_test_id("whose").inner_text()
    assert page.get_by_text("请调高屏幕亮度").is_visible()
    assert page.get_by_role("link", name="← 首页").is_visible()
    # The per-second countdown is for the eye; a polite live region speaks once per new code.
    assert page.get_by_test_id("countdown").get_attribute("aria-hidden") == "true"
    assert page.locator("#said").get_attribute("aria-live") == "polite"

    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    assert not page.locator("#code").is_visible()
    assert page.get_by_test_id("stopped").inner_text().startswith("网络已断开，二维码已隐藏")
    shot(page, "voucher-offline")
    assert page.get_by_role("link", name="重新显示二维码").is_visible()
    page.context.set_offline(False)  # back online: a new code by itself
    wait_until(page, "Number(document.getElementById('code').dataset.generation) >= 2")
    wait_until(page, "document.getElementById('code').complete && document.getElementById('code').naturalWidth > 0")
    assert page.locator("#code").is_visible() and not page.get_by_test_id("stopped").is_visible()
    assert decode_code(page).startswith("YB1:")

    # Signed out elsewhere (or the session ended): the next renewal hides the code and offers sign-in.
    page.context.clear_cookies()
    page.get_by_role("button", name="刷新").click()
    wait_until(page, "!document.getElementById('stopped').hidden")
    assert not page.locator("#code").is_visible()
    assert page.get_by_test_id("stopped").inner_text().startswith("登录已过期，二维码已隐藏")
    assert page.get_by_role("link", name="重新登录").get_attribute("href") == "/signin?next=%2Fvoucher"


def test_the_code_page_works_without_javascript(browser: Any, live_server: Any) -> None:
    person = factories.person(phone="13900002244")
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    context = browser.new_context(viewport={"width": 360, "height": 780}, base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    sign_in(page, "13900002244")  # with scripts, then without: the session carries over
    nojs = browser.new_context(
        viewport={"width": 360, "height": 780}, base_url=live_server.url, locale="zh-CN", java_script_enabled=False
    )
    nojs.add_cookies(context.cookies())
    bare = nojs.new_page()
    bare.goto("/voucher")
    wait_until(bare, "document.getElementById('code').complete && document.getElementById('code').naturalWidth > 0")
    assert decode_code(bare).startswith("YB1:")  # the server's image, no script needed
    assert bare.locator("noscript").first.inner_html().strip().startswith('<meta http-equiv="refresh" content="30"')
    shot(bare, "voucher-nojs")
    nojs.close()
    context.close()


def test_a_relatives_code_is_labelled_as_theirs(page: Any) -> None:
    from portal.people.services import person_id_number
    from vouchers.family import holding_register_by_staff, holding_request

    me = factories.person(name="赵强", phone="13900002255")
    mother = factories.person(name="钱秀英", phone="")
    voucher_issue(person=me, channel=Voucher.Channel.APP)
    voucher_issue(person=mother, channel=Voucher.Channel.APP)
    holding_register_by_staff(
        holding_id=holding_request(holder=me, name=mother.name, id_number=person_id_number(mother)).pk
    )
    sign_in(page, "13900002255")
    page.goto(f"/voucher?person={mother.pk}")
    wait_until(page, "document.getElementById('code').dataset.generation === '1'")
    whose = page.get_by_test_id("whose")
    assert whose.inner_text().startswith("亲情账户 · 家人的码")
    assert page.get_by_test_id("masked-name").inner_text() == "**英"
    assert page.locator("#code").get_attribute("alt") == "家人的医保电子凭证二维码"
    shot(page, "voucher-relative")
    page.goto("/voucher")
    assert "亲情账户" not in page.get_by_test_id("whose").inner_text()
