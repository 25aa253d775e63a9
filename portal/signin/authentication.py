"""DRF authentication for institution terminals (signed requests) and app tokens."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from portal.errors import DomainError, define
from portal.institutions.models import Terminal
from portal.institutions.selectors import terminal_by_key
from portal.signin.models import ResidentToken
from portal.signin.services import TOKEN_PREFIX, token_hash
from portal.signin.signing import signature

SIGNATURE_MISSING = define(
    "signature_missing",
    401,
    "请求缺少签名头",
    "The request lacks signature headers (X-Timestamp, X-Nonce, X-Signature)",
)
SIGNATURE_INVALID = define("signature_invalid", 401, "请求签名不正确", "The request signature does not match")
TERMINAL_UNKNOWN = define("terminal_unknown", 401, "终端未登记或已停用", "The terminal key is unknown or disabled")
REQUEST_STALE = define(
    "request_stale",
    401,
    "请求时间戳超出允许范围（±{seconds} 秒）",
    "The request timestamp is outside ±{seconds} seconds",
)
REQUEST_REPLAYED = define(
    "request_replayed", 401, "重复的请求（nonce 已使用）", "This request was already received (nonce reused)"
)
TOKEN_INVALID = define("token_invalid", 401, "登录已失效，请重新登录", "Your sign-in has expired; sign in again")
# What any operation can answer when the credentials sent with it do not verify (portal.openapi).
FAILURES = (SIGNATURE_MISSING, SIGNATURE_INVALID, TERMINAL_UNKNOWN, REQUEST_STALE, REQUEST_REPLAYED, TOKEN_INVALID)

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@lru_cache(maxsize=4)
def _redis(url: str, pid: int) -> redis.Redis:
    """One client with one connection per process (``pid``: a forked child opens its own), kept open:
    a claim is one command, and a connection pool's checkout and health check cost more than the
    command itself. The client locks the connection around each command, so threads may share it."""
    return redis.Redis.from_url(url, single_connection_client=True)


def claim_nonce(key: str, *, ttl: int) -> bool:
    """True the first time a key is claimed within ``ttl`` seconds (atomic ``SET NX EX`` in Redis).

    Every terminal request claims one, so with Redis one client is kept per process instead of going
    through the cache framework; without Redis (embedded mode) the local cache does the same job.
    """
    if settings.REDIS_URL:
        prefixed = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{key}"
        return bool(_redis(settings.REDIS_URL, os.getpid()).set(prefixed, b"1", nx=True, ex=ttl))
    return bool(cache.add(key, 1, timeout=ttl))


class DomainAuthenticationFailed(exceptions.AuthenticationFailed):
    """Carries a domain error through DRF's authentication machinery."""

    def __init__(self, error: DomainError) -> None:
        self.domain_error = error
        super().__init__(detail=error.message(), code=error.code)


class TerminalSignatureAuthentication(BaseAuthentication):
    """Authenticates a terminal; ``request.user`` and ``request.auth`` are the :class:`Terminal`."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key_id = request.META.get("HTTP_X_TERMINAL_KEY")
        if not key_id:
            return None
        try:
            return self._check(request, key_id)
        except DomainError as error:
            raise DomainAuthenticationFailed(error) from None

    def _check(self, request: Request, key_id: str) -> tuple[Terminal, Terminal]:
        timestamp = request.META.get("HTTP_X_TIMESTAMP", "")
        nonce = request.META.get("HTTP_X_NONCE", "")
        sent = request.META.get("HTTP_X_SIGNATURE", "")
        if not (timestamp and nonce and sent):
            raise DomainError(SIGNATURE_MISSING)
        max_age = settings.TERMINAL_SIGNATURE_MAX_AGE_SECONDS
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise DomainError(REQUEST_STALE, seconds=max_age)
        if abs(time.time() - int(timestamp)) > max_age:
            raise DomainError(REQUEST_STALE, seconds=max_age)
        if not _NONCE.match(nonce):
            raise DomainError(SIGNATURE_INVALID, details={"reason": "nonce format"})
        found = terminal_by_key(key_id=key_id)
        if found is None:
            raise DomainError(TERMINAL_UNKNOWN)
        terminal, secret = found
        body = request._request.body
        expected = signature(
            secret=secret,
            method=request.method or "GET",
            path=request._request.get_full_path(),
            timestamp=timestamp,
            nonce=nonce,
            body=body,
        )
        if not constant_time_compare(expected, sent):
            raise DomainError(SIGNATURE_INVALID)
        # Claim the nonce only after the signature is good, so nobody can burn a terminal's nonces.
        if not claim_nonce(f"terminal-nonce:{terminal.key_id}:{nonce}", ttl=2 * max_age + 5):
            raise DomainError(REQUEST_REPLAYED)
        now = timezone.now()
        if terminal.last_seen_at is None or now - terminal.last_seen_at > timedelta(minutes=1):
            Terminal.objects.filter(pk=terminal.pk).update(last_seen_at=now)
            terminal.last_seen_at = now  # the cached copy: at most one such write a minute per process
        return terminal, terminal

    def authenticate_header(self, request: Request) -> str:
        return 'HMAC-SHA256 realm="terminal"'


class ResidentTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer rt_...`` tokens issued at app sign-in."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.startswith(TOKEN_PREFIX):
            return None
        token = (
            ResidentToken.objects.select_related("user")
            .filter(key_hash=token_hash(raw.strip()), revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if token is None or not token.user.is_active:
            raise DomainAuthenticationFailed(DomainError(TOKEN_INVALID))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ResidentToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
