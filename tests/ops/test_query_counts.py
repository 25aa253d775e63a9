"""Query counts: lists cost the same whatever their length, and the money paths stay within a pinned
number of SQL statements (a regression here is a slowdown under load, found before production)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.ledger.selectors import personal_account
from portal.people.models import Person
from tests import factories
from tests.payments.online_helpers import authorize_and_pay, hospital_client, patient, upload
from tests.payments.settlement_helpers import drug, insured, prescribed, scan, settle

pytestmark = pytest.mark.django_db


def count(call: Callable[[], Any]) -> int:
    """SQL statements of one request. The test's own transaction turns the request's outermost atomic block
    into a SAVEPOINT ... RELEASE pair; in production that block is BEGIN ... COMMIT, which Django sends
    without logging, so the pair is not counted (inner savepoints are, as they are real round trips)."""
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code < 400, getattr(response, "json", lambda: response)()
    sql = [q["sql"] for q in queries.captured_queries]
    outer = [i for i, s in enumerate(sql) if s.startswith("SAVEPOINT ")][:1]
    if outer:
        name = sql[outer[0]].split()[1]
        last = max(i for i, s in enumerate(sql) if s == f"RELEASE SAVEPOINT {name}")
        sql = [s for i, s in enumerate(sql) if i not in (outer[0], last)]
    return len(sql)


def grows(make_one: Callable[[], None], call: Callable[[], Any]) -> tuple[int, int]:
    """Queries with one row, then with five."""
    make_one()
    one = count(call)
    for _ in range(4):
        make_one()
    return one, count(call)


@pytest.fixture
def me(resident_api) -> tuple[Person, Any]:
    person = insured(insurance_type="employee", balance_fen=1_000_000)
    return person, resident_api(person)


def test_my_online_orders_cost_the_same_for_one_or_five(me) -> None:
    person, api = me
    hospital = hospital_client()
    one, five = grows(
        lambda: authorize_and_pay(api, upload(hospital, person, amounts=(1_000,)).json()["order"]),
        lambda: api.get("/api/v1/payments/orders"),
    )
    assert one == five <= 8


def test_my_settlements_cost_the_same_for_one_or_five(me, terminal_api) -> None:
    person, api = me
    pharmacy = terminal_api(factories.institution(kind="pharmacy"))
    one, five = grows(
        lambda: settle(pharmacy, scan(pharmacy, person), [drug(price=1_000)]), lambda: api.get("/api/v1/settlements")
    )
    assert one == five <= 8


def test_my_account_entries_cost_the_same_for_one_or_five(me, terminal_api) -> None:
    person, api = me
    pharmacy = terminal_api(factories.institution(kind="pharmacy"))
    account = personal_account(person=person)
    one, five = grows(
        lambda: settle(pharmacy, scan(pharmacy, person), [drug(price=1_000)]),
        lambda: api.get(f"/api/v1/accounts/{account.pk}/entries"),
    )
    assert one == five <= 8


def test_family_bindings_cost_the_same_for_one_or_five(me) -> None:
    person, api = me

    def bind() -> None:
        factories.bound_to(patient(insurance_type="resident"), [person])

    one, five = grows(bind, lambda: api.get("/api/v1/family/bindings"))
    assert one == five <= 10


def test_offsite_filings_and_relatives_cost_the_same_for_one_or_five(me) -> None:
    from portal.people.services import person_id_number
    from vouchers.family import holding_register_by_staff, holding_request

    person, api = me

    def hold() -> None:
        relative = patient(phone="")
        holding = holding_request(holder=person, name=relative.name, id_number=person_id_number(relative))
        holding_register_by_staff(holding_id=holding.pk)

    one, five = grows(hold, lambda: api.get("/api/v1/vouchers/family"))
    assert one == five <= 8
    assert count(lambda: api.get("/api/v1/offsite/filings")) <= 8


def test_a_scan_is_one_statement_on_postgresql(terminal_api) -> None:
    from vouchers.scanning import code_issue

    person = insured(insurance_type="employee")
    pharmacy = terminal_api(factories.institution(kind="pharmacy"))
    scan(pharmacy, person)  # warm the per-process caches (terminal, keys), as in a running server
    code = code_issue(viewer=person, subject=person).text
    # PostgreSQL: the voucher, the scan session and its audit row in one prepared statement (outside a test,
    # no transaction around it). Elsewhere: the voucher, then the session and the audit row in a transaction.
    expected = 1 if connection.vendor == "postgresql" else 3
    assert count(lambda: pharmacy.post("/api/v1/scanner/scan", {"code": code, "business_type": "02121"})) == expected


def test_a_holders_scan_is_one_statement_on_postgresql(terminal_api) -> None:
    from portal.people.services import person_id_number
    from vouchers.family import holding_consent_in_app, holding_request
    from vouchers.scanning import code_issue

    holder = insured(insurance_type="employee")
    child = insured(insurance_type="resident")
    holding = holding_request(holder=holder, name=child.name, id_number=person_id_number(child))
    holding_consent_in_app(holding_id=holding.pk, relative=child)
    hospital = terminal_api(factories.institution(kind="hospital", level="2"))
    scan(hospital, child, business_type="01101")  # warm the caches
    code = code_issue(viewer=holder, subject=child).text
    # With the holding and the holder's name in the same statement; elsewhere one query more for them.
    expected = 1 if connection.vendor == "postgresql" else 4
    assert count(lambda: hospital.post("/api/v1/scanner/scan", {"code": code, "business_type": "01101"})) == expected


def test_a_settlement_stays_within_its_statements(terminal_api, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    person = insured(insurance_type="employee", balance_fen=100_000)
    pharmacy = terminal_api(factories.institution(kind="pharmacy"))
    with django_capture_on_commit_callbacks(execute=True):  # account ids are cached once committed
        # Warm the caches (fund, receivable): a prescription, so that the fund pays and its account exists.
        settle(pharmacy, scan(pharmacy, person), [drug(price=30_000)], prescription_id=prescribed(person))
    rx = prescribed(person)
    session = scan(pharmacy, person)
    # The scan session with the person's lock; the wallet (which accounts, then their rows locked); trace
    # codes and last supplies; the year's benefits; balances, transactions and entries (one statement each);
    # the settlement, its event, its items, its benefit usage and its trace codes. With BEGIN and COMMIT, 15.
    # Settled against an (ordinary, one-use) prescription: its use taken (one UPDATE ... RETURNING), the use
    # row, and the history row of its move to used: 3 more (2 at a specified-disease prescription's 1st and
    # 2nd use).
    assert count(lambda: settle(pharmacy, session, [drug(price=30_000), drug(price=2_000)], prescription_id=rx)) == 16


def test_paying_a_bill_stays_within_its_statements(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    api = resident_api(person)
    hospital = hospital_client()
    number = upload(hospital, person, amounts=(10_000,)).json()["order"]
    token = api.post(f"/api/v1/payments/orders/{number}/authorize").json()["pay_auth_no"]
    pay = api.post  # the first payment of a region and hospital also opens their held and receivable accounts
    assert count(lambda: pay(f"/api/v1/payments/orders/{number}/pay", {"pay_auth_no": token}, format="json")) <= 71
