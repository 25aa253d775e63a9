"""Browser fixtures for the web-page tests (see tests/portal/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from tests.portal.browser import CHROMIUM
from vouchers.keys import ring_reset


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Chromium for one test. Playwright's sync API runs an event loop in the test thread while it is
    started; it is stopped again before the database fixtures tear down and restore, which must not see
    a running loop (Django then finds another connection object, without the serialized test data)."""
    from playwright.sync_api import sync_playwright

    # The ORM calls of the test body are ordinary blocking ones, beside Playwright's loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        connections.close_all()  # the test body's connections, opened beside the loop
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    ring_reset()
    context = browser.new_context(viewport={"width": 360, "height": 780}, base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    yield page
    page.goto("about:blank")  # no request left running in the live server when the database is emptied
    context.close()
    ring_reset()
