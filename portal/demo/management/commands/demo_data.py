from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal.demo.builder import DEMO_STAFF_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Build a believable demo city (regions, institutions, terminals, ~200 residents). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, default=60, help="How many households (default 60).")
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Building the demo city ...")
        summary = build_demo(households=options["households"], progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {summary.regions} regions, {summary.institutions} institutions, "
                f"{summary.households} households, {summary.persons} insured persons, "
                f"{summary.vouchers} active e-vouchers, {summary.holdings} family holdings, "
                f"{summary.bindings} family-sharing bindings, {summary.qa_entries} policy Q&A entries."
            )
        )
        if options["quiet"]:
            return
        self.stdout.write("\nResidents (sign in with the phone; the SMS code is printed in the server log):")
        for name, phone, description in summary.logins:
            self.stdout.write(f"  {phone}  {name}  ({description})")
        if summary.staff:
            self.stdout.write(
                f"\nStaff at /admin/, CMS editors and reviewers at /cms/ "
                f"(password '{DEMO_STAFF_PASSWORD}', embedded mode only):"
            )
            for username, role in summary.staff:
                self.stdout.write(f"  {username:<10} {role}")
        self.stdout.write("\nInstitution terminals (key id / secret) for signed API calls:")
        for institution, key_id, secret in summary.terminals[:4]:
            self.stdout.write(f"  {key_id}  {secret}  {institution}")
        self.stdout.write(f"  ... {len(summary.terminals)} in all; see `manage.py demo_data` output or the admin.")
        if not settings.EMBEDDED:
            self.stdout.write(self.style.WARNING("Production mode: no staff users were created."))
