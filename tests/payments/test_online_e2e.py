"""Online payment end to end over real HTTP, once per cash channel: the real adapter (WeChat Pay v3, or
Alipay's OpenAPI with RSA2), its stand-in (its own keys, real signatures, WeChat's AES-GCM notifies or
Alipay's signed forms) and our notify endpoint for that channel on a live server."""

import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from payments.online.confirm import _release_insurance, order_close, order_query_late
from payments.online.models import ChannelNotification, OnlineOrder, OnlineRefund
from payments.online.state import locked, move
from portal.ledger.selectors import account_balance, accounts_out_of_step, personal_account, unbalanced_transactions
from portal.ledger.services import institution_account
from portal.people.services import person_user
from tests.conftest import CASH_CHANNELS
from tests.payments.online_helpers import (
    authorize_and_pay,
    deductible_met,
    hospital_client,
    patient,
    upload,
    wait_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.parametrize("cash_channel", CASH_CHANNELS, indirect=True),
]


def status_of(number: str) -> str:
    return OnlineOrder.objects.get(number=number).status


def mixed_order(balance: int = 10_000):
    """An employee with the deductible met: 300 yuan at a level-3 internet hospital -> fund 150 (50%),
    personal account 100 (all there is), cash 50."""
    person = patient(insurance_type="employee", balance_fen=balance)
    deductible_met(person)
    client = hospital_client()
    body = upload(client, person, amounts=(30_000,)).json()
    return person, client, body


def api_for(person) -> APIClient:
    api = APIClient()
    api.force_login(person_user(person=person))
    return api


def ledger_is_clean() -> None:
    assert not unbalanced_transactions().exists()
    assert not accounts_out_of_step().exists()


def reconciliation_is_clean() -> None:
    """Every channel's bill for the day, and the ledger, agree with us: no difference in any run."""
    from payments.online.reconcile import reconcile_all

    for run in reconcile_all(bill_date=timezone.localdate()):
        assert run.differences == 0, (
            run.channel,
            list(run.differences_found.values("kind", "out_trade_no", "details")),
        )


def test_a_mixed_payment_settles_when_the_cash_notify_arrives(standin) -> None:
    person, _, body = mixed_order()
    assert (
        body["pay_mode"],
        body["split"]["fund"]["fen"],
        body["split"]["personal_account"]["fen"],
        body["split"]["cash"]["fen"],
    ) == ("CASH_AND_INSURANCE", 15_000, 10_000, 5_000)
    number = body["order"]
    paid = authorize_and_pay(api_for(person), number)
    assert paid.json()["status"] == "awaiting_cash" and paid.json()["h5_url"].startswith(standin.base_url)
    assert account_balance(account_id=personal_account(person=person).pk) == 0  # held
    standin.pay(number)
    wait_for(lambda: status_of(number) == "settled")
    order = OnlineOrder.objects.get(number=number)
    receivable = institution_account(institution=order.institution)
    assert account_balance(account_id=receivable.pk) == 25_000  # fund 150 + personal 100
    assert order.channel_transaction_id
    ledger_is_clean()
    reconciliation_is_clean()
    out = io.StringIO()
    call_command("reconcile_payments", date=timezone.localdate(), stdout=out)
    assert "bill rows: 1, matched: 1, differences: 0" in out.getvalue() and "Clean." in out.getvalue()


def test_insurance_only_and_cash_only_orders(standin) -> None:
    rich = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), rich, amounts=(30_000,)).json()["order"]
    assert authorize_and_pay(api_for(rich), number).json()["status"] == "settled"
    poor = patient(insurance_type="resident")  # residents get nothing at a level-3 hospital, no account
    body = upload(hospital_client(), poor, amounts=(8_800,)).json()
    assert body["pay_mode"] == "CASH_ONLY" and body["split"]["cash"]["fen"] == 8_800
    cash_only = body["order"]
    assert authorize_and_pay(api_for(poor), cash_only).json()["status"] == "awaiting_cash"
    standin.pay(cash_only)
    wait_for(lambda: status_of(cash_only) == "settled")
    ledger_is_clean()
    reconciliation_is_clean()


def test_partial_then_full_refund_return_every_part(standin) -> None:
    person, client, body = mixed_order()
    number = body["order"]
    authorize_and_pay(api_for(person), number)
    standin.pay(number)
    wait_for(lambda: status_of(number) == "settled")
    account = personal_account(person=person).pk
    part = client.post(
        f"/api/v1/hospital/orders/{number}/refunds",
        {"idempotency_key": "refund-p001", "parts": {"cash": 2_000, "personal": 3_000}},
    )
    assert part.status_code == 201, part.json()
    wait_for(lambda: OnlineRefund.objects.get(number=part.json()["refund"]).status == "succeeded")
    assert status_of(number) == "refunded_partly" and account_balance(account_id=account) == 3_000
    whole = client.post(f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "refund-w001", "whole": True})
    wait_for(lambda: OnlineRefund.objects.get(number=whole.json()["refund"]).status == "succeeded")
    assert status_of(number) == "refunded" and account_balance(account_id=account) == 10_000
    assert standin.refunds[part.json()["refund"]].refund == 2_000
    assert sum(r.refund for r in standin.refunds.values()) == 5_000
    ledger_is_clean()
    reconciliation_is_clean()


def test_a_dropped_notify_is_resolved_by_querying(standin) -> None:

    person, _, body = mixed_order()
    number = body["order"]
    authorize_and_pay(api_for(person), number)
    standin.drop_notifies(1)
    standin.pay(number)
    time.sleep(0.3)
    assert status_of(number) == "awaiting_cash"
    assert order_query_late(number=number) == "settled"
    ledger_is_clean()
    reconciliation_is_clean()


def test_duplicate_and_reordered_notifies_take_effect_once(standin) -> None:
    person, _, body = mixed_order()
    other, _, other_body = mixed_order()
    for who, order in ((person, body), (other, other_body)):
        authorize_and_pay(api_for(who), order["order"])
    standin.duplicate_notifies(2)
    standin.hold_notifies()
    standin.pay(body["order"])
    standin.pay(other_body["order"])
    standin.release_notifies(reverse=True)
    wait_for(lambda: status_of(body["order"]) == status_of(other_body["order"]) == "settled")
    wait_for(lambda: ChannelNotification.objects.filter(outcome="duplicate").count() == 2)
    processed = ChannelNotification.objects.filter(processed_at__isnull=False, duplicate_of__isnull=True)
    assert processed.count() == 2
    ledger_is_clean()
    reconciliation_is_clean()


@pytest.mark.parametrize("kind", ["forged", "stale"])
def test_a_forged_or_stale_notify_is_refused_and_kept(standin, settings, kind) -> None:
    person, _, body = mixed_order()
    number = body["order"]
    authorize_and_pay(api_for(person), number)
    send = standin.send_forged_notify if kind == "forged" else standin.send_stale_notify
    status = send(standin.notify_url, number, 5_000)
    assert status is not None and status >= 400
    assert status_of(number) == "awaiting_cash"
    kept = ChannelNotification.objects.get()
    assert kept.error.startswith("bad_signature" if kind == "forged" else "stale") and kept.processed_at is None


def test_a_notify_racing_the_close_job_settles_once(standin) -> None:
    person, _, body = mixed_order()
    number = body["order"]
    authorize_and_pay(api_for(person), number)
    standin.hold_notifies()
    standin.pay(number)
    assert order_close(number=number, reason="expired") == "settled"  # it queried first
    standin.release_notifies()
    wait_for(lambda: ChannelNotification.objects.filter(processed_at__isnull=False).exists())
    assert ChannelNotification.objects.get().outcome == "already"
    assert status_of(number) == "settled"
    ledger_is_clean()
    reconciliation_is_clean()


def test_an_unpaid_order_is_closed_after_a_query_and_its_legs_released(standin) -> None:
    person, _, body = mixed_order()
    number = body["order"]
    authorize_and_pay(api_for(person), number)
    assert order_close(number=number, reason="expired unpaid") == "closed"
    assert status_of(number) == "closed"
    assert account_balance(account_id=personal_account(person=person).pk) == 10_000
    assert standin.closed(number)
    ledger_is_clean()


def test_a_payment_that_arrives_after_close_is_refunded_automatically(standin) -> None:
    person, _, body = mixed_order()
    number = body["order"]
    authorize_and_pay(api_for(person), number)
    standin.hold_notifies()
    standin.pay(number)
    # We closed it believing it unpaid (say the query failed over and over): legs released.
    from django.db import transaction

    with transaction.atomic():
        order = locked(number=number)
        _release_insurance(order)
        move(order, OnlineOrder.Status.CLOSED, note="closed blind (test)")
    standin.release_notifies()
    wait_for(lambda: OnlineRefund.objects.filter(order__number=number, status="succeeded").exists())
    refund = OnlineRefund.objects.get(order__number=number)
    assert (refund.cash_fen, refund.reason) == (5_000, "payment after close")
    assert standin.refunds[refund.number].refund == 5_000
    assert status_of(number) == "closed"
    assert account_balance(account_id=personal_account(person=person).pk) == 10_000
    ledger_is_clean()
    reconciliation_is_clean()


def test_a_second_bill_is_paid_on_the_split_authorised_after_the_first_used_the_balance(standin) -> None:
    """Found by the state machine: a split computed at upload may be stale by the time of payment."""
    person = patient(insurance_type="employee", balance_fen=20_000)
    client = hospital_client()
    first = upload(client, person, amounts=(15_000,)).json()["order"]
    second = upload(client, person, amounts=(15_000,)).json()
    assert second["split"]["personal_account"]["fen"] == 15_000  # at upload, before the first is paid
    api = api_for(person)
    assert authorize_and_pay(api, first).json()["status"] == "settled"
    paid = authorize_and_pay(api, second["order"]).json()
    assert paid["status"] == "awaiting_cash"
    assert (paid["split"]["personal_account"]["fen"], paid["split"]["cash"]["fen"]) == (5_000, 10_000)
    standin.pay(second["order"])
    assert standin.orders[second["order"]].total == 10_000
    wait_for(lambda: status_of(second["order"]) == "settled")
    ledger_is_clean()
    reconciliation_is_clean()
