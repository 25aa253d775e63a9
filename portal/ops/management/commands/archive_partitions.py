from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from portal.ops import partitions


class Command(BaseCommand):
    help = (
        "Archive, then drop, the month partitions entirely older than their table's retention (PostgreSQL): "
        "each is written to <archive dir>/<table>/<partition>.csv.gz with a manifest, its row count checked, "
        "then detached and dropped in the same transaction. Tables kept forever (the ledger; the audit log "
        "unless RETENTION_AUDIT_DAYS is set) are never touched. SQLite keeps plain tables: nothing to do."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Show what would be archived; change nothing.")
        parser.add_argument(
            "--table",
            action="append",
            choices=sorted(partitions.BY_LABEL),
            help="Only this table (repeatable). Default: every partitioned table.",
        )
        parser.add_argument("--archive-dir", help="Where the archives go (default: the PARTITION_ARCHIVE_DIR setting).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not partitions.is_postgresql():
            self.stdout.write(f"{connection.vendor}: plain tables, no partitions; nothing to archive.")
            return
        dry_run = options["dry_run"]
        directory_text = options["archive_dir"] or settings.PARTITION_ARCHIVE_DIR
        if not directory_text and not dry_run:
            raise CommandError("No archive directory: set PARTITION_ARCHIVE_DIR or pass --archive-dir.")
        directory = Path(directory_text) if directory_text else None
        specs = [partitions.BY_LABEL[label] for label in options["table"]] if options["table"] else partitions.TABLES
        now = timezone.now()
        archived = failed = 0
        for spec in specs:
            try:
                partitions.require_partitioned(spec)
            except partitions.PartitionError as error:
                raise CommandError(str(error)) from None
            keep = partitions.retention(spec=spec)
            if keep is None:
                self.stdout.write(f"{spec.label} ({spec.table}): kept forever; nothing to archive.")
                continue
            self.stdout.write(
                f"{spec.label} ({spec.table}): kept {keep.days} days; archiving months ending before "
                f"{partitions.show_moment(now - keep)}"
            )
            stranded = partitions.default_rows_older_than_retention(spec=spec, now=now)
            if stranded:
                oldest = partitions.oldest_in_default(spec=spec) or now
                self.stderr.write(
                    self.style.WARNING(
                        f"  {stranded} rows older than the retention sit in {spec.table}_default and cannot be "
                        f"archived there: run `manage.py ensure_partitions --table {spec.label} --from "
                        f"{oldest:%Y-%m}` to move them into month partitions, then archive again."
                    )
                )
            candidates = partitions.archive_candidates(spec=spec, now=now)
            if not candidates:
                self.stdout.write("  nothing to archive.")
            for partition in candidates:
                if dry_run:
                    self.stdout.write(
                        f"  would archive {partition.describe()}: {partitions.row_count(partition=partition)} rows"
                    )
                    continue
                assert directory is not None
                try:
                    done = partitions.archive_partition(
                        spec=spec, partition=partition, directory=directory, now=now, progress=self.stdout.write
                    )
                except partitions.PartitionError as error:
                    failed += 1
                    self.stderr.write(self.style.ERROR(f"  {error}"))
                    continue
                archived += 1
                self.stdout.write(self.style.SUCCESS(f"  archived {done.partition}: {done.rows} rows in {done.path}"))
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
            return
        self.stdout.write(f"{archived} partition(s) archived and dropped.")
        if failed:
            raise CommandError(f"{failed} partition(s) could not be archived (see above); they were left in place.")
