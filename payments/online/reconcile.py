"""Daily reconciliation, per channel and day, against the channel's trade bill; and against the ledger.

Each channel's bill is compared with the orders and refunds whose cash went through that channel.

Every difference is kept for staff. What is safe is fixed at once: a payment the channel has and we do
not goes through the same path as a notify (settle, or refund if the order was closed); a refund the
channel completed that we still think is processing is confirmed. Nothing is ever deleted or guessed.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.utils import timezone

from payments.channels.base import ChannelError
from payments.channels.factory import enabled, get_channel
from payments.online.confirm import Cash, cash_confirmed
from payments.online.models import (
    OnlineOrder,
    OnlineRefund,
    ReconciliationDifference,
    ReconciliationRun,
)
from payments.online.refunds import CashRefund, cash_refund_confirmed
from portal.ledger.models import LedgerEntry

Kind = ReconciliationDifference.Kind


def _day_bounds(bill_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(bill_date, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def reconcile_all(*, bill_date: dt.date) -> list[ReconciliationRun]:
    """One run per channel this deployment takes payments through."""
    return [reconcile(bill_date=bill_date, channel_name=name) for name in enabled()]


def reconcile(*, bill_date: dt.date, channel_name: str) -> ReconciliationRun:
    channel = get_channel(channel_name)
    try:
        rows = channel.trade_bill(bill_date=bill_date)
    except ChannelError as error:
        if error.code != "not_found":  # a day without trades has no bill
            raise
        rows = []
    run = ReconciliationRun.objects.create(bill_date=bill_date, channel=channel.name, bill_rows=len(rows))
    start, end = _day_bounds(bill_date)
    differences: list[ReconciliationDifference] = []

    def differ(kind: str, **fields: object) -> ReconciliationDifference:
        difference = ReconciliationDifference(run=run, kind=kind, **fields)
        differences.append(difference)
        return difference

    paid_there = {r.out_trade_no: r for r in rows if r.kind == "payment"}
    refunded_there = {r.out_refund_no: r for r in rows if r.kind == "refund"}
    paid_here = {
        o.out_trade_no: o
        for o in OnlineOrder.objects.filter(
            cash_paid_at__gte=start, cash_paid_at__lt=end, channel=channel.name
        ).exclude(out_trade_no="")
    }
    refunded_here = {
        r.number: r
        for r in OnlineRefund.objects.filter(
            completed_at__gte=start, completed_at__lt=end, cash_fen__gt=0, channel=channel.name
        )
    }
    matched = 0
    for out_trade_no, row in paid_there.items():
        order = paid_here.get(out_trade_no)
        if order is None:
            difference = differ(
                Kind.PAID_THERE_NOT_HERE,
                out_trade_no=out_trade_no,
                details={"amount_fen": row.amount_fen, "transaction_id": row.transaction_id},
            )
            if OnlineOrder.objects.filter(out_trade_no=out_trade_no).exists():
                outcome = cash_confirmed(
                    order_number=out_trade_no,
                    transaction_id=row.transaction_id,
                    amount_fen=row.amount_fen,
                    source="reconciliation",
                )
                difference.fixed = outcome in (Cash.SETTLED, Cash.LATE_PAYMENT_REFUNDED)
                difference.fix_note = outcome
        elif order.cash_fen != row.amount_fen:
            differ(
                Kind.AMOUNT_DIFFERS,
                out_trade_no=out_trade_no,
                details={"here_fen": order.cash_fen, "there_fen": row.amount_fen},
            )
        else:
            matched += 1
    for out_trade_no, order in paid_here.items():
        if out_trade_no not in paid_there:
            differ(Kind.PAID_HERE_NOT_THERE, out_trade_no=out_trade_no, details={"here_fen": order.cash_fen})
    for out_refund_no, row in refunded_there.items():
        refund = refunded_here.get(out_refund_no)
        if refund is None:
            difference = differ(
                Kind.REFUND_THERE_NOT_HERE,
                out_trade_no=row.out_trade_no,
                out_refund_no=out_refund_no,
                details={"refund_fen": row.refund_fen},
            )
            if OnlineRefund.objects.filter(number=out_refund_no, status=OnlineRefund.Status.PROCESSING).exists():
                refunded = cash_refund_confirmed(out_refund_no=out_refund_no, refund_id="", source="reconciliation")
                difference.fixed = refunded == CashRefund.REFUNDED
                difference.fix_note = refunded
        elif refund.cash_fen != row.refund_fen:
            differ(
                Kind.AMOUNT_DIFFERS,
                out_trade_no=row.out_trade_no,
                out_refund_no=out_refund_no,
                details={"here_fen": refund.cash_fen, "there_fen": row.refund_fen},
            )
        else:
            matched += 1
    for out_refund_no, refund in refunded_here.items():
        if out_refund_no not in refunded_there:
            differ(Kind.REFUND_HERE_NOT_THERE, out_refund_no=out_refund_no, details={"here_fen": refund.cash_fen})
    # Against the ledger: every order settled that day credited the hospital exactly its insurance parts
    # (the orders of this channel; those with no cash part in the first channel's run).
    channels = [channel.name, ""] if enabled()[:1] == (channel.name,) else [channel.name]
    settled = OnlineOrder.objects.filter(settled_at__gte=start, settled_at__lt=end, channel__in=channels)
    for order in settled:
        credited = (
            LedgerEntry.objects.filter(
                transaction__reference=order.number, account__institution=order.institution, amount__gt=0
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        expected = order.fund_fen + order.assistance_fen + order.personal_fen
        if credited != expected:
            differ(
                Kind.LEDGER_MISMATCH, out_trade_no=order.number, details={"ledger_fen": credited, "order_fen": expected}
            )
    ReconciliationDifference.objects.bulk_create(differences)
    ReconciliationRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        matched=matched,
        differences=len(differences),
        fixed=sum(1 for d in differences if d.fixed),
    )
    run.refresh_from_db()
    return run
