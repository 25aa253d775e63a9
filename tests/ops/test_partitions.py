"""Monthly partitions of the tables that grow for years: rows land in their month, old months are archived
and dropped without touching the others, and the one-time guards (scan nonces, notify ids) still hold."""

from __future__ import annotations

import csv
import gzip
import json
import uuid
from datetime import datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from payments.online.models import ChannelNotification, ChannelNotifyKey
from portal.audit.models import AuditEvent
from portal.errors import DomainError
from portal.ops import invariants, partitions
from portal.ops.tasks import maintain_partitions
from portal.qa.models import SearchLog
from tests import factories
from tests.conftest import needs_postgres
from tests.payments.settlement_helpers import drug, insured, scan, settle
from vouchers import scanning
from vouchers.models import RedeemedNonce, ScanSession, Voucher
from vouchers.services import voucher_issue

pytestmark = pytest.mark.django_db

SCANS = partitions.BY_LABEL["scan_sessions"]
AUDIT = partitions.BY_LABEL["audit_events"]
LEDGER = partitions.BY_LABEL["ledger_entries"]
SEARCHES = partitions.BY_LABEL["qa_searches"]


def _this_month():
    return partitions.local_month(timezone.now())


def _in_month(offset: int, day: int = 15) -> datetime:
    """Noon on ``day`` of the month ``offset`` months from this one (local time)."""
    start, _ = partitions.month_bounds(partitions.add_months(_this_month(), offset))
    return start + timedelta(days=day - 1, hours=12)


def _partition_of(table: str, pk: object) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT tableoid::regclass::text FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def _scan_session(*, at: datetime, nonce: str | None = None, voucher: Voucher | None = None) -> ScanSession:
    if voucher is None:
        person = factories.person()
        voucher = voucher_issue(person=person, channel=Voucher.Channel.APP)
    terminal, _ = factories.terminal()
    return ScanSession.objects.create(
        id=uuid.uuid4(),
        nonce=nonce or uuid.uuid4().hex[:16],
        voucher=voucher,
        person=voucher.person,
        terminal=terminal,
        institution=terminal.institution,
        business_type=ScanSession.BusinessType.PHARMACY_PURCHASE,
        created_at=at,
        expires_at=at + timedelta(minutes=5),
    )


def _audit_row(*, at: datetime) -> int:
    """An audit row at a given time (the model stamps ``at`` itself)."""
    person = factories.person()
    with mock.patch("django.utils.timezone.now", return_value=at):
        return AuditEvent.objects.create(action=AuditEvent.Action.READ, person=person, purpose="test").pk


def _archive(tmp_path, *labels: str, dry_run: bool = False) -> str:
    out = StringIO()
    labels_given = [f"--table={label}" for label in labels]
    if connection.vendor == "postgresql":  # as if the rows were committed long ago: their deferred checks done
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command(
        "archive_partitions", *labels_given, archive_dir=str(tmp_path), dry_run=dry_run, stdout=out, stderr=out
    )
    return out.getvalue()


# --- One-time guards, on both databases -----------------------------------------------------------------


def test_a_code_is_redeemed_once_even_across_a_month_boundary() -> None:
    _, month_end = partitions.month_bounds(_this_month())
    first = _scan_session(at=month_end - timedelta(seconds=1), nonce="00aa11bb22cc33dd")
    with pytest.raises(IntegrityError), transaction.atomic():
        _scan_session(at=month_end + timedelta(seconds=1), nonce="00aa11bb22cc33dd", voucher=first.voucher)
    assert ScanSession.objects.filter(nonce="00aa11bb22cc33dd").count() == 1


def test_a_notify_is_stored_once_even_when_its_retry_lands_in_another_month() -> None:
    _, month_end = partitions.month_bounds(_this_month())
    with mock.patch("django.utils.timezone.now", return_value=month_end - timedelta(seconds=1)):
        ChannelNotification.objects.create(channel="wechatpay", headers={}, body="{}", notify_id="N-0001")
    with (
        mock.patch("django.utils.timezone.now", return_value=month_end + timedelta(hours=2)),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        ChannelNotification.objects.create(channel="wechatpay", headers={}, body="{}", notify_id="N-0001")
    ChannelNotification.objects.create(channel="wechatpay", headers={}, body="", notify_id=None, error="rejected")
    ChannelNotification.objects.create(channel="wechatpay", headers={}, body="", notify_id=None, error="rejected")
    assert ChannelNotification.objects.filter(notify_id="N-0001").count() == 1


def test_a_settlement_whose_scan_session_vanished_is_named_by_the_invariants(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    session = scan(client, person)
    assert settle(client, session, [drug(price=3_000)]).status_code == 201
    assert all(result.ok for result in invariants.check_all())
    with connection.cursor() as cursor:  # no database foreign key any more: only the invariant notices
        stored = uuid.UUID(session).hex if connection.vendor == "sqlite" else session
        cursor.execute("DELETE FROM vouchers_scansession WHERE id = %s", [stored])
    result = next(r for r in invariants.check_all() if r.name == "sold_and_redeemed_once")
    assert [v["problem"] for v in result.violations] == ["scan session missing"]
    assert result.violations[0]["scan_session"] == session


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite keeps plain tables")
def test_on_sqlite_the_partition_commands_say_there_is_nothing_to_do(tmp_path) -> None:
    assert "nothing to archive" in _archive(tmp_path)
    out = StringIO()
    call_command("ensure_partitions", stdout=out)
    assert "nothing to create" in out.getvalue()
    assert maintain_partitions() == {"skipped": "sqlite: plain tables, nothing to partition"}
    assert not any(tmp_path.iterdir())


# --- PostgreSQL: the partitions themselves ---------------------------------------------------------------


@needs_postgres()
def test_every_growing_table_is_partitioned_by_month_with_months_ahead_and_a_default() -> None:
    for spec in partitions.TABLES:
        assert partitions.is_partitioned(spec.table), spec.table
        names = [p.name for p in partitions.partitions(spec=spec)]
        for offset in range(4):  # this month and PARTITION_MONTHS_AHEAD (3) ahead
            assert partitions.partition_name(spec.table, partitions.add_months(_this_month(), offset)) in names
        assert names[-1] == f"{spec.table}_default"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass "
                "AND i.indisprimary",
                [spec.table],
            )
            assert cursor.fetchone()[0] == sorted(["id", spec.key])


@needs_postgres()
def test_rows_land_in_the_partition_of_their_local_month() -> None:
    partitions.ensure_partitions(spec=SEARCHES, first=partitions.add_months(_this_month(), -2))
    next_start, _ = partitions.month_bounds(partitions.add_months(_this_month(), 1))
    cases = {
        _in_month(-2): -2,
        _in_month(-1): -1,
        _in_month(0): 0,
        next_start - timedelta(microseconds=1): 0,  # the month's last instant, local time
        next_start: 1,  # midnight local time opens the next month (16:00 UTC the day before)
    }
    for at, offset in cases.items():
        row = SearchLog.objects.create(query="门诊报销", results=1, created_at=at)
        month = partitions.add_months(_this_month(), offset)
        assert _partition_of("qa_searchlog", row.pk) == partitions.partition_name("qa_searchlog", month), at


@needs_postgres()
def test_a_row_past_the_partitions_waits_in_default_and_moves_into_its_month_when_created() -> None:
    far = _in_month(10)
    row = _audit_row(at=far)
    assert _partition_of("audit_auditevent", row) == "audit_auditevent_default"
    created = partitions.ensure_partitions(spec=AUDIT, ahead=10)
    month_name = partitions.partition_name("audit_auditevent", partitions.add_months(_this_month(), 10))
    assert month_name in created
    assert _partition_of("audit_auditevent", row) == month_name
    assert partitions.ensure_partitions(spec=AUDIT, ahead=10) == []  # idempotent
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{month_name}" WHERE id = %s', [row])  # the trigger came along


@needs_postgres()
def test_updates_and_deletes_are_still_refused_on_every_partition_of_the_ledger_and_audit_log() -> None:
    row = _audit_row(at=timezone.now())
    for statement in (
        "UPDATE audit_auditevent SET purpose = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_inherits i JOIN pg_trigger t ON t.tgrelid = i.inhrelid "
            "WHERE i.inhparent = 'ledger_ledgerentry'::regclass AND t.tgname = 'ledger_ledgerentry_append_only'"
        )
        with_trigger = cursor.fetchone()[0]
    assert with_trigger == len(partitions.partitions(spec=LEDGER))


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_one_statement_scan_refuses_a_replayed_code_across_partitions() -> None:
    person = factories.person()
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    terminal, _ = factories.terminal(of=factories.institution(kind="pharmacy"))
    code = scanning.code_issue(viewer=person, subject=person).text
    assert not connection.in_atomic_block  # the CTE that writes the scan session and its audit row at once
    scanning.scan(terminal=terminal, text=code, business_type="02121")
    with pytest.raises(DomainError) as refused:
        scanning.scan(terminal=terminal, text=code, business_type="02121")
    assert refused.value.code == "code_replayed"
    assert ScanSession.objects.count() == 1 and RedeemedNonce.objects.count() == 1
    assert AuditEvent.objects.filter(purpose="scan 02121").count() == 1


# --- PostgreSQL: archiving and dropping ------------------------------------------------------------------


@needs_postgres()
def test_archiving_drops_only_months_entirely_older_than_the_retention_and_keeps_their_rows(settings, tmp_path) -> None:
    settings.RETENTION_SCAN_SESSION_DAYS = 180
    cutoff = timezone.now() - timedelta(days=180)
    partitions.ensure_partitions(spec=SCANS, first=partitions.add_months(_this_month(), -8))
    old = [_scan_session(at=_in_month(-8, day=day)) for day in (1, 15, 28)]
    straddling = _scan_session(at=partitions.month_bounds(partitions.local_month(cutoff))[0] + timedelta(hours=1))
    recent = _scan_session(at=timezone.now())
    old_name = partitions.partition_name("vouchers_scansession", partitions.add_months(_this_month(), -8))
    straddling_name = partitions.partition_name("vouchers_scansession", partitions.local_month(cutoff))

    out = _archive(tmp_path, "scan_sessions")

    names = [p.name for p in partitions.partitions(spec=SCANS)]
    assert old_name not in names and straddling_name in names, out
    assert f"archived {old_name}: 3 rows" in out
    assert set(ScanSession.objects.values_list("pk", flat=True)) == {straddling.pk, recent.pk}
    assert _partition_of("vouchers_scansession", straddling.pk) == straddling_name
    archive = tmp_path / "vouchers_scansession" / f"{old_name}.csv.gz"
    with gzip.open(archive, "rt", encoding="utf-8", newline="") as text:
        rows = list(csv.DictReader(text))
    assert sorted(row["id"] for row in rows) == sorted(str(s.pk) for s in old)
    assert {row["nonce"] for row in rows} == {s.nonce for s in old}
    manifest = json.loads((tmp_path / "vouchers_scansession" / f"{old_name}.json").read_text())
    assert manifest["rows"] == 3 and manifest["columns"][0] == "id"
    # The archived codes' guards went with them; the kept ones stay.
    assert set(RedeemedNonce.objects.values_list("nonce", flat=True)) == {straddling.nonce, recent.nonce}


@needs_postgres()
def test_a_dry_run_names_the_months_and_changes_nothing(settings, tmp_path) -> None:
    settings.RETENTION_QA_SEARCH_DAYS = 365
    partitions.ensure_partitions(spec=SEARCHES, first=partitions.add_months(_this_month(), -14))
    SearchLog.objects.create(query="异地就医", results=0, created_at=_in_month(-14))
    before = [p.name for p in partitions.partitions(spec=SEARCHES)]
    out = _archive(tmp_path, "qa_searches", dry_run=True)
    assert "would archive qa_searchlog_p" in out and "Dry run: nothing was changed." in out
    assert [p.name for p in partitions.partitions(spec=SEARCHES)] == before
    assert SearchLog.objects.count() == 1 and not any(tmp_path.iterdir())


@needs_postgres()
def test_the_ledger_and_an_audit_log_kept_forever_are_never_archived(settings, tmp_path) -> None:
    settings.RETENTION_AUDIT_DAYS = 0
    partitions.ensure_partitions(spec=AUDIT, first=partitions.add_months(_this_month(), -40))
    partitions.ensure_partitions(spec=LEDGER, first=partitions.add_months(_this_month(), -40))
    row = _audit_row(at=_in_month(-40))
    before = {spec.label: len(partitions.partitions(spec=spec)) for spec in (AUDIT, LEDGER)}
    out = _archive(tmp_path, "audit_events", "ledger_entries")
    assert out.count("kept forever; nothing to archive") == 2
    assert {spec.label: len(partitions.partitions(spec=spec)) for spec in (AUDIT, LEDGER)} == before
    assert AuditEvent.objects.filter(pk=row).exists()
    settings.RETENTION_AUDIT_DAYS = 10_000  # the ledger has no retention to set at all
    assert partitions.archive_candidates(spec=LEDGER) == []


@needs_postgres()
def test_an_audit_month_past_a_set_retention_is_dropped_though_its_rows_refuse_delete(settings, tmp_path) -> None:
    settings.RETENTION_AUDIT_DAYS = 365
    partitions.ensure_partitions(spec=AUDIT, first=partitions.add_months(_this_month(), -20))
    old, kept = _audit_row(at=_in_month(-20)), _audit_row(at=timezone.now())
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old])
    out = _archive(tmp_path, "audit_events")
    assert "archived audit_auditevent_p" in out
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept]


@needs_postgres()
def test_rows_past_the_retention_stuck_in_default_are_reported_not_archived(settings, tmp_path) -> None:
    settings.RETENTION_QA_SEARCH_DAYS = 365
    with connection.cursor() as cursor:  # a month without a partition: its rows went to DEFAULT
        cursor.execute(
            "INSERT INTO qa_searchlog (query, results, created_at) VALUES ('x', 0, %s) RETURNING id",
            [_in_month(-30)],
        )
        stuck = cursor.fetchone()[0]
    assert _partition_of("qa_searchlog", stuck) == "qa_searchlog_default"
    out = _archive(tmp_path, "qa_searches")
    assert "1 rows older than the retention sit in qa_searchlog_default" in out
    assert "ensure_partitions --table qa_searches --from" in out
    assert SearchLog.objects.filter(pk=stuck).exists()


@needs_postgres()
def test_archiving_without_a_directory_is_refused_clearly(settings) -> None:
    settings.PARTITION_ARCHIVE_DIR = None
    with pytest.raises(CommandError, match="PARTITION_ARCHIVE_DIR"):
        call_command("archive_partitions", stdout=StringIO())


@needs_postgres()
def test_a_partition_not_entirely_older_than_the_retention_is_refused(settings, tmp_path) -> None:
    settings.RETENTION_SCAN_SESSION_DAYS = 180
    current = next(p for p in partitions.partitions(spec=SCANS) if p.lower and p.lower <= timezone.now() < p.upper)
    with pytest.raises(partitions.PartitionError, match="not entirely older"):
        partitions.archive_partition(spec=SCANS, partition=current, directory=tmp_path)
    assert current.name in [p.name for p in partitions.partitions(spec=SCANS)]


# --- PostgreSQL: the daily beat job ------------------------------------------------------------------------


@needs_postgres()
def test_the_daily_job_creates_months_ahead_and_forgets_only_old_guards(settings) -> None:
    settings.PARTITION_MONTHS_AHEAD = 5
    now = timezone.now()
    RedeemedNonce.objects.create(nonce="0123456789abcdef", redeemed_at=now - timedelta(hours=49))
    RedeemedNonce.objects.create(nonce="fedcba9876543210", redeemed_at=now - timedelta(minutes=2))
    ChannelNotifyKey.objects.create(channel="wechatpay", notify_id="old", received_at=now - timedelta(days=31))
    ChannelNotifyKey.objects.create(channel="wechatpay", notify_id="new", received_at=now - timedelta(days=1))

    result = maintain_partitions()

    fifth = partitions.partition_name("ledger_ledgerentry", partitions.add_months(_this_month(), 5))
    assert fifth in result["created"]["ledger_entries"]
    assert result["pruned"] == {"vouchers_redeemednonce": 1, "payments_channelnotifykey": 1}
    assert list(RedeemedNonce.objects.values_list("nonce", flat=True)) == ["fedcba9876543210"]
    assert list(ChannelNotifyKey.objects.values_list("notify_id", flat=True)) == ["new"]
    assert maintain_partitions()["created"] == {spec.label: [] for spec in partitions.TABLES}
