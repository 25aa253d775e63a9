import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from payments.channels.base import ChannelError
from payments.channels.factory import NAMES, UnknownChannel, enabled
from payments.online.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Reconcile a day's cash payments and refunds with each channel's trade bill "
        "(default: yesterday, every channel)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument(
            "--channel", choices=NAMES, help="One channel (default: every channel this deployment runs)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"] or timezone.localdate() - dt.timedelta(days=1)
        names = [options["channel"]] if options["channel"] else list(enabled())
        open_differences = False
        for name in names:
            open_differences |= self._one(day, name)
        if open_differences:
            self.stdout.write(self.style.WARNING("Open differences: see the admin (Reconciliation differences)."))
        else:
            self.stdout.write(self.style.SUCCESS("Clean."))

    def _one(self, day: dt.date, name: str) -> bool:
        self.stdout.write(f"{name}: downloading the {day} trade bill and comparing ...")
        try:
            run = reconcile(bill_date=day, channel_name=name)
        except UnknownChannel:
            raise CommandError(f"This deployment does not run the channel {name} (CASH_CHANNELS).") from None
        except ChannelError as error:
            raise CommandError(f"{name} did not give the bill: {error}") from error
        self.stdout.write(
            f"  bill rows: {run.bill_rows}, matched: {run.matched}, differences: {run.differences}, fixed: {run.fixed}"
        )
        for difference in run.differences_found.all():
            state = "fixed" if difference.fixed else "open"
            self.stdout.write(
                f"  [{state}] {difference.kind} {difference.out_trade_no} {difference.out_refund_no} "
                f"{difference.details} {difference.fix_note}"
            )
        return run.differences > run.fixed
