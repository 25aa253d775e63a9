"""Moving a status along declared transitions: compare-and-set, then a history row, in one transaction.

Every stateful model in the project (vouchers, family bindings, off-site filings, settlements, online
orders) declares ``TRANSITIONS`` and moves only through :func:`transition`. The update is conditional on
the old status, so two concurrent moves cannot both succeed (no check-then-act).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from django.db import models, transaction

from portal.errors import DomainError

M = TypeVar("M", bound=models.Model)


class StatusHistory(models.Model):
    """A history row: one status move. Concrete tables add the link to their subject (and who acted)."""

    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=300, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}: {self.note}"


def transition(
    obj: M,
    new: str,
    *,
    transitions: Mapping[Any, Collection[str]],
    refused: Callable[[str], DomainError],
    history: Callable[[str, str], object],
    field: Any = "status",
    **fields: Any,
) -> M:
    """Move ``obj.<field>`` (``status`` unless told) to ``new`` (plus ``fields``) if allowed and unchanged
    since read; record it."""
    old = str(getattr(obj, field))
    if new not in transitions.get(old, ()):
        raise refused(old)
    with transaction.atomic():
        if not type(obj)._default_manager.filter(pk=obj.pk, **{field: old}).update(**{field: new}, **fields):
            raise refused(old)  # somebody else moved it first
        history(old, new)
    obj.refresh_from_db()
    return obj
