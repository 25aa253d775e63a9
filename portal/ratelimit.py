"""A fixed-window counter in the shared cache, for limits the API's throttles do not cover (pages, feedback)."""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(key: str, *, period: int) -> tuple[int, int]:
    """Count one more use of ``key`` in the current window of ``period`` seconds.

    Returns how many uses the window has had, this one included, and the seconds until it ends."""
    now = int(time.time())
    bucket = f"ratelimit:{key}:{now // period}"
    cache.add(bucket, 0, period)
    try:
        used = cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, period)
        used = 1
    return used, period - now % period
