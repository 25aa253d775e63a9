"""Code issuance time: signed text alone, with PNG, with SVG, next to the raw QR library on the same text.

    .venv/bin/python bench/code_issue.py [--count 2000]

Runs on a throw-away test database (SQLite unless DATABASE_URL is set).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import create_test_database, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    destroy = create_test_database()
    try:
        run(args.count)
    finally:
        destroy()


def run(count: int) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tests import factories
    from vouchers.scanning import code_issue, qr_code
    from vouchers.services import voucher_issue

    person = factories.person()
    voucher_issue(person=person, channel="app")
    text = code_issue(viewer=person, subject=person).text
    key = Ed25519PrivateKey.generate()
    qr = qr_code(text)
    print(f"code: {len(text)} characters, QR version {qr.version}-M")

    timed("raw: Ed25519 sign (the signature alone)", count * 5, lambda: key.sign(b"x" * 27))
    timed("raw: qrcode QR matrix only, same text", count, lambda: qr_code(text))
    timed("raw: qrcode QR + PNG, same text", count, lambda: qr_code(text, box_size=6).make_image().save(io.BytesIO()))
    timed("code_issue: signed text (DB reads + sign)", count, lambda: code_issue(viewer=person, subject=person))
    timed("code_issue + PNG", count, lambda: code_issue(viewer=person, subject=person).png())
    timed("code_issue + SVG", count, lambda: code_issue(viewer=person, subject=person).svg())


if __name__ == "__main__":
    main()
