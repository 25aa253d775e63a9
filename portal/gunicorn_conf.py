"""gunicorn settings for the web processes: ``gunicorn portal.wsgi -c portal/gunicorn_conf.py --workers 4 ...``.

Command-line options still apply on top (workers, threads, bind). What it adds is the bookkeeping of
prometheus-client's multi-process mode: with ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its metrics
to files there and a scrape of ``/metrics`` sums them (portal.observability.metrics). The directory must exist
and start empty: create it (and empty it) before starting the web and the Celery worker, which share it on one
host, never while either runs (a worker's counters would vanish from the sum).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import multiprocess


def on_starting(server: Any) -> None:
    """Before any worker: the metrics directory exists (its contents are the operator's to clear)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker died or was replaced: its live gauges leave the sum (its counters stay: they did happen)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


# The master's own lines (starting, booting and replacing workers) in the same format as the workers'.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
from django.conf import settings  # noqa: E402

logconfig_dict = settings.LOGGING
