"""Positive and negative test vectors with a fixed validation clock, for terminal vendors and our tests.

Everything is derived from fixed seeds (Ed25519 signatures are deterministic), so the same files come
out every time: ``manage.py voucher_test_vectors --out vouchers/vectors``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vouchers import codec

CLOCK = 1_790_000_000  # 2026-09-21T14:13:20Z: the validation time for every vector
LEAD = 600  # the next key is published and signs from CLOCK + LEAD (VOUCHER_KEY_LEAD_SECONDS)


def _key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _bytes(label: str, size: int) -> bytes:
    return hashlib.sha256(label.encode()).digest()[:size]


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def build() -> dict[str, Any]:
    key = _key("yb-vector-key-1")  # signs now
    upcoming = _key("yb-vector-key-2")  # published, signs from CLOCK + LEAD
    retired = _key("yb-vector-key-0")  # not in the JWKS
    stranger = _key("yb-vector-stranger")
    short = codec.short_key_id(key.public_key())
    upcoming_short = codec.short_key_id(upcoming.public_key())
    revoked_ref = _bytes("revoked-voucher", 8)
    suspended_ref = _bytes("suspended-voucher", 8)
    removed_holder_ref = _bytes("holding-removed", 8)  # a holding of voucher-1's person, since removed

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
        {
            "name": "suspended voucher",
            "code": codec.encode(payload(label="suspended", voucher_ref=suspended_ref), key),
            "expect": "suspended",
        },
        {
            "name": "revoked voucher, shown by a family holder",
            "code": codec.encode(
                payload(label="revoked-holder", voucher_ref=revoked_ref, holder_ref=_bytes("holding-1", 8)), key
            ),
            "expect": "revoked",
        },
        {
            "name": "shown by a holder whose holding was removed",
            "code": codec.encode(payload(label="removed-holder", holder_ref=removed_holder_ref), key),
            "expect": "holder_removed",
        },
        {
            "name": "suspended voucher, shown by a holder whose holding was removed",
            "code": codec.encode(
                payload(label="suspended-removed", voucher_ref=suspended_ref, holder_ref=removed_holder_ref), key
            ),
            "expect": "suspended",
        },
        # Lead time: the next key is published but signs only from CLOCK + LEAD; a code claiming an earlier
        # time (beyond the skew) is refused as unknown_key before its signature or time is looked at.
        {
            "name": "signed by the next key before it signs",
            "code": codec.encode(payload(label="lead", key_id=upcoming_short), upcoming),
            "expect": "unknown_key",
        },
        {
            "name": "signed by the next key 6 s before it signs",
            "code": codec.encode(payload(label="lead-6", key_id=upcoming_short, issued_at=CLOCK + LEAD - 6), upcoming),
            "expect": "unknown_key",
        },
        {
            "name": "signed by the next key 5 s before it signs (within the skew, so the time decides)",
            "code": codec.encode(payload(label="lead-5", key_id=upcoming_short, issued_at=CLOCK + LEAD - 5), upcoming),
            "expect": "not_yet_valid",
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

    def jwk(private: Ed25519PrivateKey, signs_from: int, signs_until: int | None) -> dict[str, Any]:
        public = private.public_key()
        return {
            **codec.public_jwk(public),
            "kid": codec.b64url(codec.thumbprint(public)),
            "use": "sig",
            "alg": "EdDSA",
            "short_id": codec.short_key_id(public).hex(),
            "signs_from": _iso(signs_from),
            "signs_until": _iso(signs_until) if signs_until is not None else None,
            "verifies_until": _iso(signs_until + 120) if signs_until is not None else None,
        }

    # As the service publishes them during a rotation: the next key first, then the key signing now.
    jwks = {"keys": [jwk(upcoming, CLOCK + LEAD, None), jwk(key, CLOCK - 86_400, CLOCK + LEAD)]}

    def lists(key_id: bytes) -> dict[str, list[str]]:
        return {
            "revoked": [codec.revocation_id(key_id, revoked_ref)],
            "suspended": [codec.revocation_id(key_id, suspended_ref)],
            "holder_removed": [codec.holder_revocation_id(key_id, _bytes("voucher-1", 8), removed_holder_ref)],
        }

    revocations = {
        "version": 3,
        "generated_at": _iso(CLOCK - 30),
        "keys": {jwks["keys"][0]["kid"]: lists(upcoming_short), jwks["keys"][1]["kid"]: lists(short)},
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
