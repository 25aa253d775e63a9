"""Celery tasks for the Q&A: scheduled publishing and expiry, and rebuilding the search index."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(name="portal.qa.tasks.publish_scheduled", time_limit=120, soft_time_limit=90)
def publish_scheduled() -> None:
    """Wagtail's scheduled publishing and expiry (go_live_at / expire_at), every minute from beat."""
    call_command("publish_scheduled", verbosity=0)


@shared_task(name="portal.qa.tasks.reindex_all", time_limit=1800, soft_time_limit=1700)
def reindex_all() -> int:
    from portal.qa.services import reindex_all as rebuild

    return rebuild()
