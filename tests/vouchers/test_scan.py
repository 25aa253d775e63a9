"""Scanning at the counter: every refusal has its own code, a code redeems once, never a 500."""

import threading
from datetime import timedelta

import base45
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.people.services import person_id_number
from tests import factories
from tests.conftest import TerminalClient, needs_postgres
from tests.vouchers.conftest import hospital, pharmacy, resident_with_voucher
from vouchers import codec, scanning
from vouchers.family import holding_consent_in_app, holding_remove, holding_request
from vouchers.keys import key_create, key_rotate_if_due, ring_reset
from vouchers.models import ScanSession, SigningKey
from vouchers.scanning import code_issue
from vouchers.services import voucher_change_status

pytestmark = pytest.mark.django_db
SCAN = "/api/v1/scanner/scan"


def _scan(client: TerminalClient, code, business_type="02121"):
    return client.post(SCAN, {"code": code, "business_type": business_type})


def _code(person, viewer=None) -> str:
    return code_issue(viewer=viewer or person, subject=person).text


def test_a_pharmacy_scans_a_code_and_learns_who_it_is(terminal_api) -> None:
    person, _voucher = resident_with_voucher(name="孙悟空", insurance_type="retired")
    client = terminal_api(pharmacy())
    response = _scan(client, _code(person))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["person"]["name"] == "孙悟空"
    assert body["person"]["id_number_masked"] == person.id_number_masked
    assert person_id_number(person) not in response.content.decode()
    assert body["person"]["insurance_type"] == "retired" and body["person"]["region"]["code"] == "340600"
    assert body["voucher_status"] == "active" and body["shown_by_holder"] is None
    session = ScanSession.objects.get(pk=body["scan_session_id"])
    assert session.expires_at - session.created_at == timedelta(minutes=5)
    assert AuditEvent.objects.filter(person=person, actor_terminal=client.terminal, purpose="scan 02121").exists()


def test_a_code_is_redeemed_once(terminal_api) -> None:
    person, _ = resident_with_voucher()
    code = _code(person)
    client = terminal_api(pharmacy())
    assert _scan(client, code).status_code == 201
    again = _scan(terminal_api(pharmacy()), code)
    assert again.status_code == 409 and again.json()["code"] == "code_replayed"


def test_an_expired_code_is_refused(terminal_api, monkeypatch) -> None:
    person, _ = resident_with_voucher()
    code = _code(person)
    issued = codec.decode(code)[0].issued_at
    monkeypatch.setattr(scanning, "_now", lambda: issued + 60 + 6)
    response = _scan(terminal_api(pharmacy()), code)
    assert response.json()["code"] == "code_expired"


def test_a_code_just_past_expiry_passes_within_the_clock_skew(terminal_api, monkeypatch) -> None:
    person, _ = resident_with_voucher()
    code = _code(person)
    monkeypatch.setattr(scanning, "_now", lambda: codec.decode(code)[0].issued_at + 64)
    assert _scan(terminal_api(pharmacy()), code).status_code == 201


def test_a_code_from_the_future_is_refused(terminal_api, monkeypatch) -> None:
    person, _ = resident_with_voucher()
    code = _code(person)
    monkeypatch.setattr(scanning, "_now", lambda: codec.decode(code)[0].issued_at - 30)
    assert _scan(terminal_api(pharmacy()), code).json()["code"] == "code_not_yet_valid"


def test_a_tampered_code_has_a_bad_signature(terminal_api) -> None:
    person, _ = resident_with_voucher()
    other, _ = resident_with_voucher()
    _payload, body, signature = codec.decode(_code(person))
    forged_body = bytearray(body)
    forged_body[6:14] = codec.decode(_code(other))[0].voucher_ref  # somebody else's voucher
    forged = codec.PREFIX + base45.b45encode(bytes(forged_body) + signature).decode()
    response = _scan(terminal_api(pharmacy()), forged)
    assert response.json()["code"] == "code_bad_signature"


def test_a_code_signed_by_an_unknown_key_is_refused(terminal_api) -> None:
    _person, voucher = resident_with_voucher()
    stranger = Ed25519PrivateKey.generate()
    payload = codec.Payload(
        key_id=codec.short_key_id(stranger.public_key()),
        voucher_ref=bytes.fromhex(voucher.ref),
        issued_at=int(scanning._now()),
        lifetime=60,
        nonce=b"12345678",
    )
    response = _scan(terminal_api(pharmacy()), codec.encode(payload, stranger))
    assert response.json()["code"] == "code_unknown_key"


@pytest.mark.parametrize(
    ("status", "reason", "code"), [("revoked", "lost_phone", "code_revoked"), ("suspended", "misuse", "code_suspended")]
)
def test_a_code_of_a_revoked_or_suspended_voucher_is_refused(terminal_api, status, reason, code) -> None:
    person, voucher = resident_with_voucher()
    text = _code(person)  # shown just before the bureau acted
    voucher_change_status(voucher_id=voucher.pk, new_status=status, reason=reason, actor=None)
    response = _scan(terminal_api(pharmacy()), text)
    assert response.status_code == 403 and response.json()["code"] == code


def test_a_pharmacy_cannot_register_and_a_hospital_cannot_sell_over_the_counter(terminal_api) -> None:
    person, _ = resident_with_voucher()
    assert _scan(terminal_api(pharmacy()), _code(person), "01101").json()["code"] == "code_wrong_institution"
    wrong = _scan(terminal_api(hospital()), _code(person), "02121")
    assert wrong.status_code == 403 and wrong.json()["code"] == "code_wrong_institution"
    assert _scan(terminal_api(hospital()), _code(person), "01101").status_code == 201


def test_a_relatives_code_names_the_holder_until_the_holder_is_removed(terminal_api) -> None:
    holder, _ = resident_with_voucher(name="周父")
    child, _ = resident_with_voucher(name="周子", insurance_type="resident")
    holding = holding_request(holder=holder, name=child.name, id_number=person_id_number(child))
    holding_consent_in_app(holding_id=holding.pk, relative=child)
    response = _scan(terminal_api(hospital()), _code(child, viewer=holder), "01101")
    assert response.json()["person"]["name"] == "周子"
    assert response.json()["shown_by_holder"] == {"name": "周父"}
    shown_before_removal = _code(child, viewer=holder)
    holding_remove(holding_id=holding.pk, by=child)
    refused = _scan(terminal_api(hospital()), shown_before_removal, "01101")
    assert refused.json()["code"] == "code_holder_removed"


@pytest.mark.parametrize(
    "body",
    [
        {"code": "", "business_type": "02121"},
        {"code": "hello", "business_type": "02121"},
        {"code": "YB1:", "business_type": "02121"},
        {"code": "YB1:%%%%", "business_type": "02121"},
        {"code": "YB1:" + "A" * 300, "business_type": "02121"},
        {"code": ["YB1:"], "business_type": "02121"},
        {"code": None, "business_type": "02121"},
        {"code": "YB1:00", "business_type": "99999"},
        {"business_type": "02121"},
        "not an object",
    ],
    ids=[
        "empty",
        "garbage",
        "prefix only",
        "bad base45",
        "oversize",
        "list",
        "null",
        "unknown business",
        "no code",
        "not an object",
    ],
)
def test_malformed_input_is_a_clear_400_never_a_500(terminal_api, body) -> None:
    response = terminal_api(pharmacy()).post(SCAN, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"code_malformed", "invalid_input"}


def test_only_terminals_scan(resident_api, api) -> None:
    person, _ = resident_with_voucher()
    assert resident_api(person).post(SCAN, {"code": "x", "business_type": "02121"}).json()["code"] == "not_a_terminal"
    assert api.post(SCAN, {"code": "x", "business_type": "02121"}).status_code == 401


def test_after_a_rotation_old_codes_verify_until_their_keys_retire(terminal_api) -> None:
    person, _ = resident_with_voucher()
    old_code = _code(person)
    key_create(lead=timedelta(0))  # signing at once (the default waits VOUCHER_KEY_LEAD_SECONDS)
    new_code = _code(person)
    assert codec.decode(old_code)[0].key_id != codec.decode(new_code)[0].key_id
    client = terminal_api(pharmacy())
    assert _scan(client, old_code).status_code == 201
    assert _scan(client, new_code).status_code == 201
    stale_code = _code(person)  # signed by the current key; now retire every key but a brand-new one
    newest = key_create(lead=timedelta(0))
    SigningKey.objects.exclude(pk=newest.pk).update(verifies_until=timezone.now() - timedelta(seconds=1))
    ring_reset()
    assert _scan(client, stale_code).json()["code"] == "code_unknown_key"


def test_revocation_lists_name_revoked_vouchers_without_personal_data(api) -> None:
    person, voucher = resident_with_voucher()
    _code(person)  # makes sure a key exists
    before = api.get("/api/v1/vouchers/revocations").json()
    voucher_change_status(voucher_id=voucher.pk, new_status="revoked", reason="lost_phone", actor=None)
    after = api.get("/api/v1/vouchers/revocations").json()
    assert after["version"] > before["version"]
    kid, lists = next(iter(after["keys"].items()))
    short = codec.b64url_decode(kid)[:4]
    assert lists == {
        "revoked": [codec.revocation_id(short, bytes.fromhex(voucher.ref))],
        "suspended": [],
        "holder_removed": [],
    }
    assert voucher.ref not in str(after) and person.name not in str(after)
    one = api.get(f"/api/v1/vouchers/revocations/{kid}")
    assert one.json()["keys"] == {kid: lists} and one["ETag"] == f'"{after["version"]}"'
    assert api.get("/api/v1/vouchers/revocations/nope").status_code == 404


def test_staff_see_activation_and_scan_figures(api, terminal_api) -> None:
    from portal.people.models import User

    person, _ = resident_with_voucher()
    factories.person()  # insured, not activated
    _scan(terminal_api(pharmacy()), _code(person))
    staff = User.objects.create_user("ops", password="a-long-test-password", is_staff=True)
    api.force_login(staff)
    region = api.get("/api/v1/staff/vouchers/figures").json()["regions"]["340600"]
    assert region["insured"] == 2 and region["active"] == 1 and region["activation_rate"] == 0.5
    assert region["by_channel"] == {"app": 1} and region["scans"] == {"02121": 1}


def test_residents_do_not_see_the_figures(resident_api) -> None:
    person, _ = resident_with_voucher()
    assert resident_api(person).get("/api/v1/staff/vouchers/figures").status_code == 403


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_code_replayed_from_fifty_concurrent_terminals_is_redeemed_exactly_once() -> None:
    from tests.factories import terminal

    person, _ = resident_with_voucher()
    code = _code(person)
    clients = [TerminalClient(*terminal(of=pharmacy())) for _ in range(50)]
    barrier = threading.Barrier(50)
    statuses: list[int] = []

    def scan(client: TerminalClient) -> None:
        try:
            barrier.wait()
            statuses.append(_scan(client, code).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 49
    assert ScanSession.objects.filter(person=person).count() == 1


def test_a_code_of_an_unknown_version_says_so(terminal_api) -> None:
    person, _ = resident_with_voucher()
    _payload, body, signature = codec.decode(_code(person))
    newer = codec.PREFIX + base45.b45encode(b"\x02" + body[1:] + signature).decode()
    response = _scan(terminal_api(pharmacy()), newer)
    assert response.status_code == 400 and response.json()["code"] == "code_unsupported_version"


def test_a_new_key_is_published_ahead_of_signing_and_takes_over_on_time(api, terminal_api, settings) -> None:
    """A terminal that fetched the JWKS during the lead time holds the new key before any code uses it."""
    settings.VOUCHER_KEY_LEAD_SECONDS = 600
    person, _ = resident_with_voucher()
    before = _code(person)
    old_id = codec.decode(before)[0].key_id
    new = key_create()
    published = api.get("/.well-known/jwks.json").json()["keys"]
    assert [k["short_id"] for k in published][:2] == [new.short_id, old_id.hex()]  # the new key, already listed
    assert (
        published[0]["signs_from"] > published[1]["signs_from"]
        and published[1]["signs_until"] == published[0]["signs_from"]
    )
    during = _code(person)
    assert codec.decode(during)[0].key_id == old_id  # the old key signs on during the lead time
    assert key_rotate_if_due(max_age=timedelta(0)) is None  # a rotation under way is not started again
    # Ten minutes later (moved in the database): the new key signs, the old one still verifies its codes.
    later = timezone.now() - timedelta(seconds=1)
    SigningKey.objects.filter(pk=new.pk).update(signs_from=later)
    SigningKey.objects.exclude(pk=new.pk).update(signs_until=later)
    ring_reset()
    after = _code(person)
    assert codec.decode(after)[0].key_id.hex() == new.short_id
    client = terminal_api(pharmacy())
    assert _scan(client, during).status_code == 201 and _scan(client, after).status_code == 201


def test_the_jwks_is_never_empty_and_conditional_gets_answer_304(api) -> None:
    SigningKey.objects.all().delete()
    ring_reset()
    first = api.get("/.well-known/jwks.json")
    assert len(first.json()["keys"]) == 1  # a fresh deployment: a key before any code was issued
    again = api.get("/.well-known/jwks.json", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    lists = api.get("/api/v1/vouchers/revocations")
    assert api.get("/api/v1/vouchers/revocations", headers={"If-None-Match": lists["ETag"]}).status_code == 304
    assert api.get("/api/v1/vouchers/revocations", headers={"If-None-Match": '"0x"'}).status_code == 200


def test_a_revocation_list_is_found_by_the_short_id_a_code_carries(api) -> None:
    person, voucher = resident_with_voucher()
    key_id = codec.decode(_code(person))[0].key_id
    voucher_change_status(voucher_id=voucher.pk, new_status="suspended", reason="lost_phone", actor=None)
    by_short = api.get(f"/api/v1/vouchers/revocations/{key_id.hex()}").json()
    by_short_upper = api.get(f"/api/v1/vouchers/revocations/{key_id.hex().upper()}").json()
    (kid,) = by_short["keys"]
    assert codec.b64url_decode(kid)[:4] == key_id and by_short["keys"] == by_short_upper["keys"]
    assert by_short["keys"][kid]["suspended"] == [codec.revocation_id(key_id, bytes.fromhex(voucher.ref))]
    assert by_short["keys"][kid]["revoked"] == []
    assert api.get("/api/v1/vouchers/revocations/00000000").status_code == 404
