import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.ops.services import invariants_check


class Command(BaseCommand):
    help = (
        "Check the money and entitlement invariants over one consistent, read-only snapshot: the ledger "
        "balances, stored balances, refunds within payments, benefit usage within caps and equal to the "
        "ledger, trace codes sold once, scans redeemed once, orders settled once, held money, status "
        "histories. Exits 1 listing the violations."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
        parser.add_argument(
            "--record", action="store_true", help="Keep the result for staff (what the nightly beat job does)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        results, _ = invariants_check(record=options["record"])
        failed = [r for r in results if not r.ok]
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {"name": r.name, "checked": r.checked, "violations": r.count, "first": r.violations}
                        for r in results
                    ],
                    ensure_ascii=False,
                    indent=2,
                    default=str,
                )
            )
        else:
            for result in results:
                mark = self.style.SUCCESS("ok  ") if result.ok else self.style.ERROR("FAIL")
                self.stdout.write(f"{mark} {result.name:<30} {result.checked:>9} checked  {result.description}")
                for violation in result.violations:
                    self.stdout.write(f"       {json.dumps(violation, ensure_ascii=False, default=str)}")
                if result.count > len(result.violations):
                    self.stdout.write(f"       ... and {result.count - len(result.violations)} more")
        if failed:
            self.stderr.write(
                self.style.ERROR(f"{sum(r.count for r in failed)} violation(s) in {len(failed)} check(s)")
            )
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("every invariant holds"))
