"""The staff dashboards in Chromium at 1280x800 with the demo city: a screenshot of each
(artifacts/screenshots/dashboard-<area>.png) and axe-core with no serious or critical violation, in
Chinese and in English. One test: the demo data is built once."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

from portal.dashboards.registry import AREAS
from portal.demo.builder import DEMO_STAFF_PASSWORD, build_demo
from tests.portal.browser import BROWSER_TESTS, shot

pytestmark = BROWSER_TESTS
SERIOUS = {"critical", "serious"}


def test_every_dashboard_shows_the_demo_figures_with_no_serious_accessibility_violation(
    browser: Any, live_server: Any
) -> None:
    build_demo(households=8, progress=lambda _: None)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", "analyst")
        page.fill("#id_password", DEMO_STAFF_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        for area in AREAS:  # the admin index links every dashboard of the analyst's groups
            assert page.locator(f'#dashboards-module a[href="/admin/dashboards/{area.slug}/"]').count() == 1
        axe = Axe()
        failures: list[str] = []
        for language in ("zh-hans", "en"):
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            for area in AREAS:
                page.goto(f"/admin/dashboards/{area.slug}/")
                assert page.locator("svg.dash-chart").count() >= 1
                assert page.locator("table tbody tr").count() >= 1
                if language == "zh-hans":
                    shot(page, f"dashboard-{area.slug}")
                for violation in axe.run(page).response["violations"]:
                    if violation["impact"] in SERIOUS:
                        where = "; ".join(n["target"][0] for n in violation["nodes"][:3])
                        failures.append(f"{language} {area.slug}: {violation['id']} ({violation['impact']}): {where}")
        page.goto("/admin/")
        failures += [f"admin index: {v['id']}" for v in axe.run(page).response["violations"] if v["impact"] in SERIOUS]
        assert not failures, "\n".join(failures)
    finally:
        page.goto("about:blank")  # no request left running when the database is emptied
        context.close()
