"""Sign-in without dead ends, in a real browser: a resend button that counts down, a new code in one tap once
the code expired, the code box kept when asking again too early, and post/redirect/get so reload and back
never send a form again. Screenshots: signin-*."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from portal.signin.models import OtpChallenge
from portal.signin.sms import LocmemSmsBackend
from tests import factories
from tests.portal.browser import BROWSER_TESTS, shot

pytestmark = BROWSER_TESTS


def ask_for_a_code(page: Any, phone: str) -> None:
    page.goto("/signin")
    page.get_by_label("手机号").fill(phone)
    with page.expect_navigation():
        page.get_by_role("button", name="获取验证码").click()


def test_a_wrong_code_then_reload_and_the_resend_countdown(page: Any, settings: Any) -> None:
    settings.OTP_RESEND_SECONDS = 3
    factories.person(phone="13900006001")
    ask_for_a_code(page, "13900006001")
    assert page.get_by_test_id("sent-to").inner_text() == "139****6001"
    resend = page.get_by_role("button", name="重新获取验证码")
    assert resend.is_disabled()
    assert "秒后可重新获取" in page.locator("#resend-count").inner_text()
    # The visible count is hidden from screen readers, which hear one sentence, not a number every second.
    assert page.locator("#resend-count").get_attribute("aria-hidden") == "true"
    shot(page, "signin-code")

    page.get_by_label("短信验证码").fill("000000" if LocmemSmsBackend.outbox[-1]["code"] != "000000" else "111111")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("#code-error").inner_text().startswith("验证码不正确")
    challenge = OtpChallenge.objects.get(phone="13900006001")
    assert challenge.attempts == 1
    page.reload()  # a GET: nothing is sent again, no try is used up, the error was shown once
    challenge.refresh_from_db()
    assert challenge.attempts == 1
    assert page.locator("#code-error").count() == 0 and page.get_by_label("短信验证码").is_visible()

    page.wait_for_timeout(3200)
    assert resend.is_enabled()  # the countdown ran out by itself
    with page.expect_navigation():
        resend.click()
    assert len(LocmemSmsBackend.outbox) == 2
    page.get_by_label("短信验证码").fill(LocmemSmsBackend.outbox[-1]["code"])
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/")
    page.go_back()  # back after signing in: home again, never the browser's "confirm resubmission"
    page.wait_for_url("**/")
    assert "signin" not in page.url


def test_asking_again_too_early_keeps_the_code_box(page: Any) -> None:
    factories.person(phone="13900006002")
    ask_for_a_code(page, "13900006002")
    # A second tab, or a page without scripts, sends the resend anyway.
    page.evaluate("document.getElementById('resend').disabled = false")
    with page.expect_navigation():
        page.get_by_role("button", name="重新获取验证码").click()
    message = page.locator("#code-error").inner_text()
    assert re.fullmatch(r"验证码已发送，请(1分钟|[1-5]?[0-9]秒)后再试", message), message  # never "60 秒"
    assert page.get_by_label("短信验证码").is_visible()  # the code that went is still good
    page.get_by_label("短信验证码").fill(LocmemSmsBackend.outbox[-1]["code"])
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/")


def test_an_expired_code_gets_a_new_one_in_one_tap(page: Any, live_server: Any) -> None:
    factories.person(phone="13900006003")
    ask_for_a_code(page, "13900006003")
    # Five minutes later: the code has expired, and the minute before another may be sent is long over.
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    cache.clear()
    page.get_by_label("短信验证码").fill(LocmemSmsBackend.outbox[-1]["code"])
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "验证码已过期，请重新获取"
    shot(page, "signin-expired")
    with page.expect_navigation():
        page.get_by_role("button", name="获取新的验证码").click()
    assert len(LocmemSmsBackend.outbox) == 2
    page.get_by_label("短信验证码").fill(LocmemSmsBackend.outbox[-1]["code"])
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/")

    # In English, too; and another number is one tap away.
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/signin")
    page.get_by_label("Mobile number").fill("13900006003")
    with page.expect_navigation():
        page.get_by_role("button", name="Send me a code").click()
    assert page.get_by_text("We sent a code to").is_visible()
    page.get_by_role("link", name="Use another number").click()
    assert page.get_by_label("Mobile number").input_value() == ""
