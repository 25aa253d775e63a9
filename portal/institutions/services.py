"""Writes for regions, institutions and terminals."""

from __future__ import annotations

import secrets

from django.db import transaction

from portal import crypto
from portal.errors import DomainError, define
from portal.institutions.models import Institution, Region, Terminal

REGION_UNKNOWN = define("region_unknown", 400, "统筹区代码 {code} 不存在", "Region code {code} is unknown")

TERMINAL_SECRET_CONTEXT = "terminal.secret"


def region_get(*, code: str) -> Region:
    try:
        return Region.objects.get(code=code, active=True)
    except Region.DoesNotExist:
        raise DomainError(REGION_UNKNOWN, code=code) from None


def terminal_create(
    *,
    institution: Institution,
    name: str,
    kind: str = Terminal.Kind.SCANNER,
    key_id: str | None = None,
    secret: str | None = None,
) -> tuple[Terminal, str]:
    """Create a terminal; returns it and its secret, which is shown this once."""
    secret = secret or secrets.token_urlsafe(32)
    terminal = Terminal.objects.create(
        institution=institution,
        name=name,
        kind=kind,
        key_id=key_id or f"T{secrets.token_hex(8).upper()}",
        secret_encrypted=crypto.encrypt(secret, context=TERMINAL_SECRET_CONTEXT),
    )
    return terminal, secret


def terminal_rotate_secret(*, terminal_id: int) -> str:
    from portal.institutions.selectors import terminal_cache_forget

    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal_id).update(
            secret_encrypted=crypto.encrypt(secret, context=TERMINAL_SECRET_CONTEXT)
        )
    terminal_cache_forget()
    return secret


def terminal_secret(terminal: Terminal) -> str:
    return crypto.decrypt(terminal.secret_encrypted, context=TERMINAL_SECRET_CONTEXT)
