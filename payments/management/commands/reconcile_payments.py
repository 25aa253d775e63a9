import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from payments.channels.base import ChannelError
from payments.online.reconcile import reconcile


class Command(BaseCommand):
    help = "Reconcile a day's cash payments and refunds with the channel's trade bill (default: yesterday)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: yesterday)")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"] or timezone.localdate() - dt.timedelta(days=1)
        self.stdout.write(f"Downloading the {day} trade bill and comparing ...")
        try:
            run = reconcile(bill_date=day)
        except ChannelError as error:
            raise CommandError(f"The channel did not give the bill: {error}") from error
        self.stdout.write(
            f"bill rows: {run.bill_rows}, matched: {run.matched}, differences: {run.differences}, fixed: {run.fixed}"
        )
        for difference in run.differences_found.all():
            state = "fixed" if difference.fixed else "open"
            self.stdout.write(
                f"  [{state}] {difference.kind} {difference.out_trade_no} {difference.out_refund_no} "
                f"{difference.details} {difference.fix_note}"
            )
        if run.differences > run.fixed:
            self.stdout.write(self.style.WARNING("Open differences: see the admin (Reconciliation differences)."))
        else:
            self.stdout.write(self.style.SUCCESS("Clean."))
