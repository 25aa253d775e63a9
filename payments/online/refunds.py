"""Refunds of online orders: their own numbers, one at a time per order, never more than was paid,
each part returned to where it came from; the cash part confirmed by the channel's notify or a query.

Above the shared order state; independent of upload and pay and of cash confirmation (a late payment's
refund is created there and started here, by its task).
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from payments.benefits.services import benefit_return_share
from payments.channels.base import ChannelError, RefundState
from payments.channels.factory import notify_url
from payments.online.jobs import Job, enqueue_after_commit
from payments.online.models import HospitalEvent, OnlineOrder, OnlineRefund, OnlineRefundEvent
from payments.online.state import channel_of, hospital_event, locked, move, note
from portal.concurrency import lock_accounts, lock_person, retry_on_conflict
from portal.errors import DomainError, define
from portal.family.deduction import REFUND_TOO_LARGE, family_refund
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.ledger.services import IDEMPOTENCY_CONFLICT, Leg, institution_account, ledger_post, region_account
from portal.transitions import transition

PARTS = ("fund", "assistance", "personal", "cash")

REFUND_IN_PROGRESS = define(
    "refund_in_progress", 409, "该订单有退款正在处理，请稍后再试", "A refund of this order is still in progress"
)
REFUND_EMPTY = define("refund_empty", 400, "请指定退款金额", "Say what to refund")
REFUND_NOT_ALLOWED = define(
    "refund_not_allowed", 409, "订单当前状态（{status}）不能退款", "The order is {status}; it cannot be refunded"
)


class CashRefund(StrEnum):
    """Where a refund's cash part stands after asking or hearing from the channel."""

    REFUNDED = "refunded"  # confirmed now
    ALREADY = "already"  # confirmed before
    PROCESSING = "processing"  # the channel took it and is refunding
    FAILED = "failed"  # the channel refused it: the order needs staff
    CLOSED = "closed"  # the channel closed it without refunding: staff and reconciliation
    RETRY_LATER = "retry later"  # the channel could not be asked
    UNKNOWN = "unknown refund"  # not one of ours


def refundable(order: OnlineOrder) -> dict[str, int]:
    """What is left of each part, counting refunds that succeeded or are in progress. A refund whose cash
    part the channel refused still gave its other parts back (they go back when it is asked for)."""
    live = ~Q(status=OnlineRefund.Status.FAILED)
    taken = order.refunds.aggregate(
        fund=Sum("fund_fen"),
        assistance=Sum("assistance_fen"),
        personal=Sum("personal_fen"),
        cash=Sum("cash_fen", filter=live),
    )
    paid = {
        "fund": order.fund_fen,
        "assistance": order.assistance_fen,
        "personal": order.personal_fen,
        "cash": order.cash_fen,
    }
    return {part: paid[part] - (taken[part] or 0) for part in PARTS}


@retry_on_conflict
def refund_request(
    *, institution_id: int, number: str, idempotency_key: str, parts: dict[str, int] | None, reason: str = ""
) -> OnlineRefund:
    """Refund the whole order (``parts=None``) or the given parts in fen."""
    request_hash = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        order = locked(number=number, institution_id=institution_id)
        first = order.refunds.filter(idempotency_key=idempotency_key).first()
        if first is not None:
            if first.request_hash != request_hash:
                raise DomainError(IDEMPOTENCY_CONFLICT)
            return first
        if order.status not in (OnlineOrder.Status.SETTLED, OnlineOrder.Status.REFUNDED_PARTLY):
            if order.status == OnlineOrder.Status.REFUNDING:
                raise DomainError(REFUND_IN_PROGRESS)
            raise DomainError(REFUND_NOT_ALLOWED, status=order.status)
        left = refundable(order)
        wanted = dict(left) if parts is None else {part: int(parts.get(part, 0)) for part in PARTS}
        if sum(wanted.values()) <= 0:
            raise DomainError(REFUND_EMPTY)
        if any(wanted[p] < 0 or wanted[p] > left[p] for p in PARTS):
            raise DomainError(REFUND_TOO_LARGE, left=sum(left.values()), details={"left": left})
        lock_person(order.person_id)
        receivable = institution_account(institution=order.institution)
        held_from = [] if order.hold_transaction_id is None else [order.hold_transaction_id]
        drawn = LedgerEntry.objects.filter(transaction_id__in=held_from).values_list("account_id", flat=True)
        lock_accounts([receivable.pk, *drawn])
        refund = OnlineRefund.objects.create(
            order=order,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            reason=reason[:80],
            fund_fen=wanted["fund"],
            assistance_fen=wanted["assistance"],
            personal_fen=wanted["personal"],
            cash_fen=wanted["cash"],
            channel=order.channel if wanted["cash"] else "",
        )
        OnlineRefundEvent.objects.create(refund=refund, to_status=refund.status, note=reason[:200])
        _return_insurance(order, refund)
        move(order, OnlineOrder.Status.REFUNDING, note=f"refund {refund.number}")
        if refund.cash_fen == 0:
            _finish(order, refund)
        else:
            enqueue_after_commit(Job.START_CASH_REFUND, refund.pk)
    refund.refresh_from_db()
    return refund


def _return_insurance(order: OnlineOrder, refund: OnlineRefund) -> None:
    """Fund and assistance back to their sources, personal money back to each owner, usage given back
    to the schemes that used it (with deductible progress as the resident's money comes back).

    Call under the order's, the person's and the accounts' locks (refund_request)."""
    receivable = institution_account(institution=order.institution)
    region = order.person.region
    legs: list[Leg] = []
    if refund.fund_fen:
        legs.append(Leg(region_account(region=region, kind=LedgerAccount.Kind.FUND).pk, refund.fund_fen))
    if refund.assistance_fen:
        legs.append(Leg(region_account(region=region, kind=LedgerAccount.Kind.ASSISTANCE).pk, refund.assistance_fen))
    if legs:
        legs.append(Leg(receivable.pk, -(refund.fund_fen + refund.assistance_fen)))
        ledger_post(
            kind=LedgerTransaction.Kind.REFUND,
            legs=legs,
            reference=refund.number,
            memo=f"refund of {order.number}",
            beneficiary=order.person,
        )
    taken = refundable(order)  # this refund included: it is already saved
    paid_by_resident = order.assistance_fen + order.personal_fen + order.cash_fen
    left_to_resident = taken["assistance"] + taken["personal"] + taken["cash"]
    benefit_return_share(
        origin=order.number,
        reference=refund.number,
        fund_fen=refund.fund_fen,
        assistance_fen=refund.assistance_fen,
        resident_refunded_fen=paid_by_resident - left_to_resident,
        resident_paid_fen=paid_by_resident,
    )
    if refund.personal_fen and order.hold_transaction_id is not None:
        family_refund(
            payment_id=order.hold_transaction_id,
            amount_fen=refund.personal_fen,
            reference=refund.number,
            from_account_id=receivable.pk,
        )


def _move_refund(refund: OnlineRefund, new: str, *, note: str, **fields: Any) -> OnlineRefund:
    """Compare-and-set along a declared transition, with a history row."""
    return transition(
        refund,
        new,
        transitions=OnlineRefund.TRANSITIONS,
        refused=lambda old: DomainError(REFUND_NOT_ALLOWED, status=old),
        history=lambda old, to: OnlineRefundEvent.objects.create(
            refund=refund, from_status=old, to_status=to, note=note[:200]
        ),
        **fields,
    )


def _finish(order: OnlineOrder, refund: OnlineRefund, channel_refund_id: str = "", source: str = "") -> None:
    _move_refund(
        refund,
        OnlineRefund.Status.SUCCEEDED,
        note=f"confirmed by {source}" if source else "nothing to refund in cash",
        completed_at=timezone.now(),
        channel_refund_id=channel_refund_id,
    )
    if order.status == OnlineOrder.Status.CLOSED:  # a late payment given back
        note(order, f"late payment refunded ({refund.number})")
        hospital_event(order, HospitalEvent.Kind.REFUNDED, refund=refund.number, cash=refund.cash_fen)
        return
    left = refundable(order)
    new = OnlineOrder.Status.REFUNDED if not any(left.values()) else OnlineOrder.Status.REFUNDED_PARTLY
    move(order, new, note=f"refund {refund.number} done")
    hospital_event(order, HospitalEvent.Kind.REFUNDED, refund=refund.number, refund_total=refund.total_fen)


def cash_refund_start(*, refund_id: int) -> CashRefund:
    """Ask the channel to refund the cash part (outside any lock). Idempotent: the refund number is reused."""
    refund = OnlineRefund.objects.select_related("order").get(pk=refund_id)
    if refund.status != OnlineRefund.Status.PROCESSING:
        return _settled(refund)
    order = refund.order
    try:
        result = channel_of(order).refund(
            out_trade_no=order.out_trade_no,
            out_refund_no=refund.number,
            refund_fen=refund.cash_fen,
            total_fen=order.cash_fen,
            reason=refund.reason or "退款",
            notify_url=notify_url(order.channel),
        )
    except ChannelError as error:
        if error.retryable:
            raise
        with transaction.atomic():
            current = locked(number=order.number)
            refund.refresh_from_db()
            if refund.status != OnlineRefund.Status.PROCESSING:
                return _settled(refund)
            _move_refund(refund, OnlineRefund.Status.FAILED, note=f"channel refused: {error.detail}")
            if current.status == OnlineOrder.Status.REFUNDING:
                move(current, OnlineOrder.Status.NEEDS_ATTENTION, attention=f"cash refund refused: {error.detail}")
        return CashRefund.FAILED
    if result.state == RefundState.SUCCEEDED:
        return cash_refund_confirmed(out_refund_no=refund.number, refund_id=result.refund_id or "", source="answer")
    return CashRefund.PROCESSING


def _settled(refund: OnlineRefund) -> CashRefund:
    """A refund no longer processing, as an outcome."""
    return CashRefund.ALREADY if refund.status == OnlineRefund.Status.SUCCEEDED else CashRefund.FAILED


@retry_on_conflict
def cash_refund_confirmed(*, out_refund_no: str, refund_id: str, source: str) -> CashRefund:
    """The channel says the cash refund succeeded (notify, query or the refund call's answer). Idempotent."""
    refund = OnlineRefund.objects.filter(number=out_refund_no).first()
    if refund is None:
        return CashRefund.UNKNOWN
    with transaction.atomic():
        order = locked(number=refund.order.number)
        refund.refresh_from_db()
        if refund.status != OnlineRefund.Status.PROCESSING:
            return CashRefund.ALREADY
        _finish(order, refund, channel_refund_id=refund_id, source=source)
    return CashRefund.REFUNDED


def refunds_needing_a_query() -> list[str]:
    return list(
        OnlineRefund.objects.filter(status=OnlineRefund.Status.PROCESSING, cash_fen__gt=0).values_list(
            "number", flat=True
        )[:500]
    )


def refund_query(*, number: str) -> CashRefund:
    refund = OnlineRefund.objects.select_related("order").get(number=number)
    try:
        result = channel_of(refund.order).query_refund(out_refund_no=number, out_trade_no=refund.order.out_trade_no)
    except ChannelError as error:
        if error.code == "not_found":
            return cash_refund_start(refund_id=refund.pk)  # the request never reached the channel: send it
        return CashRefund.RETRY_LATER
    if result.state == RefundState.SUCCEEDED:
        return cash_refund_confirmed(out_refund_no=number, refund_id=result.refund_id or "", source="query")
    return {RefundState.FAILED: CashRefund.FAILED, RefundState.CLOSED: CashRefund.CLOSED}.get(
        result.state, CashRefund.PROCESSING
    )
