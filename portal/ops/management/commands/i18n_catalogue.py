"""Write (or check) the English gettext catalogue from the texts in the code; see portal/i18n_catalogue.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.i18n_catalogue import pairs, po_text


class Command(BaseCommand):
    help = "Write locale/en/LC_MESSAGES/django.po (and .mo) from the code's texts; --check only compares."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the committed catalogue is stale")
        parser.add_argument("--template", metavar="PATH", help="write a .pot (empty translations) to PATH")

    def handle(self, *args: Any, check: bool = False, template: str | None = None, **options: Any) -> None:
        if template:
            Path(template).write_text(po_text(template=True), encoding="utf-8")
            self.stdout.write(f"wrote {template}")
            return
        po = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
        text = po_text()
        if check:
            if not po.exists() or po.read_text(encoding="utf-8") != text:
                raise CommandError(f"{po} is stale: run `manage.py i18n_catalogue`")
            self.stdout.write("the English catalogue is up to date")
            return
        po.parent.mkdir(parents=True, exist_ok=True)
        po.write_text(text, encoding="utf-8")
        msgfmt = shutil.which("msgfmt")  # GNU gettext, as Django's compilemessages uses
        if msgfmt is None:
            raise CommandError("msgfmt is missing: apt-get install gettext")
        subprocess.run([msgfmt, "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)  # noqa: S603
        found, clashes = pairs()
        self.stdout.write(
            f"wrote {po} and its .mo: {len(found) - len(clashes)} texts"
            f" ({len(clashes)} written with more than one English keep their own)"
        )
