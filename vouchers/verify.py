"""Offline verifier for terminal vendors: checks everything but one-time use, and says why a code fails.

    python -m vouchers.verify CODE --jwks jwks.json --revocations revocations.json [--now 2026-11-22T10:00:00Z]

Fetch the files from ``/.well-known/jwks.json`` and ``/api/v1/vouchers/revocations``. Exit status 0 for
a valid code (the payload is printed as JSON), 1 with the reason code for a refused one, 2 for bad usage.
Needs only ``cryptography`` and ``base45``; no Django, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from vouchers import codec


def check(code: str, *, jwks: dict, revocations: dict | None, now: float, skew: int = 5) -> dict:
    """The verdict as a dict: ``{"valid": True, ...payload}`` or ``{"valid": False, "reason": ...}``."""
    try:
        payload = codec.verify(
            code,
            public_keys=codec.keys_from_jwks(jwks),
            now=now,
            skew=skew,
            revoked=codec.revocations_from_document(revocations) if revocations is not None else None,
            signs_from=codec.signs_from_jwks(jwks),
        )
    except codec.CodeError as error:
        return {"valid": False, "reason": error.code, "detail": error.detail}
    return {
        "valid": True,
        "key_id": payload.key_id.hex(),
        "voucher_ref": payload.voucher_ref.hex(),
        "issued_at": payload.issued_at,
        "expires_at": payload.expires_at,
        "holder_ref": payload.holder_ref.hex() if payload.holder_ref else None,
        "nonce": payload.nonce.hex(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vouchers.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("code", help="the scanned text, e.g. YB1:...")
    parser.add_argument("--jwks", required=True, type=Path, help="JWKS file of the bureau's public keys")
    parser.add_argument("--revocations", type=Path, help="revocation list file")
    parser.add_argument("--now", help="validation time, ISO 8601 (default: this machine's clock)")
    parser.add_argument("--skew", type=int, default=5, help="allowed clock difference in seconds (default 5)")
    args = parser.parse_args(argv)
    try:
        jwks = json.loads(args.jwks.read_text())
        revocations = json.loads(args.revocations.read_text()) if args.revocations else None
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).timestamp() if args.now else time.time()
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        verdict = check(args.code, jwks=jwks, revocations=revocations, now=now, skew=args.skew)
    except ValueError as error:  # a revocation document that is not in the specification's format
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(verdict, ensure_ascii=False))
    return 0 if verdict["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
