"""A balance read that went stale under a race is never written: the whole transaction runs again."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from portal.concurrency import StaleBalanceRead, retry_on_conflict
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.ledger.services import Leg, Posting, institution_account, ledger_post_locked, personal_account_open
from tests import factories

pytestmark = pytest.mark.django_db


def _accounts() -> tuple[LedgerAccount, LedgerAccount]:
    person = factories.person(balance_fen=10_000)
    return personal_account_open(person=person), institution_account(institution=factories.institution())


def _posting(payer: LedgerAccount, receivable: LedgerAccount, fen: int) -> Posting:
    return Posting(kind=LedgerTransaction.Kind.SETTLEMENT, legs=(Leg(payer.pk, -fen), Leg(receivable.pk, fen)))


def test_balances_move_by_the_entries_and_come_out_as_computed() -> None:
    payer, receivable = _accounts()
    balances = {payer.pk: 10_000, receivable.pk: 0}
    with transaction.atomic():
        ledger_post_locked([_posting(payer, receivable, 3_000)], balances=balances)
    payer.refresh_from_db()
    receivable.refresh_from_db()
    assert (payer.balance, receivable.balance) == (7_000, 3_000) == (balances[payer.pk], balances[receivable.pk])
    assert list(LedgerEntry.objects.filter(account=receivable).values_list("balance_after", flat=True)) == [3_000]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # retries need the outermost transaction
def test_a_stale_read_is_refused_and_retried_with_a_fresh_one() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers: a read under its write lock cannot go stale")
    payer, receivable = _accounts()
    LedgerAccount.objects.filter(pk=receivable.pk).update(balance=5_000)  # moved since the caller's read
    with pytest.raises(StaleBalanceRead), transaction.atomic():
        ledger_post_locked([_posting(payer, receivable, 3_000)], balances={payer.pk: 10_000, receivable.pk: 0})
    assert not LedgerEntry.objects.filter(account=receivable, amount=3_000).exists()  # nothing written

    reads: list[int] = []

    @retry_on_conflict
    def settle() -> None:
        with transaction.atomic():
            stale = 0 if not reads else LedgerAccount.objects.get(pk=receivable.pk).balance
            reads.append(stale)
            ledger_post_locked([_posting(payer, receivable, 3_000)], balances={payer.pk: 10_000, receivable.pk: stale})

    settle()
    assert reads == [0, 5_000]  # the first attempt's read was stale; the retry read afresh
    receivable.refresh_from_db()
    assert receivable.balance == 8_000
    assert LedgerEntry.objects.get(account=receivable, amount=3_000).balance_after == 8_000
