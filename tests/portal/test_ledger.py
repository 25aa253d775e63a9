"""The double-entry ledger: balanced, append-only, never below zero, idempotent."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from portal.errors import DomainError
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.ledger.selectors import account_balance, accounts_out_of_step, unbalanced_transactions
from portal.ledger.services import Leg, institution_account, ledger_post, ledger_reverse, personal_account_open
from tests import factories
from tests.conftest import needs_postgres

pytestmark = pytest.mark.django_db


def _accounts(balance: int = 10_000) -> tuple[LedgerAccount, LedgerAccount]:
    person = factories.person(balance_fen=balance)
    return personal_account_open(person=person), institution_account(institution=factories.institution())


def test_a_payment_moves_money_and_the_legs_sum_to_zero() -> None:
    personal, pharmacy = _accounts(10_000)
    txn = ledger_post(kind="payment", legs=[Leg(personal.pk, -2_550), Leg(pharmacy.pk, 2_550)])
    assert account_balance(account_id=personal.pk) == 7_450
    assert account_balance(account_id=pharmacy.pk) == 2_550
    assert sum(e.amount for e in txn.entries.all()) == 0
    assert [e.balance_after for e in txn.entries.order_by("account_id")] == [7_450, 2_550]
    assert not unbalanced_transactions().exists()
    assert not accounts_out_of_step().exists()


@pytest.mark.parametrize(
    "legs",
    [[(0, -100), (1, 99)], [(0, -100)], [(0, 0), (1, 0)], [(0, -1.5), (1, 1.5)]],
    ids=["unbalanced", "one-leg", "zero", "float"],
)
def test_it_refuses_a_transaction_that_is_not_balanced_integer_fen(legs: list) -> None:
    accounts = _accounts()
    with pytest.raises(DomainError) as caught:
        ledger_post(kind="payment", legs=[Leg(accounts[i].pk, amount) for i, amount in legs])
    assert caught.value.code == "ledger_unbalanced"
    assert LedgerTransaction.objects.filter(kind="payment").count() == 0


def test_it_refuses_to_take_a_personal_account_below_zero_and_writes_nothing() -> None:
    personal, pharmacy = _accounts(1_000)
    with pytest.raises(DomainError) as caught:
        ledger_post(kind="payment", legs=[Leg(personal.pk, -1_001), Leg(pharmacy.pk, 1_001)])
    assert caught.value.code == "insufficient_balance"
    assert account_balance(account_id=personal.pk) == 1_000
    assert LedgerTransaction.objects.filter(kind="payment").count() == 0


def test_the_database_itself_refuses_a_negative_personal_balance() -> None:
    personal, _ = _accounts(1_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=personal.pk).update(balance=-1)


def test_ledger_rows_are_append_only() -> None:
    personal, pharmacy = _accounts()
    txn = ledger_post(kind="payment", legs=[Leg(personal.pk, -100), Leg(pharmacy.pk, 100)])
    entry = txn.entries.first()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=5)
    with pytest.raises(TypeError):
        txn.delete()


@needs_postgres()
def test_postgresql_refuses_updates_to_ledger_rows_even_in_raw_sql() -> None:
    personal, pharmacy = _accounts()
    txn = ledger_post(kind="payment", legs=[Leg(personal.pk, -100), Leg(pharmacy.pk, 100)])
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_ledgerentry SET amount = 1 WHERE transaction_id = %s", [txn.pk])


def test_a_retry_with_the_same_idempotency_key_returns_the_first_transaction() -> None:
    personal, pharmacy = _accounts(10_000)
    legs = [Leg(personal.pk, -500), Leg(pharmacy.pk, 500)]
    first = ledger_post(kind="payment", legs=legs, idempotency_key="order-1")
    again = ledger_post(kind="payment", legs=legs, idempotency_key="order-1")
    assert again.pk == first.pk
    assert account_balance(account_id=personal.pk) == 9_500


def test_the_same_idempotency_key_with_other_legs_is_refused() -> None:
    personal, pharmacy = _accounts(10_000)
    ledger_post(kind="payment", legs=[Leg(personal.pk, -500), Leg(pharmacy.pk, 500)], idempotency_key="order-2")
    with pytest.raises(DomainError) as caught:
        ledger_post(kind="payment", legs=[Leg(personal.pk, -600), Leg(pharmacy.pk, 600)], idempotency_key="order-2")
    assert caught.value.code == "idempotency_conflict"
    assert account_balance(account_id=personal.pk) == 9_500


def test_a_reversal_restores_every_balance_and_happens_once() -> None:
    personal, pharmacy = _accounts(10_000)
    txn = ledger_post(kind="payment", legs=[Leg(personal.pk, -1_234), Leg(pharmacy.pk, 1_234)])
    reversal = ledger_reverse(transaction_id=txn.pk)
    assert reversal.reverses_id == txn.pk
    assert account_balance(account_id=personal.pk) == 10_000
    assert account_balance(account_id=pharmacy.pk) == 0
    with pytest.raises(DomainError) as caught:
        ledger_reverse(transaction_id=txn.pk)
    assert caught.value.code == "already_reversed"
    assert not accounts_out_of_step().exists()


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_debits_cannot_overdraw_an_account() -> None:
    personal, pharmacy = _accounts(10_000)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def debit() -> None:
        try:
            barrier.wait()
            ledger_post(kind="payment", legs=[Leg(personal.pk, -6_000), Leg(pharmacy.pk, 6_000)])
            outcomes.append("paid")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=debit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["insufficient_balance", "paid"]
    assert account_balance(account_id=personal.pk) == 4_000
    assert account_balance(account_id=pharmacy.pk) == 6_000
    assert not accounts_out_of_step().exists()
