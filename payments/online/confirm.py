"""Cash confirmation and close: the channel says the cash is paid (a notify, a query, the bill), or the
order is closed unpaid (the payer gives up, the window passes) and its held legs go back.

Above upload and pay (``pay``) and the shared order state; below refunds, notifies, reconciliation and
the tasks. Never calls the channel while holding a lock.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.benefits.services import benefit_release
from payments.channels.base import ChannelError, ChannelTrade, TradeState
from payments.online.jobs import Job, enqueue_after_commit
from payments.online.models import HospitalEvent, OnlineOrder, OnlineRefund, OnlineRefundEvent
from payments.online.pay import commit_insurance, may_pay_for
from payments.online.state import ORDER_NOT_FOUND, channel_of, hospital_event, locked, move, note, state_refused
from portal.concurrency import lock_person, retry_on_conflict
from portal.errors import DomainError
from portal.family.deduction import family_refund
from portal.people.models import Person

PAYER_CANCELLED = "cancelled by the payer"


class Cash(StrEnum):
    """What confirming the cash did."""

    SETTLED = "settled"
    ALREADY = "already"  # confirmed before (a redelivered notify, a query after the notify)
    LATE_PAYMENT_REFUNDED = "late_payment_refunded"  # paid after we closed it: given back
    AMOUNT_MISMATCH = "amount_mismatch"  # paid another amount: left for staff


class Close(StrEnum):
    """What closing an order did."""

    CLOSED = "closed"
    SETTLED = "settled"  # it was paid after all
    NOT_CLOSABLE = "not_closable"  # the channel could not be asked, or the order is past closing: nothing changed


class Query(StrEnum):
    """What asking the channel about a late order found, when it neither settled nor closed the order."""

    NOTHING = "nothing"  # no longer awaiting cash
    RETRY_LATER = "retry later"  # the channel could not be asked
    WAITING = "waiting"  # unpaid, still inside its window


def _release_insurance(order: OnlineOrder) -> None:
    """Closing before the cash was confirmed: held personal money back to its owners, benefits restored."""
    if order.hold_transaction_id is not None:
        family_refund(payment_id=order.hold_transaction_id, reference=f"{order.number}:release")
    benefit_release(reference=order.number)


def _refund_late_payment(*, order: OnlineOrder, amount_fen: int) -> OnlineRefund:
    """Cash arrived for an order we had closed: give it back automatically (under the order lock). The
    refund is started by a task after commit (``refunds.cash_refund_start``)."""
    refund, created = OnlineRefund.objects.get_or_create(
        order=order,
        idempotency_key="late-payment",
        defaults={
            "request_hash": "late-payment",
            "reason": "payment after close",
            "cash_fen": amount_fen,
            "channel": order.channel,
        },
    )
    if created:
        OnlineRefundEvent.objects.create(refund=refund, to_status=refund.status, note="payment after close")
        enqueue_after_commit(Job.START_CASH_REFUND, refund.pk)
    return refund


@retry_on_conflict
def cash_confirmed(*, order_number: str, transaction_id: str, amount_fen: int, source: str) -> Cash:
    """The channel says the cash is paid (notify, query or reconciliation). Idempotent."""
    with transaction.atomic():
        order = locked(number=order_number)
        if order.channel_transaction_id and order.status != OnlineOrder.Status.CLOSED:
            return Cash.ALREADY
        if amount_fen != order.cash_fen:
            if order.status == OnlineOrder.Status.AWAITING_CASH:
                move(
                    order,
                    OnlineOrder.Status.NEEDS_ATTENTION,
                    attention=f"paid {amount_fen} fen, expected {order.cash_fen} ({source})",
                )
            return Cash.AMOUNT_MISMATCH
        if order.status == OnlineOrder.Status.CLOSED:
            if order.channel_transaction_id:
                return Cash.ALREADY
            OnlineOrder.objects.filter(pk=order.pk).update(
                channel_transaction_id=transaction_id, cash_paid_at=timezone.now()
            )
            note(order, f"cash paid after close ({source}): refunding")
            _refund_late_payment(order=order, amount_fen=amount_fen)
            return Cash.LATE_PAYMENT_REFUNDED
        if order.status != OnlineOrder.Status.AWAITING_CASH:
            return Cash.ALREADY
        lock_person(order.person_id)
        now = timezone.now()
        move(
            order,
            OnlineOrder.Status.CASH_PAID,
            note=f"cash confirmed by {source}",
            channel_transaction_id=transaction_id,
            cash_paid_at=now,
        )
        commit_insurance(order)
        move(order, OnlineOrder.Status.SETTLED, note="insurance committed", settled_at=now)
        hospital_event(order, HospitalEvent.Kind.PAID)
    return Cash.SETTLED


def _paid_there(number: str, trade: ChannelTrade, *, source: str) -> Cash:
    """The channel's answer to a query says the trade is paid: confirm the cash as a notify would."""
    return cash_confirmed(
        order_number=number, transaction_id=trade.transaction_id or "", amount_fen=trade.amount_fen, source=source
    )


def order_close(*, number: str, reason: str) -> Close:
    """Close an order that is not paid: query the channel first, close there, then release the legs."""
    order = OnlineOrder.objects.filter(number=number).first()
    if order is None:
        raise DomainError(ORDER_NOT_FOUND)
    if order.status == OnlineOrder.Status.AWAITING_CASH:
        channel = channel_of(order)
        try:
            trade = channel.query_order(out_trade_no=order.out_trade_no)
        except ChannelError as error:
            if error.code != "not_found":
                return Close.NOT_CLOSABLE  # try again later; never close blind
            trade = None
        if trade is not None and trade.state == TradeState.PAID:
            _paid_there(number, trade, source="query before close")
            return Close.SETTLED
        if trade is not None and trade.state != TradeState.CLOSED:
            try:
                channel.close_order(out_trade_no=order.out_trade_no)
            except ChannelError as error:
                if error.code == "paid":
                    trade = channel.query_order(out_trade_no=order.out_trade_no)
                    if trade.state != TradeState.PAID:
                        return Close.NOT_CLOSABLE  # refunded there already, or still moving: staff and reconciliation
                    _paid_there(number, trade, source="paid during close")
                    return Close.SETTLED
                return Close.NOT_CLOSABLE
    return _close_locked(number=number, reason=reason)


def order_payer_cancel(*, number: str, payer: Person) -> Close:
    """The payer gives up a payment they started (awaiting cash): the expiry job's path (query the channel,
    close its order, release the held legs). Safe to repeat and to race a notify: the channel is asked
    first, so cash already paid settles the order instead.

    ``closed``: cancelled now, or already closed; ``settled``: the cash was paid, nothing is cancelled;
    ``not_closable``: the channel could not be asked; nothing changed, try again.
    """
    order = OnlineOrder.objects.filter(number=number).select_related("person").first()
    if order is None or not may_pay_for(payer=payer, patient=order.person):
        raise DomainError(ORDER_NOT_FOUND)
    if order.status == OnlineOrder.Status.CLOSED:
        return Close.CLOSED  # a second click, or the expiry job was first
    if order.status != OnlineOrder.Status.AWAITING_CASH:
        if order.channel_transaction_id or order.settled_at:
            return Close.SETTLED
        raise state_refused(order.status)
    outcome = order_close(number=number, reason=PAYER_CANCELLED)
    if outcome == Close.NOT_CLOSABLE:
        order.refresh_from_db()
        if order.status == OnlineOrder.Status.CLOSED:
            return Close.CLOSED  # closed meanwhile (a concurrent cancel, or the expiry job)
        if order.channel_transaction_id or order.settled_at:
            return Close.SETTLED  # paid meanwhile (the notify won the race)
    return outcome


@retry_on_conflict
def _close_locked(*, number: str, reason: str) -> Close:
    """The locked part of closing: held legs released to their owners, the order closed, the hospital told."""
    with transaction.atomic():
        order = locked(number=number)
        if order.status not in (
            OnlineOrder.Status.PRE_SETTLED,
            OnlineOrder.Status.AWAITING_CASH,
            OnlineOrder.Status.SAVED,
        ):
            return Close.NOT_CLOSABLE
        if order.status == OnlineOrder.Status.AWAITING_CASH:
            lock_person(order.person_id)
            _release_insurance(order)
        move(order, OnlineOrder.Status.CLOSED, note=reason, closed_at=timezone.now())
        hospital_event(order, HospitalEvent.Kind.CLOSED, reason=reason)
    return Close.CLOSED


def orders_needing_a_query(*, now: dt.datetime | None = None, late_after: timedelta | None = None) -> list[str]:
    """Orders awaiting cash whose notify is overdue (``ONLINE_ORDER_LATE_AFTER_SECONDS``, 2 minutes)."""
    now = now or timezone.now()
    late_after = late_after if late_after is not None else timedelta(seconds=settings.ONLINE_ORDER_LATE_AFTER_SECONDS)
    return list(
        OnlineOrder.objects.filter(status=OnlineOrder.Status.AWAITING_CASH, created_at__lt=now - late_after)
        .order_by("created_at")
        .values_list("number", flat=True)[:500]
    )


def orders_expired_before_payment(*, now: dt.datetime | None = None) -> list[str]:
    """Bills the patient never started paying, past their payment window (nothing held, nothing at the channel)."""
    return list(
        OnlineOrder.objects.filter(
            status=OnlineOrder.Status.PRE_SETTLED, expires_at__lt=now or timezone.now()
        ).values_list("number", flat=True)[:500]
    )


def order_query_late(*, number: str) -> Cash | Close | Query:
    """A notify is late: ask the channel. Paid -> confirm; past the window and unpaid -> close."""
    order = OnlineOrder.objects.filter(number=number).first()
    if order is None or order.status != OnlineOrder.Status.AWAITING_CASH:
        return Query.NOTHING
    try:
        trade = channel_of(order).query_order(out_trade_no=order.out_trade_no)
    except ChannelError as error:
        if error.code == "not_found" and timezone.now() > order.expires_at:
            return order_close(number=number, reason="expired: the channel never saw it")
        return Query.RETRY_LATER
    if trade.state == TradeState.PAID:
        return _paid_there(number, trade, source="query")
    if timezone.now() > order.expires_at or trade.state == TradeState.CLOSED:
        return order_close(number=number, reason="expired unpaid")
    return Query.WAITING
