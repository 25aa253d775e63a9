"""Keep the search index and the entry cache in step with what is published, and with the synonyms."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished, post_page_move

from portal.qa.models import EntryPage, QAIndexPage, SynonymGroup, TopicPage


@receiver(page_published, sender=EntryPage)
def _index_published(sender: Any, instance: EntryPage, **kwargs: Any) -> None:
    from portal.qa.services import index_entry

    index_entry(entry=instance)


@receiver(page_unpublished, sender=EntryPage)
def _unindex_unpublished(sender: Any, instance: EntryPage, **kwargs: Any) -> None:
    from portal.qa.services import unindex_entry

    unindex_entry(entry_id=instance.pk)


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
def _forget_entries_after_a_page_changes(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An entry shows its topic, its address and its related questions: other pages' state."""
    if isinstance(instance, (EntryPage, TopicPage, QAIndexPage)) or sender in (EntryPage, TopicPage, QAIndexPage):
        _forget_entries()


@receiver(post_delete, sender=EntryPage)
@receiver(post_delete, sender=TopicPage)
def _forget_entries_after_a_delete(sender: Any, **kwargs: Any) -> None:
    _forget_entries()


def _forget_entries() -> None:
    from portal.qa.entry_cache import forget_entries

    forget_entries()
    transaction.on_commit(forget_entries)  # and again once the change is visible to other processes


@receiver(post_save, sender=SynonymGroup)
@receiver(post_delete, sender=SynonymGroup)
def _reindex_after_synonyms_change(sender: Any, **kwargs: Any) -> None:
    from portal.qa.tasks import reindex_all
    from portal.qa.text import forget_synonyms

    forget_synonyms()
    transaction.on_commit(reindex_all.delay)


@receiver(post_save, sender="institutions.Region")
def _forget_entries_after_a_region_changes(sender: Any, **kwargs: Any) -> None:
    """Entries show the names of the regions they apply in."""
    _forget_entries()
