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
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.online.models import HospitalEndpoint, HospitalEvent
from portal import crypto
from portal.institutions.models import Institution

SECRET_CONTEXT = "hospital.notify_secret"
MAX_ATTEMPTS = 12
TIMEOUT_SECONDS = 5


def endpoint_register(*, institution: Institution, url: str) -> str:
    """Set the notify URL; returns a new signing secret (shown once)."""
    secret = secrets.token_urlsafe(32)
    HospitalEndpoint.objects.update_or_create(
        institution=institution,
        defaults={"url": url, "secret_encrypted": crypto.encrypt(secret, context=SECRET_CONTEXT)},
    )
    return secret


def sign(*, secret: str, event_id: str, timestamp: str, body: bytes) -> str:
    message = f"{event_id}\n{timestamp}\n".encode() + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def deliver(*, event_id: int) -> str:
    """One delivery attempt (outside any lock). Returns delivered / no endpoint / retry / gave up."""
    event = HospitalEvent.objects.select_related("order__institution").get(pk=event_id)
    if event.delivered_at is not None or event.gave_up:
        return "done"
    endpoint = HospitalEndpoint.objects.filter(institution=event.order.institution).first()
    if endpoint is None:
        return "no endpoint"  # the hospital polls instead
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
    request = urllib.request.Request(  # noqa: S310 (the hospital's registered http(s) URL)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Event-Id": str(event.event_id),
            "X-Timestamp": timestamp,
            "X-Signature": sign(secret=secret, event_id=str(event.event_id), timestamp=timestamp, body=body),
        },
    )
    error = ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            ok = 200 <= response.status < 300
            error = "" if ok else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        ok, error = False, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        ok, error = False, str(exc)[:200]
    with transaction.atomic():
        attempts = event.attempts + 1
        if ok:
            HospitalEvent.objects.filter(pk=event.pk).update(
                attempts=attempts, delivered_at=timezone.now(), last_error=""
            )
            return "delivered"
        gave_up = attempts >= MAX_ATTEMPTS
        HospitalEvent.objects.filter(pk=event.pk).update(
            attempts=attempts,
            last_error=error,
            gave_up=gave_up,
            next_attempt_at=timezone.now()
            + timedelta(seconds=settings.HOSPITAL_EVENT_RETRY_BASE_SECONDS * 2 ** min(attempts, 12)),
        )
    return "gave up" if gave_up else "retry"


def events_due() -> list[int]:
    return list(
        HospitalEvent.objects.filter(delivered_at__isnull=True, gave_up=False, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
