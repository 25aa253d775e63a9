from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vouchers.keys import key_create, key_rotate_if_due


class Command(BaseCommand):
    help = "Rotate the e-voucher signing key (the old one keeps verifying until its codes have expired)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-due", action="store_true", help="Only when the current key is a day old.")

    def handle(self, *args: Any, **options: Any) -> None:
        key = key_rotate_if_due() if options["if_due"] else key_create()
        if key is None:
            self.stdout.write("The current key is not due for rotation.")
        else:
            starts = key.signs_from.isoformat() if key.signs_from else "now"
            self.stdout.write(
                self.style.SUCCESS(f"New signing key {key.short_id} ({key.kid}): published now, signs from {starts}.")
            )
