"""The account statement (消费明细): API and page, filters and paging, money on hold shown as on hold (also on
the home page), family sharing, and a browser journey."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payments.online import confirm
from payments.online.models import OnlineOrder
from portal.family.deduction import family_deduct
from portal.ledger.models import LedgerAccount, LedgerEntry
from portal.ledger.selectors import personal_account
from portal.ledger.services import Leg, ledger_post, region_account
from portal.people.models import Person
from portal.people.services import person_user
from tests import factories
from tests.portal.browser import BROWSER_TESTS, shot, sign_in

URL = "/api/v1/me/statement"


def held_bill(
    person: Person, *, personal_fen: int = 92_050, cash_fen: int = 1_000, payer: Person | None = None
) -> OnlineOrder:
    """An internet-hospital bill whose cash part is awaited: its personal-account part held, as
    ``payments.online.pay._hold_insurance`` does it."""
    terminal, _ = factories.terminal(of=factories.institution(kind="internet_hospital", level="3"), kind="system")
    order = OnlineOrder.objects.create(
        institution=terminal.institution,
        terminal=terminal,
        person=person,
        idempotency_key=f"statement-{person.pk}-{personal_fen}",
        request_hash="-",
        description="复诊",
        service_date=timezone.localdate(),
        status=OnlineOrder.Status.AWAITING_CASH,
        total_fen=personal_fen + cash_fen,
        personal_fen=personal_fen,
        cash_fen=cash_fen,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    held = region_account(region=person.region, kind=LedgerAccount.Kind.HELD)
    hold = family_deduct(payer=person, amount_fen=personal_fen, to_account_id=held.pk, reference=order.number)
    OnlineOrder.objects.filter(pk=order.pk).update(hold_transaction=hold, out_trade_no=order.number)
    order.refresh_from_db()
    return order


def browser_test(test: Any) -> Any:
    """The browser marks (tests/portal/browser.py) on one test of a module whose other tests need no browser."""
    for mark in BROWSER_TESTS:
        test = mark(test)
    return test


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person_user(person=person))
    return client


@pytest.mark.django_db
class TestApi:
    def test_money_on_hold_is_frozen_with_its_bill_not_a_payment(self, resident_api: Any) -> None:
        me = factories.person(balance_fen=100_000)
        order = held_bill(me)
        body = resident_api(me).get(URL).json()
        first = body["results"][0]
        assert first["state"] == "frozen" and first["category"] == "hold"
        assert first["title"] == f"冻结中（待支付订单 {order.number}）"
        assert first["bill"] == order.number and first["bill_kind"] == "order"
        assert first["amount"] == {"fen": -92_050, "yuan": "-920.50"}
        assert body["results"][1]["category"] == "allocation" and body["balance"]["fen"] == 7_950

    def test_a_paid_bill_turns_the_hold_into_a_payment(self, resident_api: Any) -> None:
        me = factories.person(balance_fen=100_000)
        order = held_bill(me)
        assert (
            confirm.cash_confirmed(order_number=order.number, transaction_id="T1", amount_fen=1_000, source="test")
            == "settled"
        )
        first = resident_api(me).get(URL, headers={"Accept-Language": "en"}).json()["results"][0]
        assert (first["state"], first["category"], first["title"]) == (
            "done",
            "payment",
            f"Payment (bill {order.number})",
        )

    def test_a_closed_bill_shows_the_hold_given_back(self, resident_api: Any) -> None:
        me = factories.person(balance_fen=100_000)
        order = held_bill(me)
        assert confirm._close_locked(number=order.number, reason="test") == "closed"
        results = resident_api(me).get(URL).json()["results"]
        assert [(r["state"], r["category"]) for r in results[:2]] == [("done", "hold"), ("released", "hold")]
        assert results[0]["title"].startswith("解冻退回") and results[0]["amount"]["fen"] == 92_050
        held_only = resident_api(me).get(URL, {"kind": "hold"}).json()["results"]
        assert len(held_only) == 2

    def test_filters_by_kind_year_and_month(self, resident_api: Any) -> None:
        me = factories.person(balance_fen=50_000)
        shop = region_account(region=me.region, kind=LedgerAccount.Kind.FUND)
        ledger_post(
            kind="payment", legs=[Leg(personal_account(person=me).pk, -1_000), Leg(shop.pk, 1_000)], beneficiary=me
        )
        api = resident_api(me)
        assert [r["category"] for r in api.get(URL, {"kind": "payment"}).json()["results"]] == ["payment"]
        assert [r["category"] for r in api.get(URL, {"kind": "allocation"}).json()["results"]] == ["allocation"]
        now = timezone.localdate()
        assert len(api.get(URL, {"year": now.year, "month": now.month}).json()["results"]) == 2
        other_month = 1 if now.month != 1 else 2
        assert api.get(URL, {"year": now.year, "month": other_month}).json()["results"] == []
        assert api.get(URL, {"year": now.year - 1}).json()["results"] == []

    @pytest.mark.parametrize(
        "params",
        [
            {"month": "13", "year": "2026"},
            {"month": "3"},
            {"kind": "bribe"},
            {"cursor": "abc"},
            {"year": "20x6"},
            {"limit": "0"},
            {"limit": "101"},
        ],
    )
    def test_bad_filters_are_refused_with_the_field_named(self, resident_api: Any, params: dict[str, str]) -> None:
        response = resident_api(factories.person()).get(URL, params)
        assert response.status_code == 400 and response.json()["code"] == "invalid_input"

    def test_pages_follow_the_cursor(self, resident_api: Any) -> None:
        from portal.ledger.services import personal_account_allocate

        me = factories.person()
        for n in range(5):
            personal_account_allocate(person=me, amount_fen=100 + n, reference=f"p{n}")
        api = resident_api(me)
        first = api.get(URL, {"limit": 2}).json()
        second = api.get(first["next"]).json()
        third = api.get(second["next"]).json()
        amounts = [r["amount"]["fen"] for page in (first, second, third) for r in page["results"]]
        assert amounts == [104, 103, 102, 101, 100] and third["next"] is None and first["previous"] is None
        assert all(page["has_personal_account"] and page["balance"]["fen"] == 510 for page in (first, second, third))

    def test_the_cursor_keeps_the_filters(self, resident_api: Any) -> None:
        from portal.ledger.services import personal_account_allocate

        me = factories.person(balance_fen=10_000)
        for n in range(3):
            personal_account_allocate(person=me, amount_fen=100 + n, reference=f"p{n}")
        api = resident_api(me)
        first = api.get(URL, {"kind": "allocation", "limit": 2}).json()
        second = api.get(first["next"]).json()
        assert [r["category"] for page in (first, second) for r in page["results"]] == ["allocation"] * 4
        assert second["next"] is None

    def test_without_a_personal_account_the_page_is_empty_and_bad_paging_still_refused(self, resident_api: Any) -> None:
        api = resident_api(factories.person(insurance_type="resident"))
        body = api.get(URL).json()
        assert body == {"has_personal_account": False, "balance": None, "results": [], "next": None, "previous": None}
        assert api.get(URL, {"limit": "0"}).json()["code"] == "invalid_input"

    def test_family_sharing_shows_whom_it_was_paid_for_and_each_sees_only_their_own(self, resident_api: Any) -> None:
        parent = factories.person(name="李父", balance_fen=100_000)
        child = factories.person(name="李子", insurance_type="resident")
        factories.bound_to(child, [parent])
        order = held_bill(child, personal_fen=3_000)
        mine = resident_api(parent).get(URL).json()["results"][0]
        assert mine["category"] == "family" and mine["state"] == "frozen"
        assert mine["for_person"] == {"id": child.pk, "name": "李子"} and mine["bill"] == order.number
        theirs = resident_api(child).get(URL).json()
        assert theirs["has_personal_account"] is False and theirs["results"] == []

    def test_an_outsider_signed_out_is_refused(self, api: Any) -> None:
        assert api.get(URL).status_code == 401

    def test_the_answer_fits_the_published_schema(self, api: Any, resident_api: Any) -> None:
        import jsonschema

        from tests.portal.diseases.test_api_contract import _plain

        document = api.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
        me = factories.person(balance_fen=100_000)
        held_bill(me)
        schema = document["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.validate(resident_api(me).get(URL).json(), _plain(schema, document["components"]["schemas"]))


@pytest.mark.django_db
class TestPage:
    def test_the_page_shows_money_on_hold_with_a_link_to_its_bill(self) -> None:
        me = factories.person(balance_fen=100_000)
        order = held_bill(me)
        page = signed_in(me).get("/statement/").content.decode()
        assert f"冻结中（待支付订单 {order.number}）" in page and f'href="/payments/orders/{order.number}"' in page
        assert "-920.50" not in page and "冻结 920.50" in page

    def test_the_home_page_shows_frozen_money_as_on_hold_not_paid(self) -> None:
        me = factories.person(balance_fen=100_000)
        order = held_bill(me)
        page = signed_in(me).get("/").content.decode()
        assert f"冻结中（待支付订单 {order.number}）" in page and "-920.50" not in page
        assert 'href="/statement/"' in page and 'href="/insurance/"' in page
        assert 'href="/institutions/"' in page and 'href="/add-to-home-screen"' in page

    @pytest.mark.parametrize(
        "query, message",
        [
            ("month=13&year=2026", "月份应为1到12"),
            ("month=3", "请先选择年份"),
            ("kind=bribe", "没有这种类型"),
            ("before=abc", "页码无效"),
            ("year=99999", "年份无效"),
            ("year=%00", ""),
        ],
    )
    def test_bad_filters_are_named_and_ignored_never_an_error(self, query: str, message: str) -> None:
        response = signed_in(factories.person(balance_fen=1_000)).get(f"/statement/?{query}")
        assert response.status_code in (200, 400)
        if message:
            assert response.status_code == 200 and message in response.content.decode()

    def test_older_entries_are_a_link_away_and_the_filters_stay(self) -> None:
        from portal.ledger.services import personal_account_allocate

        me = factories.person()
        for n in range(25):
            personal_account_allocate(person=me, amount_fen=100 + n, reference=f"p{n}")
        client = signed_in(me)
        year = timezone.localdate().year
        page = client.get(f"/statement/?year={year}&kind=allocation").content.decode()
        assert page.count('data-testid="entry"') == 20
        smallest = LedgerEntry.objects.filter(account__person=me).order_by("-id")[19].pk
        link = f"?year={year}&amp;kind=allocation&amp;before={smallest}"
        assert link in page
        older = client.get(f"/statement/?year={year}&kind=allocation&before={smallest}").content.decode()
        assert older.count('data-testid="entry"') == 5 and "最新记录" in older

    def test_without_a_personal_account_it_says_so_in_english(self) -> None:
        me = factories.person(insurance_type="resident")
        client = signed_in(me)
        client.cookies["django_language"] = "en"
        page = client.get("/statement/").content.decode()
        assert "You have no personal account" in page
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in page.split("<main>")[1].split("</main>")[0])

    def test_signed_out_visitors_are_sent_to_sign_in(self) -> None:
        response = Client().get("/statement/")
        assert response.status_code == 302 and response["Location"] == "/signin?next=/statement/"


@browser_test
def test_statement_journey_in_the_browser(page: Any) -> None:
    me = factories.person(name="赵敏", phone="13900007001", balance_fen=100_000)
    order = held_bill(me)
    sign_in(page, me.phone)
    frozen = page.get_by_test_id("entry").first
    assert "冻结中" in frozen.inner_text() and "-920.50" not in page.content()
    shot(page, "statement-home-frozen")
    page.get_by_role("link", name="消费明细").click()
    page.wait_for_url("**/statement/")
    assert page.get_by_test_id("balance").inner_text() == "¥79.50"
    shot(page, "statement-list")
    page.get_by_label("类型").select_option("allocation")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/statement/?*kind=allocation*")
    assert page.get_by_test_id("entry").count() == 1 and "划入" in page.get_by_test_id("entry").inner_text()
    shot(page, "statement-filtered")
    page.goto("/statement/?month=13&year=2026")
    assert page.get_by_role("alert").first.is_visible()
    shot(page, "statement-bad-filter")
    page.goto("/statement/")
    page.get_by_role("link", name=f"冻结中（待支付订单 {order.number}）").click()
    page.wait_for_url(f"**/payments/orders/{order.number}")
    shot(page, "statement-bill-of-frozen-money")
