from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from portal.ops import partitions


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise CommandError(f"--from {text!r}: give a month as YYYY-MM.") from None


class Command(BaseCommand):
    help = (
        "Create the month partitions of the partitioned tables up to PARTITION_MONTHS_AHEAD months ahead "
        "(what the daily beat job does), or from an earlier month with --from (e.g. before restoring an "
        "archive, or to move rows stranded in a DEFAULT partition into their months). PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--table", action="append", choices=sorted(partitions.BY_LABEL), help="Only this table.")
        parser.add_argument("--from", dest="first", help="First month to create, YYYY-MM (default: this month).")
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=settings.PARTITION_MONTHS_AHEAD,
            help=f"Months past this one (default {settings.PARTITION_MONTHS_AHEAD}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not partitions.is_postgresql():
            self.stdout.write(f"{connection.vendor}: plain tables, no partitions; nothing to create.")
            return
        first = _month(options["first"]) if options["first"] else None
        if options["months_ahead"] < 0:
            raise CommandError("--months-ahead cannot be negative.")
        specs = [partitions.BY_LABEL[label] for label in options["table"]] if options["table"] else partitions.TABLES
        for spec in specs:
            try:
                created = partitions.ensure_partitions(spec=spec, first=first, ahead=options["months_ahead"])
            except partitions.PartitionError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"{spec.label} ({spec.table}): " + (", ".join(created) if created else "up to date"))
