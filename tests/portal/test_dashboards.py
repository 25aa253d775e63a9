"""Staff dashboards at /admin/dashboards/: who may open them, what the filters do, the Excel export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from portal.dashboards.registry import AREAS
from portal.people.models import User
from portal.qa.models import SearchLog
from tests import factories
from tests.payments.settlement_helpers import drug, insured, scan, settle
from vouchers.models import Voucher
from vouchers.services import voucher_issue

pytestmark = pytest.mark.django_db


def staff(*groups: str, superuser: bool = False) -> Client:
    user = User.objects.create_user(
        username=f"staff{User.objects.count()}", password="x", is_staff=True, is_superuser=superuser
    )
    user.groups.add(*Group.objects.filter(name__in=groups))
    client = Client()
    client.force_login(user)
    return client


def figures(client: Client, slug: str, **query: str) -> dict[str, list[list[str]]]:
    """The page's tables: key -> rows of the figures as printed."""
    response = client.get(f"/admin/dashboards/{slug}/", query)
    assert response.status_code == 200
    return {table.key: [[text for text, _ in row] for row in table.rows] for table in response.context["tables"]}


@pytest.fixture
def activity(terminal_api: Any) -> dict[str, Any]:
    """Huaibei: two insured (one e-voucher), a resident child whose parent's account pays at a pharmacy;
    Ma'anshan: one insured with an e-voucher; a search that found nothing."""
    child = insured(insurance_type="resident")  # 340600, e-voucher by app
    parent = factories.person(insurance_type="employee", balance_fen=3_000)
    factories.bound_to(child, [parent])
    other = factories.person(region_code="340500", name="李四")
    voucher_issue(person=other, channel=Voucher.Channel.WECHAT)
    client = terminal_api(factories.institution(kind="pharmacy"))
    assert settle(client, scan(client, child), [drug(price=5_000)]).status_code == 201
    SearchLog.objects.create(query='=HYPERLINK("http://x")', region=child.region, results=0)
    return {"child": child, "parent": parent}


@pytest.mark.parametrize("area", AREAS, ids=[a.slug for a in AREAS])
def test_each_dashboard_opens_for_its_group_and_superusers_and_is_refused_to_other_staff(area: Any) -> None:
    others = [a.group for a in AREAS if a is not area]
    for client, status in [(staff(area.group), 200), (staff(superuser=True), 200), (staff(*others), 403)]:
        assert client.get(f"/admin/dashboards/{area.slug}/").status_code == status
        assert client.get(f"/admin/dashboards/{area.slug}/export.xlsx").status_code == status


def test_someone_not_staff_is_sent_to_the_admin_sign_in_and_an_unknown_dashboard_is_refused() -> None:
    response = Client().get("/admin/dashboards/vouchers/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert staff(superuser=True).get("/admin/dashboards/nothing/").status_code == 403


def test_the_admin_index_links_only_the_dashboards_of_the_users_groups() -> None:
    page = staff("dashboards: vouchers", "dashboards: policy Q&A").get("/admin/").content.decode()
    assert 'href="/admin/dashboards/vouchers/"' in page and 'href="/admin/dashboards/qa/"' in page
    assert "/admin/dashboards/settlements/" not in page
    assert "/admin/dashboards/" not in staff().get("/admin/").content.decode()


def test_activation_rate_by_region_and_channel_follows_the_region_filter(activity: dict[str, Any]) -> None:
    client = staff("dashboards: vouchers")
    every = figures(client, "vouchers")["activation_by_region"]
    # Huaibei: the child's voucher (app) of two insured persons; Ma'anshan: one of one (WeChat).
    assert every == [["马鞍山市", "微信", "1", "1", "1", "100.0"], ["淮北市", "国家医保APP", "1", "1", "2", "50.0"]]
    huaibei = figures(client, "vouchers", region="340600")
    assert huaibei["activation_by_region"] == [every[1]]
    today = timezone.localdate()
    assert huaibei["activation_over_time"][-1] == [today.isoformat(), "50.0", "50.0"]
    assert huaibei["scans_by_business"][-1] == [today.isoformat(), "0", "0", "0", "1", "0"]


def test_the_date_range_changes_the_figures(activity: dict[str, Any]) -> None:
    client = staff("dashboards: settlements", "dashboards: family sharing")
    today = timezone.localdate()
    shown = figures(client, "settlements")["settlements_per_day"]
    assert len(shown) == 30 and shown[-1] == [today.isoformat(), "1", "50.00", "0.00"]
    # Residents get nothing from the fund at a pharmacy; the parent's account paid 30.00 of the 50.00.
    assert figures(client, "family")["paid_by_relatives"][-1] == [today.isoformat(), "1", "30.00", "0.00"]
    week_ago = (today - dt.timedelta(days=7)).isoformat()
    before = figures(client, "settlements", start=(today - dt.timedelta(days=9)).isoformat(), end=week_ago)
    assert before["settlements_per_day"] == [
        [(today - dt.timedelta(days=d)).isoformat(), "0", "0.00", "0.00"] for d in (9, 8, 7)
    ]
    assert before["settlements_by_institution"] == []
    assert figures(client, "settlements", region="340500")["settlements_by_institution"] == []


def test_reversals_refunds_and_the_review_queue_are_counted(activity: dict[str, Any], terminal_api: Any) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy", code="P34060200099"))
    number = settle(client, scan(client, person), [drug(price=2_000)]).json()["settlement"]
    assert client.post(f"/api/v1/scanner/settlements/{number}/reversal").json()["status"] == "reversed"
    shown = figures(staff("dashboards: settlements"), "settlements")
    assert shown["reversals_refunds"][-1][:3] == [timezone.localdate().isoformat(), "1", "20.00"]
    assert shown["settlements_per_day"][-1][1] == "1"  # the reversed one is not counted as settled
    assert [row[:2] for row in shown["review_queue"]] == [["待人工审核", "0"], ["审核通过", "0"], ["确认违规", "0"]]


def test_bad_filters_are_said_and_the_defaults_shown() -> None:
    today = timezone.localdate()
    response = staff("dashboards: vouchers").get(
        "/admin/dashboards/vouchers/", {"start": "2026-05-02", "end": "2026-05-01"}
    )
    assert response.status_code == 200
    assert "开始日期不能晚于结束日期" in response.content.decode()
    assert response.context["scope"].end == today and len(response.context["tables"][2].rows) == 30
    longer = staff("dashboards: vouchers").get(
        "/admin/dashboards/vouchers/", {"start": "2024-01-01", "end": "2026-01-01"}
    )
    assert "日期范围最长366天" in longer.content.decode()


@pytest.mark.parametrize("area", AREAS, ids=[a.slug for a in AREAS])
def test_the_export_holds_exactly_the_figures_the_page_shows(activity: dict[str, Any], area: Any) -> None:
    client = staff(superuser=True)
    query = {"region": "340600"}
    shown = client.get(f"/admin/dashboards/{area.slug}/", query).context["tables"]
    response = client.get(f"/admin/dashboards/{area.slug}/export.xlsx", query)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["filters"] + [table.key for table in shown]
    assert [c.value for c in book["filters"]["B"]][1] == "淮北市"
    for table in shown:
        rows = [row[: len(table.headings)] for row in book[table.key].iter_rows(values_only=True)]
        assert rows[0][0] == table.title and rows[1] == tuple(heading for heading, _ in table.headings)
        assert len(rows) - 2 == len(table.rows)
        for cells, row in zip(rows[2:], table.rows, strict=True):
            for cell, (text, numeric) in zip(cells, row, strict=True):
                if isinstance(cell, dt.datetime):
                    assert cell.date().isoformat() == text
                elif numeric:
                    assert Decimal(str(cell)) == Decimal(text)
                else:
                    assert (cell or "") == text or cell == "'" + text


def test_text_a_spreadsheet_would_run_as_a_formula_is_exported_with_an_apostrophe(activity: dict[str, Any]) -> None:
    response = staff("dashboards: policy Q&A").get("/admin/dashboards/qa/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["searches_without_results"]
    assert sheet["A3"].value == '\'=HYPERLINK("http://x")' and sheet["A3"].data_type == "s"


def test_charts_are_inline_svg_named_for_screen_readers_beside_their_table(activity: dict[str, Any]) -> None:
    page = staff(superuser=True).get("/admin/dashboards/settlements/").content.decode()
    assert page.count('<svg class="dash-chart"') == 4 and 'role="img" aria-label="每日结算与基金支出"' in page
    assert "<title>每日结算与基金支出</title>" in page and "<polyline" not in page
    assert "<script" not in page.split('id="content-main"')[1] and "http" not in page.split("<svg")[1].split("</svg>")[
        0
    ].replace("http://www.w3.org/2000/svg", "")
    english = staff(superuser=True)
    english.cookies["django_language"] = "en"
    page = english.get("/admin/dashboards/vouchers/").content.decode()
    assert "Activation rate by channel over time" in page and "<polyline" in page and "Export to Excel" in page


@pytest.mark.parametrize("area", AREAS, ids=[a.slug for a in AREAS])
def test_each_page_takes_a_bounded_number_of_queries(
    activity: dict[str, Any], area: Any, django_assert_max_num_queries: Any
) -> None:
    client = staff(superuser=True)
    client.get(f"/admin/dashboards/{area.slug}/")  # sessions, content types: warmed
    with django_assert_max_num_queries(12):
        client.get(f"/admin/dashboards/{area.slug}/", {"start": "2025-12-01", "end": "2026-11-30"})
