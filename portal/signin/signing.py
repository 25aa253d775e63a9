"""Signed requests from institution terminals.

A terminal signs every request with HMAC-SHA256 using its secret over::

    METHOD \\n PATH?QUERY \\n TIMESTAMP \\n NONCE \\n SHA256_HEX(BODY)

and sends ``X-Terminal-Key``, ``X-Timestamp`` (Unix seconds), ``X-Nonce`` (16-64 of
``[A-Za-z0-9_-]``) and ``X-Signature`` (base64). This module is the reference both for the
server check and for terminal vendors (see :func:`sign_headers`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time


def canonical_string(*, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, body_hash]).encode()


def signature(*, secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = canonical_string(method=method, path=path, timestamp=timestamp, nonce=nonce, body=body)
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def sign_headers(
    *,
    key_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes = b"",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers a terminal sends with a request."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_urlsafe(16)
    return {
        "X-Terminal-Key": key_id,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": signature(secret=secret, method=method, path=path, timestamp=ts, nonce=nonce, body=body),
    }
