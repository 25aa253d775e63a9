from typing import Any

from django.core.management.base import BaseCommand

from portal.qa.services import TOPICS, ensure_qa_setup


class Command(BaseCommand):
    help = "Create the policy Q&A home, its topics, the editor/reviewer groups and the review workflow. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        index = ensure_qa_setup()
        self.stdout.write(
            self.style.SUCCESS(f"Policy Q&A ready at {index.url or '/qa/'} with {len(TOPICS)} topics; CMS at /cms/.")
        )
