import secrets
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.celery import app
from portal.tasks import ping


class Command(BaseCommand):
    help = "Send a task through the broker and wait for a worker's answer (proves the worker round trip)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=30.0, help="Seconds to wait (default 30).")

    def handle(self, *args: Any, **options: Any) -> None:
        if app.conf.task_always_eager:
            raise CommandError("Celery runs tasks eagerly here (no broker): set REDIS_URL to test a worker.")
        token = secrets.token_hex(4)
        started = time.monotonic()
        try:
            answer = ping.delay(token).get(timeout=options["timeout"])
        except Exception as exc:
            raise CommandError(f"No answer from a worker within {options['timeout']} s: {exc}") from exc
        if answer != f"pong:{token}":
            raise CommandError(f"Unexpected answer {answer!r}")
        self.stdout.write(self.style.SUCCESS(f"worker answered {answer} in {time.monotonic() - started:.2f} s"))
