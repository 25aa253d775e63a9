"""The payer cancels a payment waiting for its cash (取消支付): the expiry job's close path releases what it
held (personal account, family accounts, the year's benefit usage) and closes the channel's order; a cash
payment that got there first wins, whichever way the race runs. The invariants hold after each."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from payments.benefits.models import BenefitUsage
from payments.online import confirm, state
from payments.online.models import ChannelNotification, HospitalEvent, OnlineOrder
from portal.errors import DomainError
from portal.family.models import FamilyBinding
from portal.ledger.selectors import account_balance, personal_account
from portal.ops.invariants import check_all
from portal.people.models import Person
from tests.payments.online_helpers import authorize_and_pay, deductible_met, hospital_client, patient, upload, wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def invariants_hold() -> None:
    broken = [(r.name, r.violations) for r in check_all() if not r.ok]
    assert not broken, broken


def share(initiator: Person, bound: Person) -> None:
    FamilyBinding.objects.create(
        initiator=initiator,
        bound=bound,
        relation="spouse",
        status="active",
        consent_expires_at=timezone.now(),
        activated_at=timezone.now(),
    )


def held_order(resident_api: Any) -> tuple[Person, Person, str]:
    """Fund 150, personal 100 (60 mine + 40 my spouse's), cash 50: paying holds all of it but the cash."""
    me = patient(insurance_type="employee", balance_fen=6_000)
    spouse = patient(insurance_type="employee", balance_fen=4_000)
    share(spouse, me)
    deductible_met(me)
    number = upload(hospital_client(), me, amounts=(30_000,)).json()["order"]
    paid = authorize_and_pay(resident_api(me), number)
    assert paid.json()["status"] == "awaiting_cash", paid.json()
    assert account_balance(account_id=personal_account(person=me).pk) == 0
    assert account_balance(account_id=personal_account(person=spouse).pk) == 0
    return me, spouse, number


def usage_of(number: str) -> tuple[int, int]:
    rows = BenefitUsage.objects.filter(origin=number)
    return sum(r.deductible_fen for r in rows), sum(r.paid_fen for r in rows)


def test_cancelling_a_held_payment_gives_back_everything_it_held(standin, resident_api) -> None:
    me, spouse, number = held_order(resident_api)
    assert usage_of(number)[1] == 15_000  # the fund's share, held
    assert confirm.order_payer_cancel(number=number, payer=me) == "closed"
    order = OnlineOrder.objects.get(number=number)
    assert order.status == "closed" and order.closed_at
    assert order.events.filter(to_status="closed").get().note == confirm.PAYER_CANCELLED
    assert account_balance(account_id=personal_account(person=me).pk) == 6_000
    assert account_balance(account_id=personal_account(person=spouse).pk) == 4_000
    assert usage_of(number) == (0, 0)  # the year's fund usage is given back
    assert standin.orders[number].trade_state == "CLOSED"  # the channel's order cannot be paid any more
    assert HospitalEvent.objects.filter(order=order, kind="closed").exists()
    invariants_hold()
    # A second click (or the expiry job afterwards) changes nothing.
    assert confirm.order_payer_cancel(number=number, payer=me) == "closed"
    assert confirm.order_close(number=number, reason="expired unpaid") == "not_closable"
    assert account_balance(account_id=personal_account(person=me).pk) == 6_000
    invariants_hold()


def test_cash_paid_before_the_cancel_settles_the_bill_instead(standin, resident_api) -> None:
    me, _, number = held_order(resident_api)
    standin.hold_notifies()
    standin.pay(number)  # paid in WeChat; its notify not here yet
    assert confirm.order_payer_cancel(number=number, payer=me) == "settled"
    assert OnlineOrder.objects.get(number=number).status == "settled"
    standin.release_notifies()
    wait_for(lambda: ChannelNotification.objects.filter(processed_at__isnull=False).exists())
    assert ChannelNotification.objects.get().outcome == "already"  # settled once
    assert OnlineOrder.objects.get(number=number).status == "settled"
    assert account_balance(account_id=personal_account(person=me).pk) == 0  # spent, not given back
    assert confirm.order_payer_cancel(number=number, payer=me) == "settled"  # asking again says the same
    invariants_hold()


def test_cash_paid_between_the_query_and_the_close_settles_the_bill(standin, resident_api, monkeypatch) -> None:
    """The race the other way round: the channel says "not paid", the payer pays that instant, and the
    channel then refuses to close a paid order (ORDERPAID): the bill settles, nothing is released."""
    me, _, number = held_order(resident_api)
    channel = state.channel_of(OnlineOrder.objects.get(number=number))
    real_query = channel.query_order
    calls = {"n": 0}

    def query_then_pay(**kwargs: Any) -> Any:
        answer = real_query(**kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            standin.pay(number)
        return answer

    monkeypatch.setattr(channel, "query_order", query_then_pay)
    monkeypatch.setattr(confirm, "channel_of", lambda order: channel)
    assert confirm.order_payer_cancel(number=number, payer=me) == "settled"
    assert OnlineOrder.objects.get(number=number).status == "settled"
    wait_for(lambda: ChannelNotification.objects.filter(processed_at__isnull=False).exists())
    assert OnlineOrder.objects.get(number=number).status == "settled"
    invariants_hold()


def test_only_a_payment_waiting_for_its_cash_can_be_cancelled_and_only_by_its_payer(standin, resident_api) -> None:
    me, _, number = held_order(resident_api)
    outsider = patient()
    with pytest.raises(DomainError) as refused:
        confirm.order_payer_cancel(number=number, payer=outsider)
    assert refused.value.code == "order_not_found"
    waiting = upload(hospital_client(), me, amounts=(1_000,)).json()["order"]  # not confirmed yet
    with pytest.raises(DomainError) as refused:
        confirm.order_payer_cancel(number=waiting, payer=me)
    assert refused.value.code == "order_state_refused"
    assert refused.value.details == {"status": "pre_settled"}
    assert "待确认支付" in refused.value.message("zh-hans") and "pre_settled" not in refused.value.message("zh-hans")
    assert "Waiting for you to confirm" in refused.value.message("en")
    assert OnlineOrder.objects.get(number=number).status == "awaiting_cash"
    invariants_hold()


def test_a_channel_that_does_not_answer_cancels_nothing(standin, resident_api, monkeypatch) -> None:
    from payments.channels.base import ChannelError

    me, _, number = held_order(resident_api)
    channel = state.channel_of(OnlineOrder.objects.get(number=number))

    def down(**kwargs: Any) -> Any:
        raise ChannelError("unavailable", "test: the channel is down")

    monkeypatch.setattr(channel, "query_order", down)
    monkeypatch.setattr(confirm, "channel_of", lambda order: channel)
    assert confirm.order_payer_cancel(number=number, payer=me) == "not_closable"
    assert OnlineOrder.objects.get(number=number).status == "awaiting_cash"  # never closed blind
    assert account_balance(account_id=personal_account(person=me).pk) == 0
    invariants_hold()
