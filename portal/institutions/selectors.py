"""Reads for institutions and terminals."""

from __future__ import annotations

import threading
import time

from portal.institutions.models import Terminal
from portal.institutions.services import terminal_secret

# Terminals sign every request: their row and decrypted secret are kept in each process for a short
# while. A change (deactivation, new secret) reaches this process at once and others within this time.
TERMINAL_CACHE_SECONDS = 30
_cache: dict[str, tuple[float, Terminal, str]] = {}
_lock = threading.Lock()


def terminal_by_key(*, key_id: str) -> tuple[Terminal, str] | None:
    """The active terminal of a designated institution with this key id, and its secret."""
    now = time.monotonic()
    hit = _cache.get(key_id)
    if hit is not None and now - hit[0] < TERMINAL_CACHE_SECONDS:
        return hit[1], hit[2]
    terminal = (
        Terminal.objects.select_related("institution", "institution__region")
        .filter(key_id=key_id, active=True, institution__designated=True)
        .first()
    )
    if terminal is None:
        terminal_cache_forget(key_id=key_id)
        return None
    secret = terminal_secret(terminal)
    with _lock:
        _cache[key_id] = (now, terminal, secret)
    return terminal, secret


def terminal_cache_forget(*, key_id: str | None = None) -> None:
    with _lock:
        if key_id is None:
            _cache.clear()
        else:
            _cache.pop(key_id, None)
