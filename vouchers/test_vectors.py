"""Positive and negative test vectors with a fixed validation clock, for terminal vendors and our tests.

Everything is derived from fixed seeds (Ed25519 signatures are deterministic), so the same files come
out every time: ``manage.py voucher_test_vectors --out vouchers/vectors``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vouchers import codec

CLOCK = 1_790_000_000  # 2026-09-21T14:13:20Z: the validation time for every vector


def _key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _bytes(label: str, size: int) -> bytes:
    return hashlib.sha256(label.encode()).digest()[:size]


def build() -> dict[str, Any]:
    key = _key("yb-vector-key-1")
    retired = _key("yb-vector-key-0")  # not in the JWKS
    stranger = _key("yb-vector-stranger")
    short = codec.short_key_id(key.public_key())
    revoked_ref = _bytes("revoked-voucher", 8)

    def payload(**changes: Any) -> codec.Payload:
        fields: dict[str, Any] = {
            "key_id": short,
            "voucher_ref": _bytes("voucher-1", 8),
            "issued_at": CLOCK - 10,
            "lifetime": 60,
            "nonce": _bytes(f"nonce-{changes.get('label', '')}", 8),
            "holder_ref": None,
        }
        changes.pop("label", None)
        fields.update(changes)
        return codec.Payload(**fields)

    good = codec.encode(payload(label="good"), key)
    body = codec.decode(good)[1]
    tampered_raw = bytearray(body + key.sign(body))
    tampered_raw[10] ^= 0x01  # flip a bit inside the voucher reference
    import base45

    vectors: list[dict[str, Any]] = [
        {"name": "valid", "code": good, "expect": "valid"},
        {
            "name": "valid, shown by a family holder",
            "code": codec.encode(payload(label="holder", holder_ref=_bytes("holding-1", 8)), key),
            "expect": "valid",
        },
        {
            "name": "valid, within the clock skew after expiry",
            "code": codec.encode(payload(label="skew", issued_at=CLOCK - 63), key),
            "expect": "valid",
        },
        {
            "name": "expired",
            "code": codec.encode(payload(label="expired", issued_at=CLOCK - 120), key),
            "expect": "expired",
        },
        {
            "name": "issued in the future",
            "code": codec.encode(payload(label="future", issued_at=CLOCK + 60), key),
            "expect": "not_yet_valid",
        },
        {
            "name": "signed by an unknown key",
            "code": codec.encode(payload(label="unknown", key_id=codec.short_key_id(stranger.public_key())), stranger),
            "expect": "unknown_key",
        },
        {
            "name": "signed by a retired key",
            "code": codec.encode(payload(label="retired", key_id=codec.short_key_id(retired.public_key())), retired),
            "expect": "unknown_key",
        },
        {
            "name": "key id of a known key, signature of another",
            "code": codec.encode(payload(label="wrongsig"), stranger),
            "expect": "bad_signature",
        },
        {
            "name": "payload changed after signing",
            "code": codec.PREFIX + base45.b45encode(bytes(tampered_raw)).decode(),
            "expect": "bad_signature",
        },
        {
            "name": "revoked voucher",
            "code": codec.encode(payload(label="revoked", voucher_ref=revoked_ref), key),
            "expect": "revoked",
        },
        {"name": "wrong prefix", "code": "HC1:" + good[len(codec.PREFIX) :], "expect": "malformed"},
        {"name": "no prefix", "code": good[len(codec.PREFIX) :], "expect": "malformed"},
        {"name": "truncated", "code": good[:-6], "expect": "malformed"},
        {"name": "not Base45", "code": codec.PREFIX + "~~~~~~", "expect": "malformed"},
        {"name": "empty", "code": "", "expect": "malformed"},
        {"name": "oversize", "code": good + "A" * 150, "expect": "malformed"},
        {"name": "lower case (not QR alphanumeric)", "code": good.lower(), "expect": "malformed"},
        # Whitespace: around the code it is removed (scanners add CR/LF); inside, a space is Base45 data;
        # the 200-character limit counts before it is removed.
        {"name": "valid, with a scanner's space and CR LF around it", "code": f" {good}\r\n", "expect": "valid"},
        {"name": "a space inside the code", "code": good[:40] + " " + good[40:], "expect": "malformed"},
        {"name": "padded past 200 characters", "code": good + " " * 60, "expect": "malformed"},
        {
            "name": "version 2",
            "code": codec.PREFIX + base45.b45encode(b"\x02" + bytes(tampered_raw)[1:]).decode(),
            "expect": "unsupported_version",
        },
        {
            "name": "unknown flag bits",
            "code": codec.PREFIX
            + base45.b45encode(bytes(tampered_raw[:1]) + b"\x80" + bytes(tampered_raw)[2:]).decode(),
            "expect": "malformed",
        },
    ]
    public = key.public_key()
    jwks = {"keys": [{**codec.public_jwk(public), "kid": codec.b64url(codec.thumbprint(public)), "alg": "EdDSA"}]}
    revocations = {
        "version": 1,
        "keys": {jwks["keys"][0]["kid"]: [codec.revocation_id(short, revoked_ref)]},
    }
    return {"clock": CLOCK, "skew": 5, "jwks": jwks, "revocations": revocations, "vectors": vectors}


def write(directory: Path) -> list[Path]:
    data = build()
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "jwks.json": data["jwks"],
        "revocations.json": data["revocations"],
        "vectors.json": {"clock": data["clock"], "skew": data["skew"], "vectors": data["vectors"]},
    }
    written = []
    for name, content in files.items():
        path = directory / name
        path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n")
        written.append(path)
    return written
