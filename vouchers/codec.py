"""The e-voucher QR code: a compact signed payload, Base45 text for QR alphanumeric mode.

Text: ``YB1:`` + Base45(payload || Ed25519 signature over payload). The payload (big-endian):

=========  =====  ===========================================================
field      bytes  meaning
=========  =====  ===========================================================
version    1      1
flags      1      bit 0: a holder reference follows (a relative's code shown by a holder)
key id     4      the first 4 bytes of the signing key's RFC 7638 thumbprint
voucher    8      opaque voucher reference (random, not derived from the person)
issued at  4      Unix seconds
lifetime   1      seconds the code is valid (<= 60)
nonce      8      random; a code is redeemed once at the scanner
holder     8      optional: the holder's voucher reference
=========  =====  ===========================================================

No personal data is in the code. 27 or 35 bytes + 64 bytes of signature = 91 or 99 bytes, 141 or
153 characters with the prefix: QR version 6 at error correction M.

This module depends only on ``cryptography`` and ``base45``, so terminal vendors can verify offline
(see :mod:`vouchers.verify`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import base45
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "YB1:"
VERSION = 1
MAX_LIFETIME = 60
SIGNATURE_BYTES = 64
_HEAD = struct.Struct(">BB4s8sIB8s")  # version, flags, key id, voucher, issued at, lifetime, nonce
FLAG_HOLDER = 0x01
MAX_TEXT = 200  # anything longer is not one of ours


class CodeError(Exception):
    """Why a code fails; ``code`` is the stable machine code terminals act on."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Payload:
    key_id: bytes
    voucher_ref: bytes
    issued_at: int
    lifetime: int
    nonce: bytes
    holder_ref: bytes | None = None
    version: int = VERSION

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.lifetime

    def pack(self) -> bytes:
        flags = FLAG_HOLDER if self.holder_ref is not None else 0
        head = _HEAD.pack(self.version, flags, self.key_id, self.voucher_ref, self.issued_at, self.lifetime, self.nonce)
        return head + (self.holder_ref or b"")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def thumbprint(public_key: Ed25519PublicKey) -> bytes:
    """RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, no spaces."""
    jwk = public_jwk(public_key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).digest()


def short_key_id(public_key: Ed25519PublicKey) -> bytes:
    return thumbprint(public_key)[:4]


def revocation_id(key_id: bytes, voucher_ref: bytes) -> str:
    """What revocation lists publish for a voucher (revoked or suspended): an HMAC keyed by the key id, no
    personal data."""
    return hmac.new(b"yb-revocation:" + key_id, voucher_ref, hashlib.sha256).hexdigest()[:16]


def holder_revocation_id(key_id: bytes, voucher_ref: bytes, holder_ref: bytes) -> str:
    """What revocation lists publish for a removed holding: the same HMAC over the relative's voucher ref
    followed by the holder ref the codes carry (16 bytes, so it never equals a voucher's id)."""
    return hmac.new(b"yb-revocation:" + key_id, voucher_ref + holder_ref, hashlib.sha256).hexdigest()[:16]


# The kinds of entry a revocation list holds, in the order a verifier checks them, each its own verdict.
REVOCATION_KINDS = ("revoked", "suspended", "holder_removed")


@dataclass(frozen=True)
class Revocations:
    """One key's published lists: revocation ids of revoked and of suspended vouchers, and of removed holdings."""

    revoked: frozenset[str] = field(default_factory=frozenset)
    suspended: frozenset[str] = field(default_factory=frozenset)
    holder_removed: frozenset[str] = field(default_factory=frozenset)

    def refusal(self, payload: Payload) -> str | None:
        """The verdict for a code of this key, or None when no list names it."""
        rid = revocation_id(payload.key_id, payload.voucher_ref)
        if rid in self.revoked:
            return "revoked"
        if rid in self.suspended:
            return "suspended"
        holder = payload.holder_ref
        if (
            holder is not None
            and holder_revocation_id(payload.key_id, payload.voucher_ref, holder) in self.holder_removed
        ):
            return "holder_removed"
        return None


def encode(payload: Payload, private_key: Ed25519PrivateKey) -> str:
    if not 0 < payload.lifetime <= MAX_LIFETIME:
        raise ValueError("lifetime must be 1-60 seconds")
    body = payload.pack()
    return PREFIX + base45.b45encode(body + private_key.sign(body)).decode()


def decode(text: str) -> tuple[Payload, bytes, bytes]:
    """Parse a code; returns the payload, the signed bytes and the signature. Checks nothing else."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise CodeError("malformed", "not a voucher code")
    text = text.strip()
    if not text.startswith(PREFIX):
        raise CodeError("malformed", "unknown prefix")
    try:
        raw = base45.b45decode(text[len(PREFIX) :])
    except (ValueError, KeyError, IndexError, TypeError):
        raise CodeError("malformed", "not Base45") from None
    if len(raw) < _HEAD.size + SIGNATURE_BYTES:
        raise CodeError("malformed", "too short")
    version, flags, key_id, voucher_ref, issued_at, lifetime, nonce = _HEAD.unpack_from(raw)
    if version != VERSION:
        raise CodeError("unsupported_version", f"version {version}")
    body_size = _HEAD.size + (8 if flags & FLAG_HOLDER else 0)
    if flags & ~FLAG_HOLDER or len(raw) != body_size + SIGNATURE_BYTES:
        raise CodeError("malformed", "wrong length or flags")
    if not 0 < lifetime <= MAX_LIFETIME:
        raise CodeError("malformed", "lifetime out of range")
    holder = raw[_HEAD.size : body_size] if flags & FLAG_HOLDER else None
    payload = Payload(key_id, voucher_ref, issued_at, lifetime, nonce, holder, version)
    return payload, raw[:body_size], raw[body_size:]


def verify(
    text: str,
    *,
    public_keys: dict[bytes, Ed25519PublicKey],
    now: float,
    skew: int = 5,
    revoked: dict[bytes, Revocations] | None = None,
    signs_from: dict[bytes, int] | None = None,
) -> Payload:
    """Check a code completely except its one-time use. Raises :class:`CodeError`.

    ``public_keys`` maps 4-byte key ids to keys still allowed to verify; ``signs_from`` maps key ids to the
    Unix second each key starts signing (a key published ahead of signing); ``revoked`` maps key ids to
    the key's published revocation lists.
    """
    payload, body, signature = decode(text)
    return verify_decoded(
        payload,
        body,
        signature,
        public_keys=public_keys,
        now=now,
        skew=skew,
        revoked=revoked,
        signs_from=signs_from,
    )


def verify_decoded(
    payload: Payload,
    body: bytes,
    signature: bytes,
    *,
    public_keys: dict[bytes, Ed25519PublicKey],
    now: float,
    skew: int = 5,
    revoked: dict[bytes, Revocations] | None = None,
    signs_from: dict[bytes, int] | None = None,
) -> Payload:
    """:func:`verify` for a code already parsed by :func:`decode` (its three parts), so a caller that read
    the payload first (to pick the keys) does not decode the text twice."""
    key = public_keys.get(payload.key_id)
    if key is None:
        raise CodeError("unknown_key", payload.key_id.hex())
    starts = signs_from.get(payload.key_id) if signs_from is not None else None
    if starts is not None and payload.issued_at < starts - skew:
        raise CodeError("unknown_key", f"{payload.key_id.hex()} does not sign before {starts}")
    try:
        key.verify(signature, body)
    except InvalidSignature:
        raise CodeError("bad_signature") from None
    if payload.issued_at > now + skew:
        raise CodeError("not_yet_valid")
    if now > payload.expires_at + skew:
        raise CodeError("expired")
    lists = revoked.get(payload.key_id) if revoked is not None else None
    refusal = lists.refusal(payload) if lists is not None else None
    if refusal is not None:
        raise CodeError(refusal)
    return payload


# signs_from in a JWKS: RFC 3339 with an offset, at most 6 fraction digits (docs/e-voucher-code.md, section 4).
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|([+-])(\d{2}):(\d{2}))", re.ASCII
)
_UNREADABLE = object()


def _signs_from(value: Any) -> int | object | None:
    """A key's ``signs_from`` as the Unix second (rounded down); None when absent or null; ``_UNREADABLE``
    when it is not such a time or names a date that does not exist (the key is then not trusted)."""
    if value is None:
        return None
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return _UNREADABLE
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    sign, off_hours, off_minutes = match.groups()[6:]
    if year < 1970 or (sign and (int(off_hours) > 23 or int(off_minutes) > 59)):
        return _UNREADABLE
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return _UNREADABLE
    offset = (1 if sign == "+" else -1) * (int(off_hours) * 60 + int(off_minutes)) if sign else 0
    return int(moment.timestamp()) - offset * 60


def _trusted_jwks(document: dict[str, Any]) -> list[tuple[bytes, Ed25519PublicKey, int | None]]:
    """(short id, key, signs_from) of each key a verifier may use: an Ed25519 key whose ``kid`` is its
    thumbprint and whose ``signs_from``, if given, can be read."""
    trusted = []
    for jwk in document.get("keys", []):
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
            continue
        key = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
        if b64url(thumbprint(key)) != jwk.get("kid"):
            continue  # a key whose id is not its thumbprint is not trusted
        starts = _signs_from(jwk.get("signs_from"))
        if starts is _UNREADABLE:
            continue  # nor one whose signing start cannot be read
        trusted.append((short_key_id(key), key, starts if isinstance(starts, int) else None))
    return trusted


def keys_from_jwks(document: dict[str, Any]) -> dict[bytes, Ed25519PublicKey]:
    return {short: key for short, key, _ in _trusted_jwks(document)}


def signs_from_jwks(document: dict[str, Any]) -> dict[bytes, int]:
    """Short key id -> the Unix second (rounded down) from which the key signs, for the trusted keys that
    say so. A key without ``signs_from`` has signed since it was published."""
    return {short: starts for short, _, starts in _trusted_jwks(document) if starts is not None}


def revocations_from_document(document: dict[str, Any]) -> dict[bytes, Revocations]:
    """``{"version": N, "keys": {"<kid>": {"revoked": [...], "suspended": [...], "holder_removed": [...]}}}``
    -> short key id -> its lists (a missing list is empty)."""
    found: dict[bytes, Revocations] = {}
    for kid, lists in document.get("keys", {}).items():
        if not isinstance(lists, dict):
            raise ValueError(f"revocation lists of {kid}: not an object")
        sets: dict[str, frozenset[str]] = {}
        for kind in REVOCATION_KINDS:
            ids = lists.get(kind, [])
            if not isinstance(ids, list):
                raise ValueError(f"revocation lists of {kid}: {kind} is not an array")
            sets[kind] = frozenset(ids)
        found[b64url_decode(kid)[:4]] = Revocations(**sets)
    return found
