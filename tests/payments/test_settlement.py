"""Settling at the counter after a scan: end to end, audit rules, traceability codes, reversal, refunds."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from payments.benefits.selectors import year_to_date
from payments.prescriptions.models import Prescription
from payments.settlement.models import Settlement, TraceCode
from portal.family.models import FamilyBinding
from portal.ledger.selectors import account_balance, accounts_out_of_step, personal_account, unbalanced_transactions
from tests import factories
from tests.conftest import TerminalClient, needs_postgres
from tests.payments.settlement_helpers import drug, insured, prescribed, scan, settle, trace

pytestmark = pytest.mark.django_db


def test_end_to_end_show_scan_presettle_settle_receipt_reverse(resident_api, terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    account = personal_account(person=person)
    pharmacy = factories.institution(kind="pharmacy")
    client = terminal_api(pharmacy)
    # The resident shows the code from the app; the pharmacy scans it.
    shown = resident_api(person).get("/api/v1/vouchers/code").json()["code"]
    scanned = client.post("/api/v1/scanner/scan", {"code": shown, "business_type": "02121"})
    session = scanned.json()["scan_session_id"]
    items = [drug(price=15_000, quantity=2, days_supply=14)]
    rx = prescribed(person)
    preview = client.post(
        "/api/v1/scanner/settlements/preview", {"scan_session_id": session, "items": items, "prescription_id": rx}
    )
    assert preview.status_code == 200, preview.json()
    # Pharmacy follows level-1 rules: 300 - 200 deductible = 100 covered at 60% = 60 fund; 240 resident.
    assert preview.json()["totals"]["fund"]["fen"] == 6_000
    assert preview.json()["totals"]["personal_account"]["fen"] == 24_000
    assert account_balance(account_id=account.pk) == 100_000  # nothing moved
    receipt = settle(client, session, items, prescription_id=rx)
    assert receipt.status_code == 201, receipt.json()
    body = receipt.json()
    assert body["totals"] == preview.json()["totals"]
    assert body["personal_account_by_owner"][0]["amount"]["fen"] == 24_000
    assert account_balance(account_id=account.pk) == 76_000
    number = body["settlement"]
    # The resident sees the receipt and the new balance.
    mine = resident_api(person)
    assert mine.get(f"/api/v1/settlements/{number}").json()["totals"]["fund"]["fen"] == 6_000
    assert mine.get("/api/v1/me").json()["personal_account"]["balance"]["fen"] == 76_000
    assert year_to_date(person=person, year=timezone.localdate().year).deductible("outpatient") == 20_000
    # The terminal reverses it the same day: every balance and the year-to-date state come back.
    reversed_ = client.post(f"/api/v1/scanner/settlements/{number}/reversal")
    assert reversed_.status_code == 200 and reversed_.json()["status"] == "reversed"
    assert account_balance(account_id=account.pk) == 100_000
    ytd = year_to_date(person=person, year=timezone.localdate().year)
    assert (ytd.deductible("outpatient"), ytd.paid("outpatient")) == (0, 0)
    assert not TraceCode.objects.filter(status="sold").exists()
    assert Prescription.objects.get(pk=rx).uses == 0  # the reversal gave the prescription's use back
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_the_resident_share_comes_from_family_accounts_then_cash(terminal_api) -> None:
    child = insured(insurance_type="resident")
    parent = factories.person(insurance_type="employee", balance_fen=3_000)
    FamilyBinding.objects.create(
        initiator=parent,
        bound=child,
        relation="parent",
        status="active",
        consent_expires_at=timezone.now(),
        activated_at=timezone.now(),
    )
    client = terminal_api(factories.institution(kind="pharmacy"))
    body = settle(client, scan(client, child), [drug(price=5_000)]).json()
    # Residents get nothing at a pharmacy: 50.00 to pay, 30.00 from the parent's account, 20.00 cash.
    assert body["totals"]["fund"]["fen"] == 0
    assert body["totals"]["personal_account"]["fen"] == 3_000 and body["totals"]["cash"]["fen"] == 2_000
    assert body["personal_account_by_owner"] == [
        {
            "person_id": parent.pk,
            "name": parent.name[0] + "*" * (len(parent.name) - 1),
            "amount": {"fen": 3_000, "yuan": "30.00"},
        }
    ]


def test_the_same_key_and_body_return_the_first_receipt_another_body_is_refused(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    session = scan(client, person)
    items = [drug()]
    first = settle(client, session, items, key="retry-0001")
    again = settle(client, session, items, key="retry-0001")
    assert first.status_code == 201 and again.status_code == 200 and again.json() == first.json()
    other = settle(client, session, [drug(price=1)], key="retry-0001")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    assert Settlement.objects.count() == 1


def test_a_scan_settles_once(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    session = scan(client, person)
    assert settle(client, session, [drug()]).status_code == 201
    assert settle(client, session, [drug()]).json()["code"] == "scan_session_used"


def test_an_expired_or_foreign_scan_session_is_refused(terminal_api) -> None:
    from vouchers.models import ScanSession

    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    session = scan(client, person)
    other = terminal_api(factories.institution(kind="pharmacy"))
    assert settle(other, session, [drug()]).json()["code"] == "scan_session_invalid"
    assert settle(client, "not-a-uuid", [drug()]).json()["code"] == "scan_session_invalid"
    ScanSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert settle(client, session, [drug()]).json()["code"] == "scan_session_invalid"


def test_a_traceability_code_sold_before_is_refused_in_a_refusing_region(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    sold = drug()
    assert settle(client, scan(client, person), [sold]).status_code == 201
    again = {**sold}
    preview = client.post(
        "/api/v1/scanner/settlements/preview", {"scan_session_id": scan(client, person), "items": [again]}
    ).json()
    assert preview["items"][0]["refused"] is True
    assert preview["findings"][0]["rule"] == "duplicate_trace_code"
    response = settle(client, scan(client, person), [again, drug(price=100)])
    assert response.status_code == 201
    assert [i["refused"] for i in response.json()["items"]] == [True, False]


def test_a_traceability_code_sold_before_is_flagged_in_a_reviewing_region(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000, region_code="340500")
    client = terminal_api(factories.institution(kind="pharmacy", region_code="340500"))
    sold = drug()
    settle(client, scan(client, person), [sold])
    second = settle(client, scan(client, person), [sold]).json()
    assert second["items"][0]["refused"] is False and second["review"] == "flagged"
    assert TraceCode.objects.filter(code=sold["trace_codes"][0], status="duplicate").count() == 1
    assert Settlement.objects.filter(review="flagged").count() == 1


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (drug(trace_codes=[]), "trace_codes"),
        (drug(trace_codes=["123"]), "trace_codes"),
        ({**drug(), "kind": "service"}, "trace_codes"),
        (drug(quantity=2, trace_codes=["1" * 20, "1" * 20]), "items"),
        (drug(price=-1), "unit_price_fen"),
        (drug(quantity=0), "quantity"),
    ],
    ids=["drug without code", "short code", "service with code", "same code twice", "negative price", "zero"],
)
def test_bad_items_are_field_errors(terminal_api, item, field) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    response = settle(client, scan(client, person), [item])
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    assert field in str(response.json()["details"])


def test_audit_rules_refuse_or_flag_items(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=500_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    service = {"code": "S01", "name": "静脉输液", "kind": "service", "quantity": 1, "unit_price_fen": 2_000}
    body = settle(client, scan(client, person), [drug(days_supply=120), drug(days_supply=60), service]).json()
    refused = {i["line"]: i["refused"] for i in body["items"]}
    assert refused == {1: True, 2: False, 3: True}  # >90 days refused; service at a pharmacy refused
    assert body["review"] == "flagged"  # 60 days without a specified-disease prescription
    rules = {(f["rule"], f["line"], f["action"]) for f in body["findings"]}
    assert ("max_days_supply", 1, "refuse") in rules and ("max_days_supply", 2, "review") in rules
    assert ("institution_kind", 3, "refuse") in rules


def test_buying_the_same_drug_before_the_last_supply_ran_out_is_flagged(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=500_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    assert settle(client, scan(client, person), [drug(days_supply=30)]).json()["review"] == "none"
    body = settle(client, scan(client, person), [drug(days_supply=30)]).json()
    assert body["review"] == "flagged"
    assert body["findings"][0]["rule"] == "repeat_before_runout"


def test_a_specified_disease_prescription_is_used_three_times_at_most_and_for_three_months(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=500_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    today = timezone.localdate()
    rx = {"number": "RX-2026-001", "issued_on": (today - timedelta(days=10)).isoformat(), "specified_disease": True}
    for _ in range(3):
        body = settle(client, scan(client, person), [drug(code="CH01")], prescription=rx).json()
        assert body["items"][0]["refused"] is False
    fourth = settle(client, scan(client, person), [drug()], prescription=rx)
    assert fourth.status_code == 422 and fourth.json()["code"] == "all_items_refused"
    old = {"number": "RX-OLD", "issued_on": (today - timedelta(days=100)).isoformat(), "specified_disease": True}
    assert settle(client, scan(client, person), [drug()], prescription=old).json()["code"] == "all_items_refused"


def test_refunding_one_item_later_returns_its_legs_and_its_benefits(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    account = personal_account(person=person)
    client = terminal_api(factories.institution(kind="pharmacy"))
    rx = prescribed(person)
    body = settle(client, scan(client, person), [drug(price=30_000), drug(price=10_000)], prescription_id=rx).json()
    # Item 1: 300 - 200 deductible, 100 at 60% = 60 fund, 240 resident. Item 2: 100 at 60% = 60, 40 resident.
    assert body["totals"]["fund"]["fen"] == 12_000 and account_balance(account_id=account.pk) == 72_000
    number = body["settlement"]
    refund = client.post(f"/api/v1/scanner/settlements/{number}/refunds", {"lines": [2], "idempotency_key": "ref-0001"})
    assert refund.status_code == 201, refund.json()
    assert refund.json()["status"] == "partly_refunded"
    assert refund.json()["refunds"][0]["personal_account"]["fen"] == 4_000
    assert account_balance(account_id=account.pk) == 76_000
    ytd = year_to_date(person=person, year=timezone.localdate().year)
    assert (ytd.deductible("outpatient"), ytd.paid("outpatient")) == (20_000, 6_000)
    retry = client.post(f"/api/v1/scanner/settlements/{number}/refunds", {"lines": [2], "idempotency_key": "ref-0001"})
    assert retry.status_code == 201 and account_balance(account_id=account.pk) == 76_000
    twice = client.post(f"/api/v1/scanner/settlements/{number}/refunds", {"lines": [2], "idempotency_key": "ref-0002"})
    assert twice.json()["code"] == "refund_lines_invalid"
    rest = client.post(f"/api/v1/scanner/settlements/{number}/refunds", {"lines": [1], "idempotency_key": "ref-0003"})
    assert rest.json()["status"] == "refunded" and account_balance(account_id=account.pk) == 100_000
    assert Prescription.objects.get(pk=rx).uses == 0  # refunded whole: the prescription's use comes back
    assert client.post(f"/api/v1/scanner/settlements/{number}/reversal").json()["code"] == "reversal_refused"
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_only_the_same_terminal_reverses_and_only_the_same_day(terminal_api) -> None:
    from portal.institutions.services import terminal_create

    person = insured(insurance_type="employee", balance_fen=100_000)
    pharmacy = factories.institution(kind="pharmacy")
    client = terminal_api(pharmacy)
    number = settle(client, scan(client, person), [drug()]).json()["settlement"]
    colleague = TerminalClient(*terminal_create(institution=pharmacy, name="2号机"))
    assert colleague.post(f"/api/v1/scanner/settlements/{number}/reversal").json()["code"] == "reversal_refused"
    Settlement.objects.update(service_date=timezone.localdate() - timedelta(days=1))
    assert client.post(f"/api/v1/scanner/settlements/{number}/reversal").json()["code"] == "reversal_refused"
    stranger = terminal_api(factories.institution(kind="pharmacy"))
    assert stranger.get(f"/api/v1/scanner/settlements/{number}").status_code == 404


def test_another_resident_cannot_see_my_receipt(resident_api, terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    number = settle(client, scan(client, person), [drug()]).json()["settlement"]
    outsider = insured()
    assert resident_api(outsider).get(f"/api/v1/settlements/{number}").status_code == 404
    assert resident_api(outsider).get("/api/v1/settlements").json()["results"] == []
    assert resident_api(person).get("/api/v1/settlements").json()["results"][0]["settlement"] == number


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_key_from_twenty_threads_settles_once() -> None:
    from tests.factories import terminal

    person = insured(insurance_type="employee", balance_fen=100_000)
    client = TerminalClient(*terminal(of=factories.institution(kind="pharmacy")))
    session = scan(client, person)
    items = [drug()]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def go() -> None:
        try:
            barrier.wait()
            statuses.append(settle(client, session, items, key="same-key-20").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Settlement.objects.count() == 1
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}
    assert account_balance(account_id=personal_account(person=person).pk) == 100_000 - 4_640 - 360  # 50 yuan paid
    assert not unbalanced_transactions().exists()


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_traceability_code_in_two_concurrent_settlements_is_accepted_once() -> None:
    from tests.factories import terminal

    code = trace(1)
    barrier = threading.Barrier(2)
    results: list[tuple[int, str]] = []
    setups = []
    for _ in range(2):
        person = insured(insurance_type="employee", balance_fen=100_000)
        client = TerminalClient(*terminal(of=factories.institution(kind="pharmacy")))
        setups.append((client, scan(client, person)))

    def go(client, session) -> None:
        try:
            barrier.wait()
            response = settle(client, session, [drug(trace_codes=code)])
            body = response.json()
            results.append((response.status_code, body.get("code") or str(body["items"][0]["refused"])))
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=setup) for setup in setups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert TraceCode.objects.filter(code=code[0], status="sold").count() == 1
    accepted = [r for r in results if r == (201, "False")]
    assert len(accepted) == 1, results
    assert Settlement.objects.count() == 1


def test_staff_see_settlements_by_day_and_clear_flags_in_the_admin(terminal_api) -> None:
    from django.test import Client

    from portal.people.models import User

    person = insured(insurance_type="employee", balance_fen=500_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    settle(client, scan(client, person), [drug(days_supply=60)])  # flagged: 60 days
    staff = User.objects.create_superuser("reviewer", password="a-long-test-password")
    browser = Client()
    browser.force_login(staff)
    page = browser.get("/admin/payments/settlement/", {"review__exact": "flagged"})
    assert page.status_code == 200 and Settlement.objects.get().number in page.content.decode()
    flagged = Settlement.objects.get()
    browser.post("/admin/payments/settlement/", {"action": "clear", "_selected_action": [flagged.pk]})
    assert Settlement.objects.get().review == "cleared"


def test_every_status_move_of_a_settlement_is_in_its_history(terminal_api) -> None:
    from payments.settlement.models import SettlementEvent

    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    number = settle(client, scan(client, person), [drug(), drug(price=100)]).json()["settlement"]
    client.post(f"/api/v1/scanner/settlements/{number}/refunds", {"lines": [2], "idempotency_key": "hist-0001"})
    client.post(f"/api/v1/scanner/settlements/{number}/refunds", {"lines": [1], "idempotency_key": "hist-0002"})
    moves = list(SettlementEvent.objects.filter(settlement__number=number).values_list("from_status", "to_status"))
    assert moves == [("", "settled"), ("settled", "partly_refunded"), ("partly_refunded", "refunded")]
