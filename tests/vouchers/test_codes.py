"""Dynamic codes: signed, no personal data, QR version <= 7 at EC M, decodable by a real QR reader."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_ALPHA_NUM

from portal.people.services import person_id_number
from tests import factories
from tests.vouchers.conftest import resident_with_voucher
from vouchers import codec
from vouchers.keys import ring
from vouchers.scanning import code_issue, qr_code
from vouchers.test_vectors import build

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_code_is_short_signed_and_valid_for_sixty_seconds(resident_api) -> None:
    person, voucher = resident_with_voucher()
    response = resident_api(person).get("/api/v1/vouchers/code")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    text = body["code"]
    assert text.startswith("YB1:") and len(text) <= 160
    payload = codec.verify(text, public_keys=ring().verifying, now=codec.decode(text)[0].issued_at)
    assert payload.voucher_ref.hex() == voucher.ref
    assert payload.expires_at - payload.issued_at == 60
    assert body["refresh_after_seconds"] == 30


def test_the_code_holds_no_personal_data() -> None:
    person, _ = resident_with_voucher(name="张三丰", phone="13811112222")
    text = code_issue(viewer=person, subject=person).text
    raw = codec.decode(text)[1]
    number = person_id_number(person)
    for secret in (number, number[-6:], "13811112222", person.name):
        assert secret.encode() not in raw and secret not in text


def test_two_codes_differ_even_within_the_same_second() -> None:
    person, _ = resident_with_voucher()
    assert code_issue(viewer=person, subject=person).text != code_issue(viewer=person, subject=person).text


@pytest.mark.parametrize("family", [False, True], ids=["own code", "relative's code with holder reference"])
def test_the_png_decodes_with_zxing_and_verifies_and_fits_version_7_at_m(resident_api, family) -> None:
    from vouchers.family import holding_register_by_staff, holding_request

    person, _ = resident_with_voucher()
    subject = person
    if family:
        relative = factories.person(phone="", insurance_type="resident")
        holding = holding_request(holder=person, name=relative.name, id_number=person_id_number(relative))
        holding_register_by_staff(holding_id=holding.pk)
        subject = relative
    response = resident_api(person).get(f"/api/v1/vouchers/code?as=png&person={subject.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert len(results) == 1
    decoded = results[0]
    assert decoded.format == zxingcpp.BarcodeFormat.QRCode
    assert int(decoded.extra["Version"]) <= 7 and decoded.extra["ECLevel"] == "M"
    payload = codec.verify(decoded.text, public_keys=ring().verifying, now=codec.decode(decoded.text)[0].issued_at)
    assert (payload.holder_ref is not None) is family
    qr = qr_code(decoded.text)
    assert qr.version == 6  # 141 or 153 alphanumeric characters: version 6-M holds up to 154
    assert qr.error_correction == ERROR_CORRECT_M and qr.data_list[0].mode == MODE_ALPHA_NUM


def test_the_svg_is_served_uncached(resident_api) -> None:
    person, _ = resident_with_voucher()
    response = resident_api(person).get("/api/v1/vouchers/code?as=svg")
    assert response["Content-Type"] == "image/svg+xml" and b"<svg" in response.content
    assert "no-store" in response["Cache-Control"]


def test_without_an_active_voucher_there_is_no_code(resident_api) -> None:
    response = resident_api(factories.person()).get("/api/v1/vouchers/code")
    assert response.status_code == 404 and response.json()["code"] == "no_voucher"


def test_nobody_shows_a_strangers_code(resident_api) -> None:
    me, _ = resident_with_voucher()
    stranger, _ = resident_with_voucher()
    response = resident_api(me).get(f"/api/v1/vouchers/code?person={stranger.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_your_relative"


def test_the_jwks_publishes_thumbprint_key_ids_and_verifies_issued_codes(api) -> None:
    person, _ = resident_with_voucher()
    text = code_issue(viewer=person, subject=person).text
    document = api.get("/.well-known/jwks.json").json()
    assert document == api.get("/api/v1/vouchers/jwks").json()
    keys = codec.keys_from_jwks(document)
    assert codec.verify(text, public_keys=keys, now=codec.decode(text)[0].issued_at)


def test_the_committed_test_vectors_are_what_the_generator_makes() -> None:
    generated = build()
    folder = ROOT / "vouchers" / "vectors"
    assert json.loads((folder / "jwks.json").read_text()) == generated["jwks"]
    assert json.loads((folder / "revocations.json").read_text()) == generated["revocations"]
    committed = json.loads((folder / "vectors.json").read_text())
    assert committed["vectors"] == generated["vectors"] and committed["clock"] == generated["clock"]


def test_every_vector_gets_its_expected_verdict_from_the_offline_verifier() -> None:
    from vouchers.verify import check

    data = build()
    expectations = {v["expect"] for v in data["vectors"]}
    assert {"valid", "expired", "not_yet_valid", "unknown_key", "bad_signature", "revoked", "malformed"} <= expectations
    for vector in data["vectors"]:
        verdict = check(vector["code"], jwks=data["jwks"], revocations=data["revocations"], now=data["clock"])
        assert ("valid" if verdict["valid"] else verdict["reason"]) == vector["expect"], vector["name"]


@pytest.mark.parametrize(("name", "status"), [("valid", 0), ("expired", 1), ("revoked voucher", 1)])
def test_the_verifier_runs_as_a_command(name, status) -> None:
    folder = ROOT / "vouchers" / "vectors"
    vectors = json.loads((folder / "vectors.json").read_text())
    vector = next(v for v in vectors["vectors"] if v["name"] == name)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vouchers.verify",
            vector["code"],
            "--jwks",
            str(folder / "jwks.json"),
            "--revocations",
            str(folder / "revocations.json"),
            "--now",
            "2026-09-21T14:13:20Z",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == status, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["valid"] is (status == 0)
    if status:
        assert verdict["reason"] == vector["expect"]
