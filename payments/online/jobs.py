"""The background jobs of online payment, by name, and how a service asks for one.

Services sit below the tasks that drive them (``tasks.py`` imports the services, never the other way
round), so a service names the job it wants run instead of importing its task. ``tasks.py`` registers each
task under these names; a test checks that every job has its task.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import transaction


class Job(StrEnum):
    DELIVER_HOSPITAL_EVENT = "payments.online.deliver_hospital_event"
    DELIVER_DUE_HOSPITAL_EVENTS = "payments.online.deliver_due_hospital_events"
    START_CASH_REFUND = "payments.online.start_cash_refund"
    QUERY_LATE_ORDERS = "payments.online.query_late_orders"
    RECONCILE_YESTERDAY = "payments.online.reconcile_yesterday"
    PROCESS_NOTIFICATION = "payments.online.process_notification"
    DRAIN_NOTIFICATIONS = "payments.online.drain_notifications"
    PROCESS_PENDING_NOTIFICATIONS = "payments.online.process_pending_notifications"


def task(job: Job) -> Any:
    """The registered Celery task of ``job`` (its module is imported by Celery's autodiscovery the first
    time one is needed, so a web process queues through the task itself, eagerly when tasks run eagerly)."""
    from portal.celery import app

    try:
        return app.tasks[job]
    except KeyError:
        app.loader.import_default_modules()  # autodiscovery: imports every app's and TASK_PACKAGES' tasks
        return app.tasks[job]


def enqueue(job: Job, *args: Any, **kwargs: Any) -> None:
    """Queue ``job`` now (raises the broker's error when it cannot be queued)."""
    task(job).delay(*args, **kwargs)


def enqueue_after_commit(job: Job, *args: Any) -> None:
    """Queue ``job`` once the current transaction commits (not at all if it rolls back)."""
    transaction.on_commit(lambda: enqueue(job, *args))
