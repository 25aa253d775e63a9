"""Signed notifications to internet hospitals: paid, refunded, closed. At least once, idempotent by id.

Each POST carries ``X-Event-Id``, ``X-Timestamp`` and ``X-Signature`` = base64(HMAC-SHA256(secret,
``event_id\\ntimestamp\\nbody``)). The hospital answers 2xx once it has stored the event; anything else
(or no answer) is retried with exponential backoff (``HOSPITAL_EVENT_RETRY_BASE_SECONDS`` x 2^attempts) up to
12 times (about 11 hours with the default 10 s), then staff look.
The hospital can also poll ``GET /api/v1/hospital/orders/{number}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.online.models import HospitalEndpoint, HospitalEvent
from portal import crypto
from portal.errors import DomainError, define
from portal.institutions.models import Institution

SECRET_CONTEXT = "hospital.notify_secret"
MAX_ATTEMPTS = 12
TIMEOUT_SECONDS = 5


NOTIFY_URL_INVALID = define(
    "notify_url_invalid",
    400,
    "通知地址须为 https 地址，且指向互联网上的公网地址（{reason}）",
    "The notify URL must be https and reach a public internet address ({reason})",
)


@dataclass(frozen=True)
class Target:
    """Where a notification goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    extra = [ipaddress.ip_network(n, strict=False) for n in settings.HOSPITAL_NOTIFY_ALLOWED_NETWORKS]
    return ip.is_global or any(ip in network for network in extra)


def endpoint_target(url: str) -> Target:
    """Check a hospital's notify URL: https (http only in embedded mode), and every address its host
    resolves to public (or in ``HOSPITAL_NOTIFY_ALLOWED_NETWORKS``). Raises ``notify_url_invalid``.

    Checked when the URL is registered and again before every delivery (DNS may have changed), and the
    connection goes to the address that was checked: a name cannot be re-pointed at 169.254.169.254 or
    at our own Redis between the check and the call."""
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.HOSPITAL_NOTIFY_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise DomainError(NOTIFY_URL_INVALID, reason=f"scheme {parts.scheme or '-'}", details={"url": url[:200]})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        raise DomainError(NOTIFY_URL_INVALID, reason="host not found", details={"url": url[:200]}) from None
    addresses = sorted({str(info[4][0]) for info in found})
    refused = [a for a in addresses if not _allowed(a)]
    if not addresses or refused:
        raise DomainError(NOTIFY_URL_INVALID, reason="not a public address", details={"refused": refused})
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def endpoint_register(*, institution: Institution, url: str) -> str:
    """Set the notify URL (checked: endpoint_target); returns a new signing secret (shown once)."""
    endpoint_target(url)
    secret = secrets.token_urlsafe(32)
    HospitalEndpoint.objects.update_or_create(
        institution=institution,
        defaults={"url": url, "secret_encrypted": crypto.encrypt(secret, context=SECRET_CONTEXT)},
    )
    return secret


def sign(*, secret: str, event_id: str, timestamp: str, body: bytes) -> str:
    message = f"{event_id}\n{timestamp}\n".encode() + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate checked for the host name."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def _post(target: Target, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
    """One POST, no redirects followed (a 3xx is a failure like any other non-2xx)."""
    conn = _PinnedHTTPS(target) if target.scheme == "https" else _PinnedHTTP(target)
    try:
        conn.request("POST", target.path, body=body, headers={"Host": target.host, **headers})
        response = conn.getresponse()
        response.read(4096)
    except (OSError, http.client.HTTPException) as exc:
        return False, str(exc)[:200] or type(exc).__name__
    finally:
        conn.close()
    ok = 200 <= response.status < 300
    return ok, "" if ok else f"HTTP {response.status}"


class Delivery(StrEnum):
    """What one attempt to deliver a hospital event came to."""

    DELIVERED = "delivered"
    DONE = "done"  # delivered before, or given up
    NO_ENDPOINT = "no endpoint"  # the hospital polls instead
    RETRY = "retry"  # tried again later, with backoff
    GAVE_UP = "gave up"  # too many attempts: the hospital polls, staff see it


def deliver(*, event_id: int) -> Delivery:
    """One delivery attempt (outside any lock)."""
    event = HospitalEvent.objects.select_related("order__institution").get(pk=event_id)
    if event.delivered_at is not None or event.gave_up:
        return Delivery.DONE
    endpoint = HospitalEndpoint.objects.filter(institution=event.order.institution).first()
    if endpoint is None:
        return Delivery.NO_ENDPOINT
    body = json.dumps(
        {
            "event_id": str(event.event_id),
            "kind": event.kind,
            "created_at": event.created_at.isoformat(),
            **event.payload,
        },
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(time.time()))
    secret = crypto.decrypt(endpoint.secret_encrypted, context=SECRET_CONTEXT)
    headers = {
        "Content-Type": "application/json",
        "X-Event-Id": str(event.event_id),
        "X-Timestamp": timestamp,
        "X-Signature": sign(secret=secret, event_id=str(event.event_id), timestamp=timestamp, body=body),
    }
    try:
        ok, error = _post(endpoint_target(endpoint.url), body, headers)
    except DomainError as refused:  # the name now points somewhere it must not
        ok, error = False, refused.message("en")[:200]
    with transaction.atomic():
        attempts = event.attempts + 1
        if ok:
            HospitalEvent.objects.filter(pk=event.pk).update(
                attempts=attempts, delivered_at=timezone.now(), last_error=""
            )
            return Delivery.DELIVERED
        gave_up = attempts >= MAX_ATTEMPTS
        HospitalEvent.objects.filter(pk=event.pk).update(
            attempts=attempts,
            last_error=error,
            gave_up=gave_up,
            next_attempt_at=timezone.now()
            + timedelta(seconds=settings.HOSPITAL_EVENT_RETRY_BASE_SECONDS * 2 ** min(attempts, 12)),
        )
    return Delivery.GAVE_UP if gave_up else Delivery.RETRY


def events_due() -> list[int]:
    return list(
        HospitalEvent.objects.filter(delivered_at__isnull=True, gave_up=False, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
