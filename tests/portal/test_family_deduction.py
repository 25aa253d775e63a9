"""Paying with family sharing: own account first, then initiators in binding order; refunds leg by leg."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from portal.errors import DomainError
from portal.family.deduction import family_deduct, family_refund
from portal.family.models import FamilyBinding
from portal.family.selectors import spent_from_my_account
from portal.ledger.selectors import account_balance, accounts_out_of_step, personal_account, unbalanced_transactions
from portal.ledger.services import institution_account
from portal.people.models import Person
from tests import factories
from tests.conftest import needs_postgres
from tests.factories import bound_to

pytestmark = pytest.mark.django_db


def balance(person: Person) -> int:
    account = personal_account(person=person)
    return account_balance(account_id=account.pk) if account else 0


def test_own_account_first_then_initiators_in_the_order_they_bound() -> None:
    payer = factories.person(insurance_type="employee", balance_fen=1_000)
    first, second, third = (factories.person(insurance_type="employee", balance_fen=5_000) for _ in range(3))
    # Bound in the order third, first, second (activation dates), whatever their ids.
    bound_to(payer, [third, first, second])
    pharmacy = institution_account(institution=factories.institution())
    txn = family_deduct(payer=payer, amount_fen=12_000, to_account_id=pharmacy.pk, reference="R1")
    # 10.00 own, then 50.00 from third, 50.00 from first, 10.00 from second.
    assert [balance(p) for p in (payer, third, first, second)] == [0, 0, 0, 4_000]
    assert account_balance(account_id=pharmacy.pk) == 12_000
    legs = {e.account.person_id: e.amount for e in txn.entries.select_related("account") if e.amount < 0}
    assert legs == {payer.pk: -1_000, third.pk: -5_000, first.pk: -5_000, second.pk: -1_000}
    assert txn.beneficiary == payer
    assert spent_from_my_account(initiator=third) == {payer.pk: 5_000}


def test_a_resident_without_an_account_pays_a_copayment_from_a_bound_account() -> None:
    child = factories.person(insurance_type="resident")
    parent = factories.person(insurance_type="employee", balance_fen=3_000)
    bound_to(child, [parent])
    clinic = institution_account(institution=factories.institution(kind="hospital", level="1", primary=True))
    family_deduct(payer=child, amount_fen=2_500, to_account_id=clinic.pk, reference="R2")
    assert balance(parent) == 500


def test_all_or_nothing_when_the_family_is_short() -> None:
    payer = factories.person(insurance_type="employee", balance_fen=1_000)
    parent = factories.person(insurance_type="employee", balance_fen=1_000)
    bound_to(payer, [parent])
    pharmacy = institution_account(institution=factories.institution())
    with pytest.raises(DomainError) as caught:
        family_deduct(payer=payer, amount_fen=2_001, to_account_id=pharmacy.pk, reference="R3")
    assert caught.value.code == "insufficient_balance"
    assert caught.value.details == {"needed": 2_001, "available": 2_000}
    assert (balance(payer), balance(parent), account_balance(account_id=pharmacy.pk)) == (1_000, 1_000, 0)


def test_unbinding_stops_new_payments_but_leaves_past_ones() -> None:
    payer = factories.person(insurance_type="resident")
    parent = factories.person(insurance_type="employee", balance_fen=5_000)
    bound_to(payer, [parent])
    pharmacy = institution_account(institution=factories.institution())
    past = family_deduct(payer=payer, amount_fen=1_000, to_account_id=pharmacy.pk, reference="R4")
    FamilyBinding.objects.update(status="unbound")
    with pytest.raises(DomainError):
        family_deduct(payer=payer, amount_fen=1_000, to_account_id=pharmacy.pk, reference="R5")
    assert past.entries.count() == 2 and balance(parent) == 4_000
    refund = family_refund(payment_id=past.pk, reference="R4-refund")  # refunds still go back to the parent
    assert balance(parent) == 5_000 and refund.refund_of == past


def test_a_refund_returns_each_leg_to_its_owner_last_drawn_first() -> None:
    payer = factories.person(insurance_type="employee", balance_fen=1_000)
    first, second, third = (factories.person(insurance_type="employee", balance_fen=2_000) for _ in range(3))
    bound_to(payer, [first, second, third])
    pharmacy = institution_account(institution=factories.institution())
    payment = family_deduct(payer=payer, amount_fen=6_000, to_account_id=pharmacy.pk, reference="R6")
    assert [balance(p) for p in (payer, first, second, third)] == [0, 0, 0, 1_000]
    family_refund(payment_id=payment.pk, amount_fen=1_500, reference="R6-a")  # third 1,000 then second 500
    assert [balance(p) for p in (payer, first, second, third)] == [0, 0, 500, 2_000]
    family_refund(payment_id=payment.pk, reference="R6-b")  # everything left
    assert [balance(p) for p in (payer, first, second, third)] == [1_000, 2_000, 2_000, 2_000]
    assert account_balance(account_id=pharmacy.pk) == 0
    with pytest.raises(DomainError) as caught:
        family_refund(payment_id=payment.pk, amount_fen=1, reference="R6-c")
    assert caught.value.code == "refund_exceeds_payment"
    assert spent_from_my_account(initiator=first) == {payer.pk: 0}
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_a_retry_with_the_same_key_pays_once() -> None:
    payer = factories.person(insurance_type="employee", balance_fen=5_000)
    pharmacy = institution_account(institution=factories.institution())
    one = family_deduct(payer=payer, amount_fen=1_000, to_account_id=pharmacy.pk, reference="R7", idempotency_key="k7")
    two = family_deduct(payer=payer, amount_fen=1_000, to_account_id=pharmacy.pk, reference="R7", idempotency_key="k7")
    assert one.pk == two.pk and balance(payer) == 4_000
    with pytest.raises(DomainError) as caught:
        family_deduct(payer=payer, amount_fen=999, to_account_id=pharmacy.pk, reference="R7", idempotency_key="k7")
    assert caught.value.code == "idempotency_conflict"


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_amounts_are_positive_whole_fen(amount) -> None:
    payer = factories.person(insurance_type="employee", balance_fen=5_000)
    pharmacy = institution_account(institution=factories.institution())
    with pytest.raises(DomainError) as caught:
        family_deduct(payer=payer, amount_fen=amount, to_account_id=pharmacy.pk, reference="R8")
    assert caught.value.code == "amount_invalid"


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixty_four_concurrent_deductions_never_overdraw_lose_a_fen_or_deadlock() -> None:
    initiator = factories.person(insurance_type="employee", balance_fen=50_000)
    payers = [factories.person(insurance_type="resident") for _ in range(8)]
    for payer in payers:
        bound_to(payer, [initiator])
    # Two of the payers have a little money of their own and another initiator as well.
    other = factories.person(insurance_type="employee", balance_fen=3_000)
    bound_to(payers[0], [other], start=timezone.now())
    pharmacy = institution_account(institution=factories.institution())
    accounts = [personal_account(person=p) for p in (initiator, other)]
    before = sum(account_balance(account_id=a.pk) for a in accounts)
    barrier = threading.Barrier(64)
    outcomes: list[str] = []

    def pay(n: int) -> None:
        try:
            barrier.wait()
            family_deduct(payer=payers[n % 8], amount_fen=1_000, to_account_id=pharmacy.pk, reference=f"C{n}")
            outcomes.append("paid")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "deadlock or hang"
    paid = outcomes.count("paid")
    assert len(outcomes) == 64 and set(outcomes) <= {"paid", "insufficient_balance"}
    after = sum(account_balance(account_id=a.pk) for a in accounts)
    assert after >= 0 and account_balance(account_id=accounts[0].pk) >= 0
    assert before - after == account_balance(account_id=pharmacy.pk) == paid * 1_000  # not a fen lost
    # 530 yuan in all for 640 yuan of payments: some are refused, and only when the money really ran out.
    assert 50 <= paid <= 53 and account_balance(account_id=accounts[0].pk) < 1_000
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()
