"""Celery tasks of online payment: thin, idempotent, take ids, time-limited, retried with backoff."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from payments.channels.base import ChannelError

COMMON = {"time_limit": 60, "soft_time_limit": 50, "acks_late": True}


@shared_task(name="payments.online.deliver_hospital_event", **COMMON)
def deliver_hospital_event(event_id: int) -> str:
    from payments.online.hospital import deliver

    return deliver(event_id=event_id)


@shared_task(name="payments.online.deliver_due_hospital_events", **COMMON)
def deliver_due_hospital_events() -> int:
    from payments.online.hospital import deliver, events_due

    due = events_due()
    for event_id in due:
        deliver(event_id=event_id)
    return len(due)


@shared_task(
    name="payments.online.start_cash_refund",
    autoretry_for=(ChannelError,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,
    **COMMON,
)
def start_cash_refund(refund_id: int) -> str:
    from payments.online.refunds import cash_refund_start

    return cash_refund_start(refund_id=refund_id)


@shared_task(name="payments.online.query_late_orders", **COMMON)
def query_late_orders() -> dict[str, int]:
    """Every minute: orders whose notify is late are queried; expired unpaid ones closed after a query;
    bills nobody started paying closed once their window has passed; late refunds queried."""
    from payments.online.orders import (
        order_close,
        order_query_late,
        orders_expired_before_payment,
        orders_needing_a_query,
    )
    from payments.online.refunds import refund_query, refunds_needing_a_query

    outcomes: dict[str, int] = {}
    for number in orders_needing_a_query():
        outcome = order_query_late(number=number)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    for number in orders_expired_before_payment():
        outcome = order_close(number=number, reason="expired before payment")
        outcomes[f"unpaid {outcome}"] = outcomes.get(f"unpaid {outcome}", 0) + 1
    for number in refunds_needing_a_query():
        outcome = refund_query(number=number)
        outcomes[f"refund {outcome}"] = outcomes.get(f"refund {outcome}", 0) + 1
    return outcomes


@shared_task(name="payments.online.reconcile_yesterday", time_limit=900, soft_time_limit=850, acks_late=True)
def reconcile_yesterday() -> dict[str, dict[str, int]]:
    """Yesterday, per channel."""
    from payments.online.reconcile import reconcile_all

    runs = reconcile_all(bill_date=timezone.localdate() - dt.timedelta(days=1))
    return {run.channel: {"rows": run.bill_rows, "differences": run.differences, "fixed": run.fixed} for run in runs}


@shared_task(
    name="payments.online.process_notification",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    max_retries=5,
    **COMMON,
)
def process_notification(notification_id: int) -> str:
    """A stored, verified channel notify: settle the order (or confirm the refund) it announces. Queued per
    notify only where there is no settle queue (no Redis, tasks not eager); drains settle the rest."""
    from payments.online.notifies import notification_process

    return notification_process(notification_id=notification_id)


@shared_task(name="payments.online.drain_notifications", **COMMON)
def drain_notifications(helper: bool = False) -> int:
    """Settle the notifies on the settle queue (queued by the first notify stored while none was queued
    or running; hands over to a fresh task after a while). A helper only shares a long queue's work."""
    from payments.online.notifies import notifications_drain

    return notifications_drain(helper=helper)


@shared_task(name="payments.online.process_pending_notifications", **COMMON)
def process_pending_notifications() -> int:
    """Every minute: stored notifies no drain settled (a worker died, a message or a queued id was lost)."""
    from payments.online.notifies import notifications_sweep

    return notifications_sweep()
