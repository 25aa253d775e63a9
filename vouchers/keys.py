"""Signing keys: creation, rotation, and the in-process view of which keys sign and verify."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal import crypto
from vouchers import codec
from vouchers.models import SigningKey

PRIVATE_KEY_CONTEXT = "voucher.signing_key"
# A code may be verified up to its lifetime plus clock skew after it was signed; keep a margin.
VERIFY_GRACE = timedelta(seconds=codec.MAX_LIFETIME + 60)
ROTATE_AFTER = timedelta(days=1)
_CACHE_SECONDS = 30


@dataclass(frozen=True)
class KeyRing:
    signing: SigningKey | None
    signing_private: Ed25519PrivateKey | None
    verifying: dict[bytes, Ed25519PublicKey]  # short id -> public key
    loaded_at: float
    # short id -> the Unix second (rounded down) the key signs from, as the JWKS publishes it: a code
    # claiming to be signed earlier (beyond the clock skew) is refused, as offline verifiers do.
    signs_from: dict[bytes, int] = field(default_factory=dict)


_lock = threading.Lock()
_ring: KeyRing | None = None


def key_create(*, private_key: Ed25519PrivateKey | None = None, lead: timedelta | None = None) -> SigningKey:
    """Create a signing key. It is published (JWKS) at once and signs from ``lead`` later (default
    ``VOUCHER_KEY_LEAD_SECONDS``, 10 minutes); the key signing now goes on until then, and verifies its codes
    a while longer. With no key signing (a new deployment) the new key signs at once: nobody holds keys yet."""
    private_key = private_key or Ed25519PrivateKey.generate()
    public = private_key.public_key()
    raw_private = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    now = timezone.now()
    with transaction.atomic():
        current = _signing_queryset(now).select_for_update()
        if lead is None:
            lead = timedelta(seconds=settings.VOUCHER_KEY_LEAD_SECONDS) if current.exists() else timedelta(0)
        starts = now + lead
        current.update(signs_until=starts, verifies_until=starts + VERIFY_GRACE)
        # A key announced earlier that has not started yet gives way to this one as well.
        SigningKey.objects.filter(signs_from__gt=now, signs_until__isnull=True).update(
            signs_until=starts, verifies_until=starts + VERIFY_GRACE
        )
        key = SigningKey.objects.create(
            kid=codec.b64url(codec.thumbprint(public)),
            short_id=codec.short_key_id(public).hex(),
            public_key=codec.b64url(public.public_bytes(Encoding.Raw, PublicFormat.Raw)),
            private_key_encrypted=crypto.encrypt(codec.b64url(raw_private), context=PRIVATE_KEY_CONTEXT),
            signs_from=starts,
        )
    ring_reset()
    return key


def _signing_queryset(now: datetime) -> QuerySet[SigningKey]:
    """The keys signing at ``now`` (normally one)."""
    return SigningKey.objects.filter(Q(signs_from__isnull=True) | Q(signs_from__lte=now)).filter(
        Q(signs_until__isnull=True) | Q(signs_until__gt=now)
    )


def key_rotate_if_due(*, max_age: timedelta = ROTATE_AFTER) -> SigningKey | None:
    """Rotate when the signing key is older than ``max_age`` (or missing), unless a successor is already
    announced. Returns the new key, if any."""
    now = timezone.now()
    if SigningKey.objects.filter(signs_from__gt=now).exists():
        return None  # a rotation is under way: its key signs soon
    current = _signing_queryset(now).order_by("-created_at").first()
    if current is not None and now - current.created_at < max_age:
        return None
    return key_create()


def published_signs_from(key: SigningKey) -> datetime:
    """The time a key signs from, as the JWKS publishes it (keys made before lead times: their creation)."""
    return key.signs_from or key.created_at


def verifying_keys_queryset() -> QuerySet[SigningKey]:
    now = timezone.now()
    return SigningKey.objects.filter(Q(verifies_until__isnull=True) | Q(verifies_until__gt=now))


def _load() -> KeyRing:
    now = timezone.now()
    signing: SigningKey | None = None
    signing_private: Ed25519PrivateKey | None = None
    verifying: dict[bytes, Ed25519PublicKey] = {}
    signs_from: dict[bytes, int] = {}
    for key in verifying_keys_queryset():  # newest first
        public = Ed25519PublicKey.from_public_bytes(codec.b64url_decode(key.public_key))
        verifying[bytes.fromhex(key.short_id)] = public
        signs_from[bytes.fromhex(key.short_id)] = math.floor(published_signs_from(key).timestamp())
        started = key.signs_from is None or key.signs_from <= now
        if signing is None and started and (key.signs_until is None or key.signs_until > now):
            signing = key
            raw = codec.b64url_decode(crypto.decrypt(key.private_key_encrypted, context=PRIVATE_KEY_CONTEXT))
            signing_private = Ed25519PrivateKey.from_private_bytes(raw)
    return KeyRing(signing, signing_private, verifying, time.monotonic(), signs_from)


def _stale(current: KeyRing | None) -> bool:
    if current is None or time.monotonic() - current.loaded_at > _CACHE_SECONDS:
        return True
    # The signing key's time is up (its successor starts now): load at once, not up to 30 s later.
    until = current.signing.signs_until if current.signing is not None else None
    return until is not None and timezone.now() >= until


def ring() -> KeyRing:
    """Keys cached in this process for up to 30 s (a rotation reaches every process within that), and never
    past the moment the signing key hands over to the next. With no key signing, one is created."""
    global _ring
    current = _ring
    if _stale(current):
        with _lock:
            current = _load()
            if current.signing is None:
                key_create()
                current = _load()
            _ring = current
    assert current is not None
    return current


def ring_reset() -> None:
    global _ring
    _ring = None
