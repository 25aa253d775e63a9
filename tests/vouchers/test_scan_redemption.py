"""Redeeming a code at the scanner: one statement on PostgreSQL, the same answers and refusals everywhere.

The scan reads the voucher and writes the scan session and its audit row at once (vouchers.scanning); these
tests pin what a terminal is told, the order of the refusals, and the one-time guarantee under concurrency.
"""

import secrets
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError

from portal.audit.models import AuditEvent
from portal.errors import DomainError
from portal.people.services import person_id_number
from tests.conftest import TerminalClient, needs_postgres
from tests.vouchers.conftest import hospital, pharmacy, resident_with_voucher
from vouchers import codec, prepared, scanning
from vouchers.family import holding_consent_in_app, holding_remove, holding_request
from vouchers.keys import ring
from vouchers.models import RedeemedNonce, ScanSession
from vouchers.scanning import code_issue
from vouchers.services import voucher_change_status
from vouchers.views import ScanSerializer, scan_input

pytestmark = pytest.mark.django_db
SCAN = "/api/v1/scanner/scan"


def _scan(client: TerminalClient, code: str, business_type: str = "02121"):
    return client.post(SCAN, {"code": code, "business_type": business_type})


def _code(person, viewer=None) -> str:
    return code_issue(viewer=viewer or person, subject=person).text


def _held_child():
    holder, _ = resident_with_voucher(name="吴父")
    child, _ = resident_with_voucher(name="吴子", insurance_type="resident")
    holding = holding_request(holder=holder, name=child.name, id_number=person_id_number(child))
    holding_consent_in_app(holding_id=holding.pk, relative=child)
    return holder, child, holding


# --- What the terminal is told ----------------------------------------------------------------------------


def test_a_scan_answers_the_person_the_voucher_and_a_session_of_five_minutes(terminal_api) -> None:
    person, _ = resident_with_voucher(name="沙悟净", insurance_type="employee")
    client = terminal_api(pharmacy())
    before = timezone.now()
    response = _scan(client, "  " + _code(person) + "\n")  # the serializer strips whitespace
    assert response.status_code == 201, response.json()
    body = response.json()
    session = ScanSession.objects.get(pk=body["scan_session_id"])
    assert body == {
        "scan_session_id": str(session.pk),
        "expires_at": body["expires_at"],
        "business_type": "02121",
        "person": {
            "name": "沙悟净",
            "id_number_masked": person.id_number_masked,
            "gender": person.gender,
            "birth_date": person.birth_date.isoformat(),
            "insurance_type": "employee",
            "region": {"code": person.region.code, "name": person.region.name},
            "insured": True,
        },
        "voucher_status": "active",
        "shown_by_holder": None,
    }
    assert before <= session.created_at <= timezone.now()
    assert session.expires_at == session.created_at + timedelta(minutes=5)
    assert parse_datetime(body["expires_at"]) == session.expires_at  # to the microsecond, in local time
    assert (session.person_id, session.holder_id, session.terminal_id) == (person.pk, None, client.terminal.pk)
    assert session.institution_id == client.terminal.institution_id and session.voucher.person_id == person.pk
    audit = AuditEvent.objects.get(person=person, purpose="scan 02121")
    assert audit.actor_terminal_id == client.terminal.pk and audit.actor_user_id is None
    assert audit.action == "read" and audit.fields == ["id_number_masked", "insurance_type", "name", "region"]


def test_a_holders_scan_names_the_holder_and_records_them(terminal_api) -> None:
    holder, child, _ = _held_child()
    response = _scan(terminal_api(hospital()), _code(child, viewer=holder), "01101")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["person"]["name"] == "吴子" and body["shown_by_holder"] == {"name": "吴父"}
    session = ScanSession.objects.get(pk=body["scan_session_id"])
    assert (session.person_id, session.holder_id) == (child.pk, holder.pk)
    assert AuditEvent.objects.filter(person=child, purpose="scan 01101").count() == 1


# --- The refusals, in their order -------------------------------------------------------------------------


def test_a_code_of_a_voucher_that_does_not_exist_is_refused_as_revoked(terminal_api) -> None:
    person, _ = resident_with_voucher()
    _code(person)  # makes sure a signing key exists
    keys = ring()
    assert keys.signing is not None and keys.signing_private is not None
    payload = codec.Payload(
        key_id=bytes.fromhex(keys.signing.short_id),
        voucher_ref=secrets.token_bytes(8),
        issued_at=int(scanning._now()),
        lifetime=60,
        nonce=secrets.token_bytes(8),
    )
    response = _scan(terminal_api(pharmacy()), codec.encode(payload, keys.signing_private))
    assert response.status_code == 403 and response.json()["code"] == "code_revoked"
    assert not ScanSession.objects.exists() and not AuditEvent.objects.filter(purpose__startswith="scan").exists()


@pytest.mark.parametrize(("status", "code"), [("suspended", "code_suspended"), ("revoked", "code_revoked")])
def test_a_used_code_of_a_voucher_stopped_since_names_the_voucher_not_the_replay(terminal_api, status, code) -> None:
    person, voucher = resident_with_voucher()
    text = _code(person)
    assert _scan(terminal_api(pharmacy()), text).status_code == 201
    voucher_change_status(voucher_id=voucher.pk, new_status=status, reason="misuse", actor=None)
    again = _scan(terminal_api(pharmacy()), text)
    assert again.status_code == 403 and again.json()["code"] == code


def test_a_used_code_of_a_holder_removed_since_names_the_holder_not_the_replay(terminal_api) -> None:
    holder, child, holding = _held_child()
    text = _code(child, viewer=holder)
    assert _scan(terminal_api(hospital()), text, "01101").status_code == 201
    assert _scan(terminal_api(hospital()), text, "01101").json()["code"] == "code_replayed"
    holding_remove(holding_id=holding.pk, by=child)
    assert _scan(terminal_api(hospital()), text, "01101").json()["code"] == "code_holder_removed"


def test_a_code_shown_by_someone_who_never_held_it_is_refused(terminal_api) -> None:
    holder, child, _ = _held_child()
    stranger, _ = resident_with_voucher()
    text = _code(child, viewer=holder)
    payload = codec.decode(text)[0]
    # Re-signed by the bureau's key with another person's voucher as the subject: the holding is not theirs.
    keys = ring()
    assert keys.signing_private is not None
    other = codec.Payload(
        key_id=payload.key_id,
        voucher_ref=bytes.fromhex(stranger.vouchers.get().ref),
        issued_at=payload.issued_at,
        lifetime=payload.lifetime,
        nonce=secrets.token_bytes(8),
        holder_ref=payload.holder_ref,
    )
    refused = _scan(terminal_api(hospital()), codec.encode(other, keys.signing_private), "01101")
    assert refused.status_code == 403 and refused.json()["code"] == "code_holder_removed"
    assert not ScanSession.objects.exists()


def test_a_refused_replay_leaves_the_callers_transaction_usable() -> None:
    from tests import factories

    person, _ = resident_with_voucher()
    terminal, _ = factories.terminal(of=pharmacy())
    code = _code(person)
    with transaction.atomic():
        scanning.scan(terminal=terminal, text=code, business_type="02121")
        with pytest.raises(DomainError) as refused:
            scanning.scan(terminal=terminal, text=code, business_type="02121")
        assert refused.value.code == "code_replayed"
        assert ScanSession.objects.filter(person=person).count() == 1  # still usable
        assert AuditEvent.objects.filter(person=person, purpose="scan 02121").count() == 1


# --- The request body, read without the serializer when it is plain -------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"code": "YB1:ABC", "business_type": "02121"},
        {"code": "  YB1:ABC \t\n", "business_type": "01101", "extra": 1},
        {"code": "\x1cYB1:ABC\x1f", "business_type": "02121"},  # str.strip() whitespace, as DRF's
        {"code": "A" * 400, "business_type": "02121"},
        {"code": " " + "A" * 400 + " ", "business_type": "02121"},
        {"code": "A" * 401, "business_type": "02121"},
        {"code": "\u3000YB1:ABC\u3000", "business_type": "02121"},  # ideographic spaces
        {"code": "YB1:\u00e9", "business_type": "02121"},
        {"code": "YB1:\x00", "business_type": "02121"},
        {"code": "YB1:\ud800", "business_type": "02121"},
        {"code": "   ", "business_type": "02121"},
        {"code": "", "business_type": "02121"},
        {"code": None, "business_type": "02121"},
        {"code": 12345, "business_type": "02121"},
        {"code": True, "business_type": "02121"},
        {"code": ["YB1:"], "business_type": "02121"},
        {"code": "YB1:ABC", "business_type": 2121},
        {"code": "YB1:ABC", "business_type": "99999"},
        {"code": "YB1:ABC", "business_type": ""},
        {"code": "YB1:ABC"},
        {"business_type": "02121"},
        {},
        [],
        "not an object",
        None,
    ],
)
def test_reading_a_scan_request_gives_exactly_what_the_serializer_gives(data) -> None:
    serializer = ScanSerializer(data=data)
    if serializer.is_valid():
        assert scan_input(data) == (serializer.validated_data["code"], serializer.validated_data["business_type"])
    else:
        with pytest.raises(ValidationError) as refused:
            scan_input(data)
        assert refused.value.detail == serializer.errors


# --- PostgreSQL: one statement, prepared once per connection ---------------------------------------------


@needs_postgres()
def test_the_scan_statement_is_prepared_once_per_connection(terminal_api) -> None:
    person, _ = resident_with_voucher()
    client = terminal_api(pharmacy())
    for _ in range(3):
        assert _scan(client, _code(person)).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%vouchers_scansession%"]
        )
        assert cursor.fetchone()[0] == 1


@needs_postgres()
def test_a_lost_prepared_statement_falls_back_to_an_unprepared_scan(terminal_api, monkeypatch, caplog) -> None:
    monkeypatch.setattr(prepared, "_enabled", True)
    person, _ = resident_with_voucher()
    client = terminal_api(pharmacy())
    assert _scan(client, _code(person)).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler that moves clients between connections amounts to
    code = _code(person)
    assert _scan(client, code).status_code == 201
    assert not prepared._enabled and "not preparing" in caplog.text
    assert _scan(client, code).json()["code"] == "code_replayed"  # unprepared, the same guarantee
    assert ScanSession.objects.filter(person=person).count() == 2


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_holders_code_from_twenty_concurrent_terminals_is_redeemed_exactly_once() -> None:
    from tests.factories import terminal

    holder, child, _ = _held_child()
    code = _code(child, viewer=holder)
    clients = [TerminalClient(*terminal(of=hospital())) for _ in range(20)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str | None]] = []

    def scan(client: TerminalClient) -> None:
        try:
            barrier.wait()
            response = _scan(client, code, "01101")
            answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers, key=lambda a: a[0]) == [(201, None)] + [(409, "code_replayed")] * 19
    assert ScanSession.objects.filter(person=child, holder=holder).count() == 1
    assert RedeemedNonce.objects.filter(nonce=codec.decode(code)[0].nonce.hex()).count() == 1
    assert AuditEvent.objects.filter(person=child, purpose="scan 01101").count() == 1


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_different_codes_scanned_at_once_are_all_redeemed() -> None:
    from tests.factories import terminal

    person, _ = resident_with_voucher()
    desk, _ = terminal(of=pharmacy())
    codes = [_code(person) for _ in range(12)]
    barrier = threading.Barrier(len(codes))
    outcomes: list[str] = []

    def scan(code: str) -> None:
        try:
            barrier.wait()
            scanning.scan(terminal=desk, text=code, business_type="02121")
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(c,)) for c in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ok"] * 12
    nonces = [codec.decode(code)[0].nonce.hex() for code in codes]
    assert (
        ScanSession.objects.filter(person=person).count()
        == 12
        == RedeemedNonce.objects.filter(nonce__in=nonces).count()
    )


@needs_postgres()
def test_the_prepared_scan_writes_into_a_month_partition_attached_after_it_was_prepared(
    terminal_api, monkeypatch
) -> None:
    from portal.ops import partitions

    person, _ = resident_with_voucher()
    client = terminal_api(pharmacy())
    assert _scan(client, _code(person)).status_code == 201  # the statement is prepared on this connection
    spec = partitions.BY_LABEL["scan_sessions"]
    later = partitions.add_months(partitions.local_month(timezone.now()), 7)
    assert partitions.partition_name(spec.table, later) not in {p.name for p in partitions.partitions(spec=spec)}
    partitions.ensure_partitions(spec=spec, ahead=7)
    moment = partitions.month_bounds(later)[0] + timedelta(days=3)
    monkeypatch.setattr(timezone, "now", lambda: moment)  # the scan's time; the code's own clock is unchanged
    code = _code(person)
    response = _scan(client, code)
    assert response.status_code == 201, response.json()
    session_id = response.json()["scan_session_id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM vouchers_scansession WHERE id = %s", [session_id])
        assert cursor.fetchone()[0] == partitions.partition_name(spec.table, later)
    monkeypatch.undo()
    assert _scan(client, code).json()["code"] == "code_replayed"  # this month's partition: still once
    assert prepared._enabled  # the same prepared statement throughout, re-planned by PostgreSQL
