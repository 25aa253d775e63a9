"""Monthly partitions of the tables that grow for years, and their retention (PostgreSQL only).

Scan sessions, audit events, ledger entries, payment-channel notifies and Q&A searches are partitioned by
range on their timestamp, one partition per calendar month in settings.TIME_ZONE, plus a DEFAULT
partition so that an insert never fails. Beat (``maintain_partitions``) creates the partitions months
ahead; ``manage.py archive_partitions`` writes each partition entirely older than its table's retention
to a compressed CSV file, checks the row count, then detaches and drops it. SQLite (the embedded mode
and the fast tests) keeps plain tables: everything here is a no-op there.

Uniqueness that cannot include the partition key lives in a small unpartitioned table beside the
partitioned one, filled by a trigger in the same statement as the insert (the migrations create them):

- a scan's nonce (one-time e-voucher codes): ``vouchers_redeemednonce``, kept SCAN_NONCE_KEEP_HOURS
  (a code is valid for about a minute, so a replay always finds it);
- a channel's notify id (deduplication): ``payments_channelnotifykey``, kept NOTIFY_DEDUP_DAYS (the
  channel retries for about a day; processing is idempotent beyond that).

Dropping a partition is an administrative DDL step: the append-only triggers (UPDATE and DELETE refused)
stay on every partition and are not involved. The ledger is never dropped: source accounts' balances are
sums of their entries.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

LOCK_TIMEOUT_SECONDS = 10  # DDL waits at most this long for a lock, so it never queues the hot inserts
GUARD_BATCH = 10_000  # rows deleted per statement when pruning a uniqueness table


class PartitionError(Exception):
    """A partition step refused or failed; nothing was dropped."""


@dataclass(frozen=True)
class PartitionedTable:
    label: str
    table: str
    key: str
    retention_setting: str | None  # None: kept forever, whatever the settings
    description: str
    pk: str = "id"
    guard_table: str | None = None  # the unpartitioned table that keeps a uniqueness (see above)
    guard_at: str = ""
    guard_keep: Callable[[], timedelta] | None = None


def _nonce_keep() -> timedelta:
    return timedelta(hours=settings.SCAN_NONCE_KEEP_HOURS)


def _notify_keep() -> timedelta:
    return timedelta(days=settings.NOTIFY_DEDUP_DAYS)


TABLES: tuple[PartitionedTable, ...] = (
    PartitionedTable(
        "scan_sessions",
        "vouchers_scansession",
        "created_at",
        "RETENTION_SCAN_SESSION_DAYS",
        "e-voucher scan sessions",
        guard_table="vouchers_redeemednonce",
        guard_at="redeemed_at",
        guard_keep=_nonce_keep,
    ),
    PartitionedTable("audit_events", "audit_auditevent", "at", "RETENTION_AUDIT_DAYS", "audit log (PIPL access log)"),
    PartitionedTable("ledger_entries", "ledger_ledgerentry", "created_at", None, "ledger entries"),
    PartitionedTable(
        "channel_notifies",
        "payments_channelnotification",
        "received_at",
        "RETENTION_CHANNEL_NOTIFY_DAYS",
        "payment-channel notifies",
        guard_table="payments_channelnotifykey",
        guard_at="received_at",
        guard_keep=_notify_keep,
    ),
    PartitionedTable("qa_searches", "qa_searchlog", "created_at", "RETENTION_QA_SEARCH_DAYS", "policy Q&A searches"),
)
BY_LABEL = {spec.label: spec for spec in TABLES}


@dataclass(frozen=True)
class Partition:
    name: str
    lower: datetime | None  # None for DEFAULT (or an unbounded range)
    upper: datetime | None
    default: bool
    estimated_rows: int

    def describe(self) -> str:
        if self.default:
            return f"{self.name} (DEFAULT)"
        return f"{self.name} [{show_moment(self.lower)} .. {show_moment(self.upper)})"


@dataclass(frozen=True)
class Archived:
    partition: str
    rows: int
    path: Path
    sha256: str


def show_moment(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(_tz()):%Y-%m-%d %H:%M %Z}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- Months -----------------------------------------------------------------------------------------------


def local_month(moment: datetime | None) -> date:
    """The first day of the month (in settings.TIME_ZONE) holding ``moment``; now when None."""
    local = (moment or timezone.now()).astimezone(_tz())
    return date(local.year, local.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date, *, ahead: int = 0) -> list[date]:
    """Every month from ``first`` to ``ahead`` months past ``last``, both included."""
    months, month, end = [], first, add_months(last, ahead)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=_tz())
    following = add_months(month, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=_tz())


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def create_month_partition(cursor: Any, *, parent: str, month: date, name: str) -> None:
    lower, upper = month_bounds(month)
    cursor.execute(
        f"CREATE TABLE {_q(name)} PARTITION OF {_q(parent)} "
        f"FOR VALUES FROM ('{lower.isoformat()}') TO ('{upper.isoformat()}')"
    )


# --- What exists --------------------------------------------------------------------------------------------


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def is_partitioned(table: str) -> bool:
    if not is_postgresql():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


_BOUND = re.compile(r"FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)")


def _parse_bound(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def partitions(*, spec: PartitionedTable) -> list[Partition]:
    """The table's partitions, oldest first, DEFAULT last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), GREATEST(c.reltuples, 0)::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [spec.table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound, estimate in rows:
        if bound == "DEFAULT":
            found.append(Partition(name, None, None, True, int(estimate)))
            continue
        match = _BOUND.fullmatch(bound)
        lower = _parse_bound(match.group(1)) if match else None
        upper = _parse_bound(match.group(2)) if match else None
        found.append(Partition(name, lower, upper, False, int(estimate)))
    far = datetime.max.replace(tzinfo=_tz())
    return sorted(found, key=lambda p: (p.default, p.lower or far, p.name))


def retention(*, spec: PartitionedTable) -> timedelta | None:
    """How long the table's rows are kept; None: forever."""
    if spec.retention_setting is None:
        return None
    days = int(getattr(settings, spec.retention_setting))
    return timedelta(days=days) if days > 0 else None


def require_partitioned(spec: PartitionedTable) -> None:
    if not is_partitioned(spec.table):
        raise PartitionError(
            f"{spec.table} is not partitioned on this database: run `manage.py migrate` first "
            "(partitioning exists only on PostgreSQL)."
        )


# --- Creating partitions ahead ------------------------------------------------------------------------------


@contextmanager
def _clearly(name: str) -> Iterator[None]:
    """A database error while creating or dropping a partition, as a PartitionError that says what to do."""
    try:
        yield
    except PartitionError:
        raise
    except DatabaseError as error:
        if getattr(getattr(error, "__cause__", None), "sqlstate", None) == "55P03" or "lock timeout" in str(error):
            raise PartitionError(
                f"{name}: could not get a lock within {LOCK_TIMEOUT_SECONDS}s (the table is busy); nothing was "
                "changed, try again later."
            ) from error
        raise PartitionError(f"{name}: {error}; nothing was changed.") from error


def _lock_timeout(cursor: Any) -> None:
    cursor.execute(f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_SECONDS)}s'")


def _columns(cursor: Any, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def ensure_partitions(
    *, spec: PartitionedTable, first: date | None = None, ahead: int | None = None, now: datetime | None = None
) -> list[str]:
    """Create the month partitions from ``first`` (default: this month) to ``ahead`` months past this one
    (default settings.PARTITION_MONTHS_AHEAD). Rows already sitting in the DEFAULT partition for such a
    month move into it. Returns the names created. Idempotent."""
    require_partitioned(spec)
    this_month = local_month(now)
    wanted = months_between(
        first or this_month, this_month, ahead=settings.PARTITION_MONTHS_AHEAD if ahead is None else ahead
    )
    created = []
    for month in wanted:
        lower, upper = month_bounds(month)
        existing = partitions(spec=spec)
        if any(p.lower == lower and p.upper == upper for p in existing):
            continue
        clash = [
            p.name
            for p in existing
            if not p.default and (p.lower is None or p.lower < upper) and (p.upper is None or p.upper > lower)
        ]
        if clash:
            raise PartitionError(f"{spec.table}: the month {month:%Y-%m} overlaps the partition(s) {clash}.")
        default = next((p.name for p in existing if p.default), None)
        name = partition_name(spec.table, month)
        with _clearly(name), transaction.atomic(), connection.cursor() as cursor:
            _lock_timeout(cursor)
            stranded = False
            if default is not None:
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE {_q(spec.key)} >= %s AND {_q(spec.key)} < %s)",  # noqa: S608
                    [lower, upper],
                )
                stranded = bool(cursor.fetchone()[0])
            # A plain table attached as the partition: ATTACH takes a lighter lock on the parent than CREATE
            # TABLE ... PARTITION OF, so inserts into the current month go on meanwhile.
            cursor.execute(f"CREATE TABLE {_q(name)} (LIKE {_q(spec.table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            if stranded:
                assert default is not None
                _move_out_of_default(cursor, spec=spec, default=default, name=name, lower=lower, upper=upper)
            else:
                _attach(cursor, spec=spec, name=name, lower=lower, upper=upper)
        created.append(name)
    return created


def _attach(cursor: Any, *, spec: PartitionedTable, name: str, lower: datetime, upper: datetime) -> None:
    cursor.execute(
        f"ALTER TABLE {_q(spec.table)} ATTACH PARTITION {_q(name)} "
        f"FOR VALUES FROM ('{lower.isoformat()}') TO ('{upper.isoformat()}')"
    )


def _move_out_of_default(
    cursor: Any, *, spec: PartitionedTable, default: str, name: str, lower: datetime, upper: datetime
) -> None:
    """Rows that landed in DEFAULT for a month without a partition (beat did not run, or a clock was off):
    detach DEFAULT, move them into the month's new table, attach it, re-attach DEFAULT. Detached, DEFAULT
    has no append-only trigger: moving rows out of it is not an UPDATE or DELETE of the table's rows, which
    stay in the table throughout (one transaction)."""
    columns = ", ".join(_q(c) for c in _columns(cursor, spec.table))
    where = f"{_q(spec.key)} >= %s AND {_q(spec.key)} < %s"
    cursor.execute(f"ALTER TABLE {_q(spec.table)} DETACH PARTITION {_q(default)}")
    moving = f"INSERT INTO {_q(name)} ({columns}) SELECT {columns} FROM {_q(default)} WHERE {where}"  # noqa: S608
    cursor.execute(moving, [lower, upper])
    cursor.execute(f"DELETE FROM {_q(default)} WHERE {where}", [lower, upper])  # noqa: S608
    _attach(cursor, spec=spec, name=name, lower=lower, upper=upper)
    cursor.execute(f"ALTER TABLE {_q(spec.table)} ATTACH PARTITION {_q(default)} DEFAULT")


# --- Archiving and dropping ---------------------------------------------------------------------------------


def archive_candidates(*, spec: PartitionedTable, now: datetime | None = None) -> list[Partition]:
    """The month partitions entirely older than the table's retention (none when kept forever)."""
    keep = retention(spec=spec)
    if keep is None:
        return []
    cutoff = (now or timezone.now()) - keep
    return [p for p in partitions(spec=spec) if not p.default and p.upper is not None and p.upper <= cutoff]


def row_count(*, partition: Partition) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {_q(partition.name)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def oldest_in_default(*, spec: PartitionedTable) -> datetime | None:
    default = next((p.name for p in partitions(spec=spec) if p.default), None)
    if default is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN({_q(spec.key)}) FROM {_q(default)}")  # noqa: S608
        oldest = cursor.fetchone()[0]
    return None if oldest is None else oldest.astimezone(_tz())


def default_rows_older_than_retention(*, spec: PartitionedTable, now: datetime | None = None) -> int:
    """Rows past the retention that sit in DEFAULT (never archived there: give them a month partition)."""
    keep = retention(spec=spec)
    default = next((p.name for p in partitions(spec=spec) if p.default), None)
    if keep is None or default is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {_q(default)} WHERE {_q(spec.key)} < %s",  # noqa: S608
            [(now or timezone.now()) - keep],
        )
        return int(cursor.fetchone()[0])


def _set_aside(path: Path) -> None:
    """An earlier archive of the same partition (e.g. restored, then archived again) is never overwritten."""
    if path.exists():
        path.rename(path.with_name(f"{path.name}.{timezone.now():%Y%m%dT%H%M%S}"))


def archive_partition(
    *,
    spec: PartitionedTable,
    partition: Partition,
    directory: Path,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Archived:
    """Write the partition's rows to ``directory/<table>/<partition>.csv.gz`` (PostgreSQL COPY, CSV with a
    header), check that the file holds exactly the partition's rows, then detach and drop the partition,
    all in one transaction that keeps writers out of it: if anything fails, nothing is dropped. A manifest
    beside the file records the bounds, columns, row count and checksum."""
    if partition.default or partition.upper is None:
        raise PartitionError(f"{partition.name}: the DEFAULT partition is never archived.")
    if partition.name not in {p.name for p in archive_candidates(spec=spec, now=now)}:
        raise PartitionError(f"{partition.name} is not entirely older than the retention of {spec.table}.")
    folder = directory / spec.table
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PartitionError(f"cannot create the archive folder {folder}: {error}") from None
    if not os.access(folder, os.W_OK):
        raise PartitionError(f"the archive folder {folder} is not writable")
    final = folder / f"{partition.name}.csv.gz"
    manifest = folder / f"{partition.name}.json"
    temporary = folder / f"{partition.name}.csv.gz.part"
    try:
        with _clearly(partition.name), transaction.atomic(), connection.cursor() as cursor:
            _lock_timeout(cursor)
            cursor.execute(f"LOCK TABLE {_q(partition.name)} IN SHARE MODE")  # readers go on, writers wait
            cursor.execute(f"SELECT count(*) FROM {_q(partition.name)}")  # noqa: S608
            expected = int(cursor.fetchone()[0])
            columns = _columns(cursor, partition.name)
            progress(f"  {partition.describe()}: {expected} rows, writing {final}")
            listed = ", ".join(_q(c) for c in columns)
            copy = (
                f"COPY (SELECT {listed} FROM {_q(partition.name)} ORDER BY {_q(spec.pk)}) "  # noqa: S608
                "TO STDOUT WITH (FORMAT csv, HEADER true)"
            )
            digest = hashlib.sha256()
            with temporary.open("wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb") as out, cursor.cursor.copy(copy) as stream:
                    for block in stream:
                        out.write(bytes(block))
                raw.flush()
                os.fsync(raw.fileno())
            with temporary.open("rb") as raw:
                for chunk in iter(lambda: raw.read(1 << 20), b""):
                    digest.update(chunk)
            with gzip.open(temporary, "rt", encoding="utf-8", newline="") as text:
                written = sum(1 for _ in csv.reader(text)) - 1  # quoted newlines are parsed, not counted
            if written != expected:
                raise PartitionError(
                    f"{partition.name}: the archive holds {written} rows, the partition {expected}; nothing was "
                    "dropped."
                )
            progress(f"  {partition.name}: {written} rows verified; detaching and dropping")
            cursor.execute(f"ALTER TABLE {_q(spec.table)} DETACH PARTITION {_q(partition.name)}")
            cursor.execute(f"DROP TABLE {_q(partition.name)}")
            if spec.guard_table:
                cursor.execute(
                    f"DELETE FROM {_q(spec.guard_table)} WHERE {_q(spec.guard_at)} < %s",  # noqa: S608
                    [partition.upper],
                )
            _set_aside(final)
            _set_aside(manifest)
            temporary.rename(final)
            manifest.write_text(
                json.dumps(
                    {
                        "table": spec.table,
                        "partition": partition.name,
                        "from": partition.lower.isoformat() if partition.lower else None,
                        "to": partition.upper.isoformat(),
                        "rows": written,
                        "columns": columns,
                        "format": "PostgreSQL COPY, CSV with a header row, gzip",
                        "sha256": digest.hexdigest(),
                        "archived_at": timezone.now().isoformat(),
                    },
                    indent=2,
                ),
                encoding="utf-8",
            )
    except OSError as error:
        raise PartitionError(f"{partition.name}: cannot write the archive: {error}; nothing was dropped.") from error
    finally:
        temporary.unlink(missing_ok=True)
    return Archived(partition.name, written, final, digest.hexdigest())


# --- Beat: partitions ahead, uniqueness tables pruned -------------------------------------------------------


def prune_guards(*, now: datetime | None = None, specs: Iterable[PartitionedTable] = TABLES) -> dict[str, int]:
    """Forget redeemed nonces and notify ids older than their keep (in batches). Returns rows deleted."""
    pruned: dict[str, int] = {}
    if not is_postgresql():
        return pruned
    for spec in specs:
        if not spec.guard_table or spec.guard_keep is None:
            continue
        cutoff = (now or timezone.now()) - spec.guard_keep()
        total = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {_q(spec.guard_table)} WHERE ctid IN (SELECT ctid FROM {_q(spec.guard_table)} "  # noqa: S608
                    f"WHERE {_q(spec.guard_at)} < %s LIMIT {GUARD_BATCH})",
                    [cutoff],
                )
                total += cursor.rowcount
                if cursor.rowcount < GUARD_BATCH:
                    break
        pruned[spec.guard_table] = total
    return pruned


def maintain(*, now: datetime | None = None) -> dict[str, Any]:
    """What beat runs daily: the partitions ahead for every table, and the uniqueness tables pruned."""
    if not is_postgresql():
        return {"skipped": f"{connection.vendor}: plain tables, nothing to partition"}
    created: dict[str, list[str]] = {}
    for spec in TABLES:
        created[spec.label] = ensure_partitions(spec=spec, now=now)
    return {"created": created, "pruned": prune_guards(now=now)}
