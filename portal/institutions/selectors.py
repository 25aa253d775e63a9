"""Reads for institutions and terminals."""

from __future__ import annotations

from portal.institutions.models import Terminal
from portal.institutions.services import terminal_secret
from portal.localcache import LocalCache, local_cache

# Terminals sign every request: their row and decrypted secret are kept in each process for a short
# while. A change (deactivation, new secret) reaches this process at once and others within this time.
TERMINAL_CACHE_SECONDS = 30
_terminals: LocalCache[tuple[Terminal, str] | None] = local_cache(TERMINAL_CACHE_SECONDS)


def _load_terminal(key_id: str) -> tuple[Terminal, str] | None:
    terminal = (
        Terminal.objects.select_related("institution", "institution__region")
        .filter(key_id=key_id, active=True, institution__designated=True)
        .first()
    )
    return None if terminal is None else (terminal, terminal_secret(terminal))


def terminal_by_key(*, key_id: str) -> tuple[Terminal, str] | None:
    """The active terminal of a designated institution with this key id, and its secret."""
    found = _terminals.get_or_load(key_id, lambda: _load_terminal(key_id))
    if found is None:
        _terminals.forget(key_id)  # unknown keys are not remembered
    return found


def terminal_cache_forget(*, key_id: str | None = None) -> None:
    _terminals.forget(key_id)
