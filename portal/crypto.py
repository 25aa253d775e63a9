"""Field encryption (AES-256-GCM with a key ring) and keyed blind indexes (HMAC-SHA256).

``IDENTITY_ENCRYPTION_KEYS`` is a comma-separated key ring ``id:base64key,...``; the first key
encrypts, every key decrypts, so keys rotate without downtime (re-encrypt with
``manage.py reencrypt_identities``). ``IDENTITY_INDEX_KEY`` keys the blind index used to look
records up by identity number without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_PREFIX = "v1"


def _b64decode(value: str) -> bytes:
    padded = value + "=" * (-len(value) % 4)
    return base64.urlsafe_b64decode(padded)


@lru_cache(maxsize=8)
def _key_ring(spec: str) -> tuple[str, dict[str, bytes]]:
    ring: dict[str, bytes] = {}
    current = ""
    for item in spec.split(","):
        key_id, sep, material = item.strip().partition(":")
        if not sep or not key_id or not material:
            raise ImproperlyConfigured("IDENTITY_ENCRYPTION_KEYS must look like 'id:base64key,id2:base64key'.")
        key = _b64decode(material)
        if len(key) != 32:
            raise ImproperlyConfigured(f"Encryption key {key_id!r} must be 32 bytes (base64-encoded).")
        ring[key_id] = key
        current = current or key_id
    return current, ring


def _ring() -> tuple[str, dict[str, bytes]]:
    return _key_ring(settings.IDENTITY_ENCRYPTION_KEYS)


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt text; ``context`` is bound as associated data (e.g. ``"person.id_number"``)."""
    key_id, ring = _ring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring[key_id]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{_PREFIX}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    prefix, key_id, payload = token.split(":", 2)
    if prefix != _PREFIX:
        raise ValueError("unknown ciphertext version")
    _, ring = _ring()
    raw = _b64decode(payload)
    return AESGCM(ring[key_id]).decrypt(raw[:12], raw[12:], context.encode()).decode()


def needs_reencryption(token: str) -> bool:
    return token.split(":", 2)[1] != _ring()[0]


def blind_index(value: str, *, context: str) -> str:
    key = _b64decode(settings.IDENTITY_INDEX_KEY)
    return hmac.new(key, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()


def generate_key() -> str:
    """A fresh 32-byte key, base64url, for configuration."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()
