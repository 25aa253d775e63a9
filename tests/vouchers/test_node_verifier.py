"""The second, independent verifier (verifiers/node/verify.mjs, Node's standard library only, written from
docs/e-voucher-code.md) gives the same verdict as Python's on every vector and on fresh codes, including
whitespace around them: the specification suffices to build a verifier."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.vouchers.conftest import resident_with_voucher
from vouchers import codec, selectors, verify
from vouchers.scanning import code_issue

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
VERIFIER = ROOT / "verifiers" / "node" / "verify.mjs"
VECTORS = ROOT / "vouchers" / "vectors"

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (the machine image has it)")


def node(*args: str) -> Any:
    assert NODE is not None
    done = subprocess.run([NODE, str(VERIFIER), *args], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def test_node_and_python_agree_on_every_vector() -> None:
    vectors = json.loads((VECTORS / "vectors.json").read_text())
    jwks = json.loads((VECTORS / "jwks.json").read_text())
    revocations = json.loads((VECTORS / "revocations.json").read_text())
    from_node = node(
        "--vectors", str(VECTORS / "vectors.json"),
        "--jwks", str(VECTORS / "jwks.json"),
        "--revocations", str(VECTORS / "revocations.json"),
    )  # fmt: skip
    assert len(from_node) == len(vectors["vectors"]) == 29
    for vector in vectors["vectors"]:
        python = verify.check(vector["code"], jwks=jwks, revocations=revocations, now=vectors["clock"])
        assert from_node[vector["name"]] == vector["expect"] == (python["reason"] if not python["valid"] else "valid")


@pytest.mark.django_db
def test_node_and_python_agree_on_fresh_codes_whitespace_and_tampering(tmp_path: Path) -> None:
    person, _ = resident_with_voucher()
    text = code_issue(viewer=person, subject=person).text
    jwks = selectors.jwks()
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    now = codec.decode(text)[0].issued_at
    tampered = text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:]
    cases = [text, f" {text}\r\n", f"\t{text} ", text.lower(), tampered, text[:60], "YB2:" + text[4:]]
    # Whitespace where Python's strip() and JavaScript's trim() differ: the specification says strip()'s.
    cases += [f"\x1c{text}\x1f", f"{text}\x85", f"\ufeff{text}", f"\u3000{text}\u2028", f"\u00a0{text}\x0b"]
    # The 200-character limit counts code points, not UTF-16 units.
    cases += [text + " " * (200 - len(text)), text + " " * (201 - len(text)), text + "\U0001f600" * 30]
    for case in cases:
        python = verify.check(case, jwks=jwks, revocations=None, now=now)
        from_node = node("--jwks", str(tmp_path / "jwks.json"), "--now", str(now), case)
        assert from_node == python if python["valid"] else from_node == {"valid": False, "reason": python["reason"]}
