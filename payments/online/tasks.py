"""Celery tasks of online payment: thin, idempotent, take ids, time-limited, retried with backoff.

The top of the online-payment modules: tasks import the services; a service asks for a task by its
``jobs.Job`` name, never by importing it.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from payments.channels.base import ChannelError
from payments.online.confirm import order_close, order_query_late, orders_expired_before_payment, orders_needing_a_query
from payments.online.hospital import deliver, events_due
from payments.online.jobs import Job
from payments.online.notifies import notification_process, notifications_drain, notifications_sweep
from payments.online.reconcile import reconcile_all
from payments.online.refunds import cash_refund_start, refund_query, refunds_needing_a_query

COMMON = {"time_limit": 60, "soft_time_limit": 50, "acks_late": True}


@shared_task(name=Job.DELIVER_HOSPITAL_EVENT, **COMMON)
def deliver_hospital_event(event_id: int) -> str:
    return deliver(event_id=event_id)


@shared_task(name=Job.DELIVER_DUE_HOSPITAL_EVENTS, **COMMON)
def deliver_due_hospital_events() -> int:
    due = events_due()
    for event_id in due:
        deliver(event_id=event_id)
    return len(due)


@shared_task(
    name=Job.START_CASH_REFUND,
    autoretry_for=(ChannelError,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,
    **COMMON,
)
def start_cash_refund(refund_id: int) -> str:
    return cash_refund_start(refund_id=refund_id)


@shared_task(name=Job.QUERY_LATE_ORDERS, **COMMON)
def query_late_orders() -> dict[str, int]:
    """Every minute: orders whose notify is late are queried; expired unpaid ones closed after a query;
    bills nobody started paying closed once their window has passed; late refunds queried."""
    outcomes: dict[str, int] = {}

    def count(what: str) -> None:
        outcomes[what] = outcomes.get(what, 0) + 1

    for number in orders_needing_a_query():
        count(order_query_late(number=number))
    for number in orders_expired_before_payment():
        count(f"unpaid {order_close(number=number, reason='expired before payment')}")
    for number in refunds_needing_a_query():
        count(f"refund {refund_query(number=number)}")
    return outcomes


@shared_task(name=Job.RECONCILE_YESTERDAY, time_limit=900, soft_time_limit=850, acks_late=True)
def reconcile_yesterday() -> dict[str, dict[str, int]]:
    """Yesterday, per channel."""
    runs = reconcile_all(bill_date=timezone.localdate() - dt.timedelta(days=1))
    return {run.channel: {"rows": run.bill_rows, "differences": run.differences, "fixed": run.fixed} for run in runs}


@shared_task(
    name=Job.PROCESS_NOTIFICATION,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    max_retries=5,
    **COMMON,
)
def process_notification(notification_id: int) -> str:
    """A stored, verified channel notify: settle the order (or confirm the refund) it announces. Queued per
    notify only where there is no settle queue (no Redis, tasks not eager); drains settle the rest."""
    return str(notification_process(notification_id=notification_id))


@shared_task(name=Job.DRAIN_NOTIFICATIONS, **COMMON)
def drain_notifications(helper: bool = False) -> int:
    """Settle the notifies on the settle queue (queued by the first notify stored while none was queued
    or running; hands over to a fresh task after a while). A helper only shares a long queue's work."""
    return notifications_drain(helper=helper)


@shared_task(name=Job.PROCESS_PENDING_NOTIFICATIONS, **COMMON)
def process_pending_notifications() -> int:
    """Every minute: stored notifies no drain settled (a worker died, a message or a queued id was lost)."""
    return notifications_sweep()
