"""manage.py check_invariants: clean after real money movements, and each kind of corruption is named."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.benefits.models import BenefitUsage
from payments.online.models import OnlineOrder, OrderEvent
from payments.settlement.models import Settlement, SettlementRefund, TraceCode
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.ledger.services import Leg, ledger_post, region_account
from portal.ops import invariants
from portal.ops.models import InvariantRun
from portal.ops.tasks import check_invariants
from tests import factories
from tests.payments.online_helpers import authorize_and_pay, hospital_client, patient, upload
from tests.payments.settlement_helpers import drug, insured, prescribed, scan, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(terminal_api, resident_api) -> dict[str, str]:
    """Real money movements: counter settlements (one refunded in part, one reversed) and online orders
    (one settled and refunded in part)."""
    person = insured(insurance_type="employee", balance_fen=200_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    items = [drug(price=30_000), drug(price=8_000)]
    first = settle(client, scan(client, person), items, prescription_id=prescribed(person)).json()
    assert client.post(
        f"/api/v1/scanner/settlements/{first['settlement']}/refunds", {"lines": [2], "idempotency_key": "refund-0001"}
    ).status_code in (200, 201)
    second = settle(client, scan(client, person), [drug(price=5_000)], prescription_id=prescribed(person)).json()
    assert client.post(f"/api/v1/scanner/settlements/{second['settlement']}/reversal").status_code == 200
    payer = patient(insurance_type="employee", balance_fen=100_000)
    hospital = hospital_client()
    number = upload(hospital, payer, amounts=(60_000,)).json()["order"]
    assert authorize_and_pay(resident_api(payer), number).json()["status"] == "settled"
    refund = hospital.post(
        f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "o-refund-01", "parts": {"personal": 1_000}}
    )
    assert refund.status_code == 201, refund.json()
    return {"settlement": first["settlement"], "reversed": second["settlement"], "order": number}


def _failed(name: str) -> invariants.Result:
    result = next(r for r in invariants.check_all() if r.name == name)
    assert not result.ok, f"{name} should have found a violation"
    return result


def test_real_money_movements_leave_every_invariant_holding(activity, capsys) -> None:
    call_command("check_invariants")
    out = capsys.readouterr().out
    assert "every invariant holds" in out
    for check in invariants.CHECKS:
        assert check.__name__ in out
    results = {r.name: r for r in invariants.check_all()}
    assert results["usage_matches_ledger"].checked >= 3 and results["ledger_balanced"].checked >= 8


def test_it_exits_1_and_lists_the_violations(activity, capsys) -> None:
    fund = LedgerAccount.objects.filter(kind="fund").first()
    LedgerEntry.objects.bulk_create(  # one leg only: a transaction that does not sum to zero
        [LedgerEntry(transaction=LedgerTransaction.objects.create(kind="adjustment"), account=fund, amount=5)]
    )
    with pytest.raises(SystemExit) as exit_:
        call_command("check_invariants", "--json")
    assert exit_.value.code == 1
    body = json.loads(capsys.readouterr().out)
    failed = {c["name"]: c for c in body if c["violations"]}
    assert set(failed) >= {"ledger_balanced"}
    assert failed["ledger_balanced"]["first"][0]["legs"] == 1


def test_a_stored_balance_out_of_step_with_its_entries(activity) -> None:
    account = LedgerAccount.objects.filter(kind="personal").first()
    LedgerAccount.objects.filter(pk=account.pk).update(balance=account.balance + 1)
    assert _failed("balances_match").violations[0]["account"] == account.code


def test_a_refund_beyond_the_payment(activity) -> None:
    settlement = Settlement.objects.get(number=activity["settlement"])
    SettlementRefund.objects.create(
        settlement=settlement,
        idempotency_key="forged",
        lines=[1],
        fund_fen=settlement.fund_fen + 1,
        assistance_fen=0,
        personal_account_fen=0,
        cash_fen=0,
    )
    found = _failed("refunds_within_payments").violations
    assert {"settlement": settlement.number, "part": "fund"}.items() <= found[0].items()


def test_usage_the_ledger_never_paid_and_usage_above_the_cap(activity) -> None:
    person = patient(insurance_type="employee")
    BenefitUsage.objects.create(
        person=person,
        year=timezone.localdate().year,
        scheme="outpatient",
        paid_fen=999_999,
        origin="nowhere",
        reference="nowhere",
        service_date=timezone.localdate(),
    )
    assert _failed("usage_matches_ledger").violations[0]["origin"] == "nowhere"
    capped = _failed("usage_within_caps").violations[0]
    # An employee may retire during the year: held to the retired cap (3,000 yuan), the higher one.
    assert capped["problem"] == "above the cap" and capped["cap"] == 300_000


def test_a_give_back_to_a_scheme_the_settlement_never_used(activity) -> None:
    settlement = Settlement.objects.get(number=activity["settlement"])
    BenefitUsage.objects.create(
        person=settlement.person,
        year=settlement.service_date.year,
        scheme="dual_channel",
        deductible_fen=-100,
        origin=settlement.number,
        reference=f"{settlement.number}#forged",
        is_reversal=True,
        service_date=settlement.service_date,
    )
    found = _failed("usage_matches_ledger").violations[0]
    assert found["origin"] == settlement.number and found["scheme"] == "dual_channel"


def test_a_refund_to_an_account_the_payment_never_drew_on_and_an_item_refunded_twice(activity) -> None:
    from portal.ledger.services import institution_account, personal_account_open

    settlement = Settlement.objects.get(number=activity["settlement"])
    stranger = personal_account_open(person=patient(insurance_type="employee"))
    receivable = institution_account(institution=settlement.institution)
    ledger_post(
        kind="refund",
        legs=[Leg(receivable.pk, -5), Leg(stranger.pk, 5)],
        refund_of=settlement.personal_transaction,
        reference=settlement.number,
    )
    SettlementRefund.objects.create(
        settlement=settlement,
        idempotency_key="again",
        lines=[2],
        fund_fen=0,
        assistance_fen=0,
        personal_account_fen=0,
        cash_fen=0,
    )
    problems = _failed("refunds_within_payments").violations
    assert {"payment": settlement.personal_transaction_id, "account": stranger.pk}.items() <= problems[0].items()
    assert problems[0]["problem"] == "never drawn on"
    assert {"settlement_id": settlement.pk, "lines_refunded_twice": [2]} in problems


def test_a_trace_code_sold_again_while_its_sale_was_reversed(activity) -> None:
    TraceCode.objects.filter(item__settlement__number=activity["reversed"]).update(status="sold")
    found = _failed("sold_and_redeemed_once").violations[0]
    assert found["settlement"] == activity["reversed"] and found["problem"] == "sale no longer stands"


def test_an_order_committed_twice_and_money_held_for_nobody(activity) -> None:
    order = OnlineOrder.objects.get(number=activity["order"])
    region = order.person.region
    fund = region_account(region=region, kind="fund")
    held = region_account(region=region, kind="held")
    ledger_post(kind="settlement", legs=[Leg(fund.pk, -1), Leg(held.pk, 1)], reference=order.number)
    found = _failed("orders_settled_once").violations
    assert {"order": order.number, "commits": 2} in found
    assert any(v.get("held") == 1 for v in found)


def test_a_history_move_that_was_never_declared(activity) -> None:
    order = OnlineOrder.objects.get(number=activity["order"])
    OrderEvent.objects.create(order=order, from_status="refunded_partly", to_status="saved", note="forged")
    problems = {v.get("problem") for v in _failed("histories_follow_transitions").violations}
    assert problems == {"not a declared move", None}  # the move, and a history that no longer ends at the status


def test_a_status_changed_behind_the_historys_back(activity) -> None:
    order = OnlineOrder.objects.get(number=activity["order"])
    # Someone set the status by hand (no history row), then a declared move was recorded from there.
    OrderEvent.objects.create(order=order, from_status="refunding", to_status="refunded_partly", note="next move")
    problems = {v.get("problem") for v in _failed("histories_follow_transitions").violations}
    assert "does not start where the previous move ended" in problems


def test_the_nightly_task_keeps_the_result_for_staff(activity, django_user_model) -> None:
    assert check_invariants.delay().get() == {"violations": 0, "run": InvariantRun.objects.get().pk}
    staff = django_user_model.objects.create_user(username="ops", password="x" * 16, is_staff=True)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(staff)
    body = client.get("/api/v1/staff/invariants").json()
    assert body["last_run"]["ok"] is True and len(body["last_run"]["checks"]) == len(invariants.CHECKS)
    assert APIClient().get("/api/v1/staff/invariants").status_code in (401, 403)
