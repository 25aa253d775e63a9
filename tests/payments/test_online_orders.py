"""Internet-hospital orders without the cash channel: upload, split, authorisation, insurance-only
payment, cancellation, refunds of insurance parts, concurrency."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from payments.online.models import HospitalEvent, OnlineOrder, OnlineRefund, PayAuthorization
from portal.ledger.selectors import account_balance, accounts_out_of_step, personal_account, unbalanced_transactions
from tests import factories
from tests.conftest import TerminalClient, needs_postgres
from tests.payments.online_helpers import authorize_and_pay, hospital_client, patient, upload

pytestmark = pytest.mark.django_db


def test_the_hospital_uploads_a_bill_and_gets_the_split(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    response = upload(hospital_client(), person, amounts=(30_000,))
    assert response.status_code == 201, response.json()
    body = response.json()
    # Level-3 internet hospital: 400 deductible, so 300 is all the resident's; the account has enough.
    assert body["status"] == "pre_settled" and body["pay_mode"] == "INSURANCE_ONLY"
    assert body["split"]["personal_account"]["fen"] == 30_000 and body["split"]["cash"]["fen"] == 0
    mine = resident_api(person).get("/api/v1/payments/orders").json()["results"]
    assert [o["order"] for o in mine] == [body["order"]]


def test_the_same_upload_key_returns_the_first_order_and_another_body_is_refused() -> None:
    client, person = hospital_client(), patient()
    first = upload(client, person, key="same-key-001")
    again = upload(client, person, key="same-key-001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order"] == first.json()["order"]
    other = upload(client, person, amounts=(1,), key="same-key-001")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_only_designated_internet_hospitals_take_online_payments() -> None:
    from tests.factories import terminal

    pharmacy = TerminalClient(*terminal(of=factories.institution(kind="pharmacy")))
    response = upload(pharmacy, patient())
    assert response.status_code == 403 and response.json()["code"] == "not_internet_hospital"


def test_an_insurance_only_order_settles_at_once_and_the_hospital_is_told(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person).json()["order"]
    paid = authorize_and_pay(resident_api(person), number)
    assert paid.status_code == 200, paid.json()
    assert paid.json()["status"] == "settled"
    assert account_balance(account_id=personal_account(person=person).pk) == 70_000
    assert HospitalEvent.objects.filter(order__number=number, kind="paid").exists()
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_a_guardian_pays_for_a_relative_whose_code_they_hold(resident_api) -> None:
    from portal.people.services import person_id_number
    from vouchers.family import holding_register_by_staff, holding_request

    guardian = patient()
    child = patient(insurance_type="employee", balance_fen=50_000, phone="")
    holding = holding_request(holder=guardian, name=child.name, id_number=person_id_number(child))
    holding_register_by_staff(holding_id=holding.pk)
    number = upload(hospital_client(), child, amounts=(10_000,)).json()["order"]
    assert authorize_and_pay(resident_api(guardian), number).json()["status"] == "settled"
    outsider = patient()
    assert resident_api(outsider).post(f"/api/v1/payments/orders/{number}/authorize").status_code == 404


def test_an_authorisation_is_one_time_short_lived_and_tied_to_the_payer(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person).json()["order"]
    api = resident_api(person)
    token = api.post(f"/api/v1/payments/orders/{number}/authorize").json()["pay_auth_no"]
    PayAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api.post(f"/api/v1/payments/orders/{number}/pay", {"pay_auth_no": token}, format="json")
    assert expired.json()["code"] == "pay_auth_invalid"
    token = api.post(f"/api/v1/payments/orders/{number}/authorize").json()["pay_auth_no"]
    assert api.post(f"/api/v1/payments/orders/{number}/pay", {"pay_auth_no": token}, format="json").status_code == 200
    reused = api.post(f"/api/v1/payments/orders/{number}/pay", {"pay_auth_no": token}, format="json")
    assert reused.json()["code"] == "pay_auth_invalid"


def test_a_split_that_changed_after_authorising_is_refused(resident_api) -> None:
    from portal.ledger.services import Leg, institution_account, ledger_post

    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person).json()["order"]
    api = resident_api(person)
    token = api.post(f"/api/v1/payments/orders/{number}/authorize").json()["pay_auth_no"]
    shop = institution_account(institution=factories.institution())
    ledger_post(kind="payment", legs=[Leg(personal_account(person=person).pk, -90_000), Leg(shop.pk, 90_000)])
    changed = api.post(f"/api/v1/payments/orders/{number}/pay", {"pay_auth_no": token}, format="json")
    assert changed.status_code == 409 and changed.json()["code"] == "split_changed"
    assert changed.json()["details"]["now"]["cash"] == 20_000


def test_the_hospital_cancels_an_upload_before_payment() -> None:
    client, person = hospital_client(), patient()
    number = upload(client, person).json()["order"]
    cancelled = client.post(f"/api/v1/hospital/orders/{number}/cancel")
    assert cancelled.json()["status"] == "closed"
    assert client.post(f"/api/v1/hospital/orders/{number}/cancel").json()["code"] == "order_state_refused"


def test_a_partial_then_full_refund_of_insurance_parts_returns_each_leg(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    client = hospital_client()
    number = upload(client, person).json()["order"]
    authorize_and_pay(resident_api(person), number)
    account = personal_account(person=person).pk
    part = client.post(
        f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "refund-0001", "parts": {"personal": 10_000}}
    )
    assert part.status_code == 201, part.json()
    assert part.json()["status"] == "succeeded" and account_balance(account_id=account) == 80_000
    assert OnlineOrder.objects.get(number=number).status == "refunded_partly"
    too_much = client.post(
        f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "refund-0002", "parts": {"personal": 20_001}}
    )
    assert too_much.json()["code"] == "refund_exceeds_payment"
    rest = client.post(f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "refund-0003", "whole": True})
    assert rest.json()["personal_account"]["fen"] == 20_000
    assert OnlineOrder.objects.get(number=number).status == "refunded"
    assert account_balance(account_id=account) == 100_000
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_refund_requests_are_checked(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    client = hospital_client()
    number = upload(client, person).json()["order"]
    early = client.post(f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "refund-e001", "whole": True})
    assert early.json()["code"] == "refund_not_allowed"
    both = client.post(
        f"/api/v1/hospital/orders/{number}/refunds",
        {"idempotency_key": "refund-e002", "whole": True, "parts": {"cash": 1}},
    )
    assert both.json()["code"] == "invalid_input"
    authorize_and_pay(resident_api(person), number)
    empty = client.post(
        f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "refund-e003", "parts": {"cash": 0}}
    )
    assert empty.json()["code"] == "refund_empty"


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_refunds_never_exceed_what_was_paid() -> None:
    from rest_framework.test import APIClient

    from portal.people.services import person_user

    person = patient(insurance_type="employee", balance_fen=100_000)
    client = hospital_client()
    number = upload(client, person).json()["order"]
    api = APIClient()
    api.force_login(person_user(person=person))
    authorize_and_pay(api, number)
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def refund(n: int) -> None:
        try:
            barrier.wait()
            response = client.post(
                f"/api/v1/hospital/orders/{number}/refunds",
                {"idempotency_key": f"concurrent-{n:03d}", "parts": {"personal": 4_000}},
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refunded = sum(r.personal_fen for r in OnlineRefund.objects.filter(status="succeeded"))
    assert refunded <= 30_000 and refunded == 4_000 * statuses.count(201)
    assert account_balance(account_id=personal_account(person=person).pk) == 70_000 + refunded
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_a_bill_nobody_paid_is_closed_when_its_window_passes_and_the_hospital_told() -> None:
    from payments.online.tasks import query_late_orders

    number = upload(hospital_client(), patient()).json()["order"]
    OnlineOrder.objects.filter(number=number).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert query_late_orders.delay().get()["unpaid closed"] == 1
    assert OnlineOrder.objects.get(number=number).status == "closed"
    assert HospitalEvent.objects.filter(order__number=number, kind="closed").exists()
