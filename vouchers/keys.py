"""Signing keys: creation, rotation, and the in-process view of which keys sign and verify."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
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


_lock = threading.Lock()
_ring: KeyRing | None = None


def key_create(*, private_key: Ed25519PrivateKey | None = None) -> SigningKey:
    """Create a signing key and make it the one that signs; the previous one verifies a while longer."""
    private_key = private_key or Ed25519PrivateKey.generate()
    public = private_key.public_key()
    raw_private = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    now = timezone.now()
    with transaction.atomic():
        SigningKey.objects.filter(signs_until__isnull=True).update(signs_until=now, verifies_until=now + VERIFY_GRACE)
        key = SigningKey.objects.create(
            kid=codec.b64url(codec.thumbprint(public)),
            short_id=codec.short_key_id(public).hex(),
            public_key=codec.b64url(public.public_bytes(Encoding.Raw, PublicFormat.Raw)),
            private_key_encrypted=crypto.encrypt(codec.b64url(raw_private), context=PRIVATE_KEY_CONTEXT),
        )
    ring_reset()
    return key


def key_rotate_if_due(*, max_age: timedelta = ROTATE_AFTER) -> SigningKey | None:
    """Rotate when the signing key is older than ``max_age`` (or missing). Returns the new key, if any."""
    current = SigningKey.objects.filter(signs_until__isnull=True).first()
    if current is not None and timezone.now() - current.created_at < max_age:
        return None
    return key_create()


def verifying_keys_queryset() -> QuerySet[SigningKey]:
    now = timezone.now()
    return SigningKey.objects.filter(Q(verifies_until__isnull=True) | Q(verifies_until__gt=now))


def _load() -> KeyRing:
    signing: SigningKey | None = None
    signing_private: Ed25519PrivateKey | None = None
    verifying: dict[bytes, Ed25519PublicKey] = {}
    for key in verifying_keys_queryset():
        public = Ed25519PublicKey.from_public_bytes(codec.b64url_decode(key.public_key))
        verifying[bytes.fromhex(key.short_id)] = public
        if key.signs_until is None and signing is None:
            signing = key
            raw = codec.b64url_decode(crypto.decrypt(key.private_key_encrypted, context=PRIVATE_KEY_CONTEXT))
            signing_private = Ed25519PrivateKey.from_private_bytes(raw)
    return KeyRing(signing, signing_private, verifying, time.monotonic())


def ring() -> KeyRing:
    """Keys cached in this process for up to 30 s (a rotation reaches every process within that)."""
    global _ring
    current = _ring
    if current is None or time.monotonic() - current.loaded_at > _CACHE_SECONDS:
        with _lock:
            current = _load()
            if current.signing is None:
                key_create()
                current = _load()
            _ring = current
    return current


def ring_reset() -> None:
    global _ring
    _ring = None
