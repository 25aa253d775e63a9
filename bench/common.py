"""Shared set-up for benchmarks: a throw-away test database and a baseline DRF endpoint."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench.urls"
    settings.ALLOWED_HOSTS = ["*"]


def create_test_database() -> Callable[[], None]:
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)

    def destroy() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return destroy


def met(yes: bool) -> str:
    """How every benchmark reports a goal."""
    return "met" if yes else "NOT met"


def timed(label: str, count: int, call: Callable[[], Any]) -> dict[str, float]:
    for _ in range(min(50, count)):
        call()  # warm-up
    samples = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    samples.sort()
    result = {
        "per_second": count / elapsed,
        "p50_ms": statistics.median(samples) * 1000,
        "p95_ms": samples[int(len(samples) * 0.95) - 1] * 1000,
        "p99_ms": samples[int(len(samples) * 0.99) - 1] * 1000,
    }
    print(
        f"{label:<44} {result['per_second']:>9.0f}/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p95 {result['p95_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  (n={count})"
    )
    return result
