"""Helpers for the browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright.

Use ``pytestmark = BROWSER_TESTS`` in a test module and the ``page`` fixture (tests/portal/conftest.py):
a fresh 360x780 browser context on the live server, signed out, zh-CN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portal.signin.sms import LocmemSmsBackend

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

BROWSER_TESTS = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]


def shot(page: Any, name: str) -> None:
    """A full-page screenshot at the page's size (360x780) as artifacts/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, phone: str) -> None:
    """Sign in through the real page with the SMS code the local SMS backend captured."""
    page.goto("/signin")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    code = LocmemSmsBackend.outbox[-1]["code"]
    page.get_by_label("短信验证码").fill(code)
    shot(page, "signin")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def wait_until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression until it is true. ``page.evaluate`` runs through the DevTools protocol,
    which the page's Content-Security-Policy does not govern; ``page.wait_for_function`` compiles its
    predicate inside the page, which the policy (no 'unsafe-eval') rightly refuses."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {expression}")
