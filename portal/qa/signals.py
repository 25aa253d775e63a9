"""Keep the search index in step with what is published, and with the editors' synonyms."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from portal.qa.models import EntryPage, SynonymGroup


@receiver(page_published, sender=EntryPage)
def _index_published(sender: Any, instance: EntryPage, **kwargs: Any) -> None:
    from portal.qa.services import index_entry

    index_entry(entry=instance)


@receiver(page_unpublished, sender=EntryPage)
def _unindex_unpublished(sender: Any, instance: EntryPage, **kwargs: Any) -> None:
    from portal.qa.services import unindex_entry

    unindex_entry(entry_id=instance.pk)


@receiver(post_save, sender=SynonymGroup)
@receiver(post_delete, sender=SynonymGroup)
def _reindex_after_synonyms_change(sender: Any, **kwargs: Any) -> None:
    from portal.qa.tasks import reindex_all
    from portal.qa.text import forget_synonyms

    forget_synonyms()
    transaction.on_commit(reindex_all.delay)
