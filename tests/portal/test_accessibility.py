"""axe-core (4.12, via axe-playwright-python) on every resident page in the standard, 长辈模式 and English
views: no critical or serious violation, and headings in order. The totals per page and view go to
artifacts/axe.json and are printed, for the notes.

One test visits everything (about 70 axe runs) so the data is built once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from portal.offsite.services import current_commitment, filing_create
from portal.qa.models import EntryPage
from portal.qa.services import load_demo_content
from tests import factories
from tests.payments.online_helpers import deductible_met, hospital_client, patient, upload
from tests.portal.browser import BROWSER_TESTS, SHOTS, sign_in
from vouchers.models import Voucher
from vouchers.services import voucher_issue

pytestmark = BROWSER_TESTS

VIEWS = {
    "standard": [],
    "elderly": [{"name": "elderly", "value": "1"}],
    "english": [{"name": "django_language", "value": "en"}],
}
SERIOUS = {"critical", "serious"}
# Moderate, but asked for by name: headings in order (and every control named: button-name, label, ... are
# critical or serious already).
ALSO = {"heading-order", "page-has-heading-one"}


def pages(order: str, filing: int, entry: str) -> Iterator[str]:
    yield from [
        "/signin", "/", "/voucher", "/voucher/activate", "/payments/", f"/payments/orders/{order}",
        "/family/", "/family/sharing/", "/family/sharing/bind", "/family/relatives/", "/family/relatives/add",
        "/offsite/", "/offsite/new/category", "/offsite/new/destination?province=340000", "/offsite/new/dates",
        "/offsite/new/address", f"/offsite/{filing}/change", f"/offsite/{filing}/cancel", "/diseases/",
        "/insurance/", "/statement/", "/institutions/", "/add-to-home-screen", "/qa/", "/qa/search/?q=门诊报销",
        entry,
    ]  # fmt: skip


def test_no_critical_or_serious_violation_on_any_page_in_any_view(page: Any, live_server: Any) -> None:
    factories.region("340600", "淮北市")
    load_demo_content(progress=lambda _: None)
    me = patient(name="王建国", phone="13900008001", insurance_type="employee", balance_fen=50_000)
    voucher_issue(person=me, channel=Voucher.Channel.APP)
    deductible_met(me)
    order = upload(hospital_client(), me, amounts=(30_000,)).json()["order"]
    filing = filing_create(
        person=me,
        filed_by=me,
        category_code="temporary_trip",
        destination_code="310100",
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + timedelta(days=10),
        contact_address="上海市浦东新区",
        commitment_version=current_commitment().version,
    )
    entry = EntryPage.objects.live().first().url
    sign_in(page, me.phone)
    page.goto("/offsite/new")
    page.get_by_label("临时外出就医人员").check()
    page.get_by_role("button", name="继续", exact=True).click()
    page.wait_for_url("**/destination")
    page.get_by_label("您要去哪个城市就医？").fill("上海")
    page.get_by_role("button", name="继续", exact=True).click()
    page.wait_for_url("**/dates")

    axe = Axe()
    totals: dict[str, dict[str, dict[str, int]]] = {}
    failures: list[str] = []
    for view, cookies in VIEWS.items():
        page.context.clear_cookies(name="elderly")
        page.context.clear_cookies(name="django_language")
        page.context.add_cookies([{**c, "url": live_server.url} for c in cookies])
        for path in pages(order, filing.pk, entry):
            page.goto(path)
            page.wait_for_load_state("load")
            results = axe.run(page).response
            counts: dict[str, int] = {}
            for violation in results["violations"]:
                impact = violation["impact"] or "minor"
                counts[impact] = counts.get(impact, 0) + len(violation["nodes"])
                if impact in SERIOUS or violation["id"] in ALSO:
                    where = "; ".join(n["target"][0] for n in violation["nodes"][:3])
                    failures.append(f"{view} {path}: {violation['id']} ({impact}) x{len(violation['nodes'])}: {where}")
            totals.setdefault(path, {})[view] = counts
    SHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SHOTS.parent / "axe.json").write_text(json.dumps(totals, ensure_ascii=False, indent=1))
    for path, views in totals.items():
        print(path, {view: sum(c.get(i, 0) for i in SERIOUS) for view, c in views.items()})
    assert not failures, "\n".join(failures)


@pytest.fixture(autouse=True)
def _no_stale_report() -> None:
    (SHOTS.parent / "axe.json").unlink(missing_ok=True)
