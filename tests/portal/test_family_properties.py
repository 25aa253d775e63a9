"""Any sequence of bind / unbind / pay / refund keeps the ledger balanced and no balance negative."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.errors import DomainError
from portal.family.deduction import family_deduct, family_refund
from portal.family.models import FamilyBinding
from portal.ledger.models import LedgerAccount
from portal.ledger.selectors import accounts_out_of_step, unbalanced_transactions
from portal.ledger.services import institution_account
from tests import factories

pytestmark = pytest.mark.django_db

operations = st.lists(
    st.one_of(
        st.tuples(st.just("bind"), st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.just("unbind"), st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.just("pay"), st.integers(0, 3), st.integers(1, 9_000)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.one_of(st.none(), st.integers(1, 9_000))),
    ),
    max_size=25,
)


class _Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_keeps_the_ledger_balanced_and_nothing_negative(ops) -> None:
    try:
        with transaction.atomic():
            _run(ops)
            raise _Rollback
    except _Rollback:
        pass


def _run(ops) -> None:
    people = [
        factories.person(insurance_type="employee", balance_fen=10_000),
        factories.person(insurance_type="retired", balance_fen=5_000),
        factories.person(insurance_type="resident"),
        factories.person(insurance_type="resident"),
    ]
    pharmacy = institution_account(institution=factories.institution())
    money_accounts = list(
        LedgerAccount.objects.filter(kind__in=["personal", "institution"]).values_list("pk", flat=True)
    )

    def total() -> int:
        return sum(LedgerAccount.objects.filter(pk__in=money_accounts).values_list("balance", flat=True))

    start = total()
    payments = []
    clock = timezone.now()
    for op, a, b in ops:
        try:
            if op == "bind" and a != b and people[b].insurance_type != "resident":
                clock += timedelta(seconds=1)
                FamilyBinding.objects.get_or_create(
                    initiator=people[b],
                    bound=people[a],
                    status="active",
                    defaults={"relation": "parent", "consent_expires_at": clock, "activated_at": clock},
                )
            elif op == "unbind":
                FamilyBinding.objects.filter(initiator=people[b], bound=people[a], status="active").update(
                    status="unbound"
                )
            elif op == "pay":
                payments.append(family_deduct(payer=people[a], amount_fen=b, to_account_id=pharmacy.pk, reference="P"))
            elif op == "refund" and payments:
                family_refund(payment_id=payments[a % len(payments)].pk, amount_fen=b, reference="F")
        except DomainError as error:
            assert error.code in {"insufficient_balance", "refund_exceeds_payment"}, error.code
        assert not LedgerAccount.objects.filter(allow_negative=False, balance__lt=0).exists()
        assert total() == start
    assert not unbalanced_transactions().exists()
    assert not accounts_out_of_step().exists()
