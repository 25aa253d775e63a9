from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vouchers.test_vectors import write


class Command(BaseCommand):
    help = "Write the e-voucher test vectors (jwks.json, revocations.json, vectors.json) to a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=Path("vouchers/vectors"))

    def handle(self, *args: Any, **options: Any) -> None:
        for path in write(options["out"]):
            self.stdout.write(f"wrote {path}")
