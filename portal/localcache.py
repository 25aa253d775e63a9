"""A small per-process cache with a time limit, for reference data read on every request (terminals,
rule sets, audit rules). A change made in this process clears the entry at once (signals); other
processes see it within ``ttl`` seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LocalCache(Generic[V]):
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._data: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = load()
        with self._lock:
            self._data[key] = (now, value)
        return value

    def get(self, key: Hashable) -> V | None:
        hit = self._data.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def put(self, key: Hashable, value: V, max_entries: int = 100_000) -> None:
        with self._lock:
            if len(self._data) >= max_entries:
                self._data.clear()
            self._data[key] = (time.monotonic(), value)

    def forget(self, key: Hashable | None = None) -> None:
        with self._lock:
            if key is None:
                self._data.clear()
            else:
                self._data.pop(key, None)


_ALL: list[LocalCache] = []


def local_cache(ttl: float) -> LocalCache:
    cache: LocalCache = LocalCache(ttl)
    _ALL.append(cache)
    return cache


def forget_all() -> None:
    """Tests: start every test with empty local caches."""
    for cache in _ALL:
        cache.forget()
