"""Reads of ledger balances and history."""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.people.models import Person


def personal_account(*, person: Person) -> LedgerAccount | None:
    return LedgerAccount.objects.filter(kind=LedgerAccount.Kind.PERSONAL, person=person).first()


def account_balance(*, account_id: int) -> int:
    """The stored balance; for source accounts, the sum of their entries."""
    balance, derived = LedgerAccount.objects.values_list("balance", "allow_negative").get(pk=account_id)
    if derived:
        return LedgerEntry.objects.filter(account_id=account_id).aggregate(t=Sum("amount"))["t"] or 0
    return int(balance)


def account_entries(*, account_id: int, before_id: int | None = None, limit: int = 50) -> QuerySet[LedgerEntry]:
    """Newest first; page with ``before_id`` (the smallest id of the previous page)."""
    qs = LedgerEntry.objects.filter(account_id=account_id).select_related("transaction").order_by("-id")
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return qs[:limit]


def unbalanced_transactions() -> QuerySet[LedgerTransaction]:
    """Transactions whose legs do not sum to zero. Must always be empty."""
    return LedgerTransaction.objects.annotate(total=Sum("entries__amount")).exclude(total=0).exclude(total__isnull=True)


def accounts_out_of_step() -> QuerySet[LedgerAccount]:
    """Accounts whose stored balance differs from the sum of their entries. Must always be empty."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

    return (
        LedgerAccount.objects.filter(allow_negative=False)
        .annotate(total=Coalesce(Sum("entries__amount"), 0))
        .exclude(total=F("balance"))
    )
