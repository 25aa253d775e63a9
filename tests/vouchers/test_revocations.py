"""Revocation lists and key lead time, online and offline: suspensions, revocations and holder removals are
published apart, each its own verdict mapped to the scan's refusal; a key published ahead of signing does
not verify codes claiming an earlier time."""

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from portal.people.services import person_id_number
from tests.vouchers.conftest import pharmacy, resident_with_voucher
from vouchers import codec, scanning, selectors, verify
from vouchers.family import holding_consent_in_app, holding_remove, holding_request
from vouchers.keys import key_create
from vouchers.scanning import code_issue
from vouchers.services import voucher_change_status
from vouchers.test_vectors import build

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
LISTS = "/api/v1/vouchers/revocations"


def _held(holder_name: str = "郑父", child_name: str = "郑子"):
    holder, _ = resident_with_voucher(name=holder_name)
    child, voucher = resident_with_voucher(name=child_name, insurance_type="resident")
    holding = holding_request(holder=holder, name=child.name, id_number=person_id_number(child))
    holding_consent_in_app(holding_id=holding.pk, relative=child)
    return holder, child, voucher, holding


def _node_verdict(tmp_path: Path, code: str, jwks: dict, revocations: dict, now: int) -> dict:
    assert NODE is not None
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    (tmp_path / "revocations.json").write_text(json.dumps(revocations))
    verifier = str(ROOT / "verifiers" / "node" / "verify.mjs")
    files = ["--jwks", str(tmp_path / "jwks.json"), "--revocations", str(tmp_path / "revocations.json")]
    done = subprocess.run(
        [NODE, verifier, *files, "--now", str(now), code],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def test_a_removed_holder_is_listed_apart_and_its_codes_are_refused_offline_as_online(
    api, terminal_api, tmp_path
) -> None:
    holder, child, voucher, holding = _held()
    shown_by_holder = code_issue(viewer=holder, subject=child).text
    own = code_issue(viewer=child, subject=child).text
    before = api.get(LISTS).json()
    holding_remove(holding_id=holding.pk, by=child)
    after = api.get(LISTS)
    document = after.json()
    assert document["version"] > before["version"] and after["ETag"] == f'"{document["version"]}"'
    kid_short = codec.decode(shown_by_holder)[0].key_id
    (lists,) = [lists for kid, lists in document["keys"].items() if codec.b64url_decode(kid)[:4] == kid_short]
    expected = codec.holder_revocation_id(kid_short, bytes.fromhex(voucher.ref), bytes.fromhex(holding.ref))
    assert lists == {"revoked": [], "suspended": [], "holder_removed": [expected]}
    assert holding.ref not in after.content.decode() and voucher.ref not in after.content.decode()

    jwks = selectors.jwks()
    now = codec.decode(shown_by_holder)[0].issued_at
    offline = verify.check(shown_by_holder, jwks=jwks, revocations=document, now=now)
    assert offline == {"valid": False, "reason": "holder_removed", "detail": ""}
    assert verify.check(own, jwks=jwks, revocations=document, now=now)["valid"]  # the relative's own code is fine
    online = terminal_api(pharmacy()).post("/api/v1/scanner/scan", {"code": shown_by_holder, "business_type": "02121"})
    assert online.status_code == 403 and online.json()["code"] == scanning.SCAN_ERRORS["holder_removed"]
    if NODE is not None:
        assert _node_verdict(tmp_path, shown_by_holder, jwks, document, now) == {
            "valid": False,
            "reason": "holder_removed",
        }


@pytest.mark.parametrize("status", ["suspended", "revoked"])
def test_a_suspension_and_a_revocation_are_listed_apart_with_their_own_verdicts(api, terminal_api, status) -> None:
    person, voucher = resident_with_voucher()
    text = code_issue(viewer=person, subject=person).text
    voucher_change_status(voucher_id=voucher.pk, new_status=status, reason="lost_phone", actor=None)
    document = api.get(LISTS).json()
    key_id = codec.decode(text)[0].key_id
    rid = codec.revocation_id(key_id, bytes.fromhex(voucher.ref))
    for lists in document["keys"].values():
        assert (rid in lists["suspended"], rid in lists["revoked"]) in {
            (False, False),
            (status == "suspended", status == "revoked"),
        }
    verdict = verify.check(text, jwks=selectors.jwks(), revocations=document, now=codec.decode(text)[0].issued_at)
    assert verdict["reason"] == status
    online = terminal_api(pharmacy()).post("/api/v1/scanner/scan", {"code": text, "business_type": "02121"})
    assert online.json()["code"] == scanning.SCAN_ERRORS[status] == f"code_{status}"


def test_a_reinstated_voucher_leaves_the_list_and_the_version_grows(api) -> None:
    _, voucher = resident_with_voucher()
    voucher_change_status(voucher_id=voucher.pk, new_status="suspended", reason="lost_phone", actor=None)
    suspended = api.get(LISTS).json()
    voucher_change_status(voucher_id=voucher.pk, new_status="active", reason="found", actor=None)
    reinstated = api.get(LISTS).json()
    assert reinstated["version"] > suspended["version"]
    assert all(lists["suspended"] == [] for lists in reinstated["keys"].values())


def test_a_pending_request_removed_is_not_listed(api) -> None:
    holder, _ = resident_with_voucher()
    child, _ = resident_with_voucher()
    holding = holding_request(holder=holder, name=child.name, id_number=person_id_number(child))
    version = api.get(LISTS).json()["version"]
    holding_remove(holding_id=holding.pk, by=holder)  # never consented: no code was ever shown with it
    after = api.get(LISTS).json()
    assert after["version"] == version and all(lists["holder_removed"] == [] for lists in after["keys"].values())


def test_every_offline_verdict_maps_to_a_scan_refusal() -> None:
    """The specification's table (section 7): each verdict a verifier can give is one of the scan's codes."""
    verdicts = {vector["expect"] for vector in build()["vectors"]} - {"valid"}
    assert verdicts == {
        "malformed",
        "unsupported_version",
        "unknown_key",
        "bad_signature",
        "not_yet_valid",
        "expired",
        "revoked",
        "suspended",
        "holder_removed",
    }
    assert {verdict: scanning.SCAN_ERRORS[verdict] for verdict in verdicts} == {v: f"code_{v}" for v in verdicts}


# --- Lead time -------------------------------------------------------------------------------------------


def test_a_code_signed_by_a_key_before_it_signs_is_refused_online_and_offline(api, terminal_api, settings) -> None:
    settings.VOUCHER_KEY_LEAD_SECONDS = 600
    person, voucher = resident_with_voucher()
    code_issue(viewer=person, subject=person)  # the key signing now
    private = Ed25519PrivateKey.generate()
    announced = key_create(private_key=private)  # published now, signs ten minutes from now
    assert announced.signs_from > timezone.now() + timedelta(seconds=590)
    jwks = api.get("/api/v1/vouchers/jwks").json()
    assert jwks["keys"][0]["short_id"] == announced.short_id

    def signed(at: int) -> str:
        payload = codec.Payload(
            key_id=bytes.fromhex(announced.short_id),
            voucher_ref=bytes.fromhex(voucher.ref),
            issued_at=at,
            lifetime=60,
            nonce=at.to_bytes(8, "big"),
        )
        return codec.encode(payload, private)

    now = int(scanning._now())
    early = signed(now)
    offline = verify.check(early, jwks=jwks, revocations=None, now=now)
    assert offline["valid"] is False and offline["reason"] == "unknown_key"
    online = terminal_api(pharmacy()).post("/api/v1/scanner/scan", {"code": early, "business_type": "02121"})
    assert online.status_code == 400 and online.json()["code"] == "code_unknown_key"
    # Once it signs (its start moved into the past), its codes verify.
    announced_start = int(announced.signs_from.timestamp())
    within_skew = signed(announced_start - 5)
    assert verify.check(within_skew, jwks=jwks, revocations=None, now=announced_start)["valid"]


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (the machine image has it)")
@pytest.mark.parametrize(
    "signs_from",
    [
        None,
        "2026-09-21T14:23:20+00:00",
        "2026-09-21T22:23:20+08:00",
        "2026-09-21T14:23:20Z",
        "2026-09-21T14:23:20.999999Z",
        "2026-09-21T09:23:20-05:00",
        "2026-09-21T14:13:15Z",
        "2026-09-21T14:13:16Z",
        "2026-02-30T00:00:00Z",
        "2026-09-21T24:00:00Z",
        "2026-09-21T14:23:20",
        "2026-09-21 14:23:20Z",
        "2026-09-21T14:23:20.1234567Z",
        "20260921T142320Z",
        "1790000600",
    ],
)
def test_node_and_python_read_signs_from_alike(tmp_path, signs_from) -> None:
    """A code of the vector key issued at CLOCK - 10, against that key published with ``signs_from``: both
    verifiers refuse or accept it alike; an unreadable time makes the key untrusted (unknown_key)."""
    data = build()
    code = data["vectors"][0]["code"]  # "valid": the key signing now, issued at CLOCK - 10
    key = next(k for k in data["jwks"]["keys"] if k["short_id"] == codec.decode(code)[0].key_id.hex())
    jwks = {"keys": [{**key, "signs_from": signs_from}]}
    python = verify.check(code, jwks=jwks, revocations=None, now=data["clock"])
    node = _node_verdict(tmp_path, code, jwks, {"version": 0, "keys": {}}, data["clock"])
    assert node == (python if python["valid"] else {"valid": False, "reason": python["reason"]})
    # Issued at 14:13:10: a key signing from 14:13:15 takes it (the skew), from 14:13:16 it does not.
    expected = {None: "valid", "2026-09-21T14:13:15Z": "valid", "2026-09-21T14:13:16Z": "unknown_key"}
    expected |= {"2026-02-30T00:00:00Z": "unknown_key", "2026-09-21T14:23:20": "unknown_key"}
    if signs_from in expected:
        assert (python["reason"] if not python["valid"] else "valid") == expected[signs_from]
