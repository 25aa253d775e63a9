"""Reads: my bindings on both sides, and what each bound relative has spent from my account."""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from portal.family.models import FamilyBinding
from portal.ledger.models import LedgerEntry
from portal.ledger.selectors import personal_account
from portal.people.models import Person


def bindings_as_initiator(*, person: Person) -> QuerySet[FamilyBinding]:
    return FamilyBinding.objects.filter(initiator=person).select_related("bound").order_by("-id")


def bindings_as_bound(*, person: Person) -> QuerySet[FamilyBinding]:
    return FamilyBinding.objects.filter(bound=person).select_related("initiator").order_by("-id")


def spent_from_my_account(*, initiator: Person) -> dict[int, int]:
    """Net fen each other person has spent from the initiator's account (payments less refunds)."""
    account = personal_account(person=initiator)
    if account is None:
        return {}
    rows = (
        LedgerEntry.objects.filter(account=account, transaction__beneficiary__isnull=False)
        .exclude(transaction__beneficiary=initiator)
        .values("transaction__beneficiary")
        .annotate(total=Sum("amount"))
    )
    return {row["transaction__beneficiary"]: -row["total"] for row in rows}
