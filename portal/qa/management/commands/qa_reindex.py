from typing import Any

from django.core.management.base import BaseCommand

from portal.qa.services import reindex_all


class Command(BaseCommand):
    help = "Rebuild the policy Q&A search index from the published entries (after changing synonyms in bulk)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = reindex_all(progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} published entries."))
