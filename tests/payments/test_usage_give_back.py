"""Refunds and reversals give benefit usage back to the scheme that used it, with deductible progress,
through the benefits service only (the one writer of year-to-date usage)."""

import pytest
from django.utils import timezone

from payments.benefits.engine import Item
from payments.benefits.models import BenefitUsage
from payments.benefits.selectors import year_to_date
from payments.benefits.services import benefit_estimate
from tests import factories
from tests.payments.online_helpers import authorize_and_pay, hospital_client, patient, prior_usage, upload

pytestmark = pytest.mark.django_db


def _ytd(person):
    return year_to_date(person=person, year=timezone.localdate().year)


def _refund(client, number, key, parts=None):
    body = {"idempotency_key": key, **({"parts": parts} if parts else {"whole": True})}
    return client.post(f"/api/v1/hospital/orders/{number}/refunds", body)


def test_a_refunded_dual_channel_fund_part_goes_back_to_dual_channel_and_never_lifts_the_outpatient_cap(
    resident_api,
) -> None:
    # The employee has used the whole outpatient cap (2,000 yuan) and met the dual-channel deductible (500).
    person = patient(insurance_type="employee", balance_fen=100_000)
    prior_usage(person, "outpatient", deductible_fen=40_000, paid_fen=200_000)
    prior_usage(person, "dual_channel", deductible_fen=50_000)
    hospital = hospital_client()
    order = upload(hospital, person, amounts=(10_000,), dual_channel=True).json()
    assert order["split"]["fund"]["fen"] == 7_500  # 75% of 100 yuan: employees' dual-channel rate
    assert authorize_and_pay(resident_api(person), order["order"]).json()["status"] == "settled"
    assert (_ytd(person).paid("outpatient"), _ytd(person).paid("dual_channel")) == (200_000, 7_500)

    refund = _refund(hospital, order["order"], "refund-fund-0001", {"fund": 7_500})
    assert refund.status_code == 201, refund.json()

    ytd = _ytd(person)
    assert (ytd.paid("outpatient"), ytd.paid("dual_channel")) == (200_000, 0)  # before the fix: -7,500 and 7,500
    assert ytd.deductible("outpatient") == 40_000 and ytd.deductible("dual_channel") == 50_000
    # The next pharmacy purchase: the outpatient cap is still reached, the fund pays nothing.
    pharmacy = factories.institution(kind="pharmacy")
    nxt = benefit_estimate(
        person=person, institution=pharmacy, service_date=timezone.localdate(), items=[Item("D1", "药", 20_000)]
    )
    assert nxt.fund_fen == 0
    rows = BenefitUsage.objects.filter(origin=order["order"], is_reversal=True)
    assert [(r.scheme, r.paid_fen, r.deductible_fen) for r in rows] == [("dual_channel", -7_500, 0)]


def test_a_whole_refund_gives_the_deductible_progress_back(resident_api) -> None:
    # Level-3 internet hospital, employee, nothing used yet: the whole 300 yuan counts toward the 400 deductible.
    person = patient(insurance_type="employee", balance_fen=100_000)
    hospital = hospital_client()
    number = upload(hospital, person, amounts=(30_000,)).json()["order"]
    assert authorize_and_pay(resident_api(person), number).json()["status"] == "settled"
    assert _ytd(person).deductible("outpatient") == 30_000
    assert _refund(hospital, number, "refund-whole-0001").status_code == 201
    assert _ytd(person).deductible("outpatient") == 0


def test_the_deductible_comes_back_with_the_residents_money_part_by_part(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    hospital = hospital_client()
    number = upload(hospital, person, amounts=(30_000,)).json()["order"]
    authorize_and_pay(resident_api(person), number)
    # A third of the resident's money back: a third of the deductible progress (10,000 of 30,000 fen).
    assert _refund(hospital, number, "refund-part-0001", {"personal": 10_000}).status_code == 201
    assert _ytd(person).deductible("outpatient") == 20_000
    # The rest: all of it, whatever the rounding on the way.
    assert _refund(hospital, number, "refund-part-0002", {"personal": 20_000}).status_code == 201
    assert _ytd(person).deductible("outpatient") == 0
    assert BenefitUsage.objects.filter(origin=number).count() == 3  # the use and two give-backs


def test_more_cannot_be_given_back_than_an_origin_used() -> None:
    from payments.benefits.services import UsageReturn, benefit_return
    from portal.errors import DomainError

    person = patient()
    prior_usage(person, "outpatient", deductible_fen=1_000, paid_fen=500)
    origin = f"earlier-{person.pk}-outpatient"
    with pytest.raises(DomainError) as refused:
        benefit_return(origin=origin, reference=f"{origin}#x", parts=[UsageReturn("dual_channel", 0, 1)])
    assert refused.value.code == "usage_return_exceeds"
    with pytest.raises(DomainError):
        benefit_return(origin=origin, reference=f"{origin}#y", parts=[UsageReturn("outpatient", 1_001, 0)])
    assert benefit_return(origin=origin, reference=f"{origin}#z", parts=[UsageReturn("outpatient", 1_000, 500)]) == 1
    assert benefit_return(origin=origin, reference=f"{origin}#z", parts=[UsageReturn("outpatient", 0, 0)]) == 0
    assert (_ytd(person).deductible("outpatient"), _ytd(person).paid("outpatient")) == (0, 0)


def test_the_migration_finds_each_rows_origin_and_repairs_old_give_backs_to_the_wrong_scheme(resident_api) -> None:
    """Before this release an online refund gave a dual-channel fund part back to general outpatient."""
    import importlib

    from django.apps import apps

    from payments.online.models import OnlineRefund

    migration = importlib.import_module("payments.migrations.0008_benefit_usage_origin")
    person = patient(insurance_type="employee", balance_fen=100_000)
    prior_usage(person, "dual_channel", deductible_fen=50_000)
    hospital = hospital_client()
    order = upload(hospital, person, amounts=(10_000,), dual_channel=True).json()["order"]
    authorize_and_pay(resident_api(person), order)
    refund = _refund(hospital, order, "refund-old-0001", {"fund": 7_500}).json()["refund"]
    # What the old code wrote, before the origin column existed.
    rows = BenefitUsage._base_manager  # a plain manager: the test rewrites history the old code wrote
    rows.filter(origin=order, is_reversal=True).delete()
    today = timezone.localdate()
    old = dict(person=person, year=today.year, service_date=today, origin="")
    BenefitUsage.objects.create(scheme="outpatient", paid_fen=-7_500, reference=refund, is_reversal=True, **old)
    BenefitUsage.objects.create(scheme="outpatient", deductible_fen=300, reference="S1", **old)
    BenefitUsage.objects.create(scheme="outpatient", deductible_fen=-300, reference="S1#2", is_reversal=True, **old)
    rows.update(origin="")
    assert OnlineRefund.objects.filter(number=refund).exists()

    migration.fill_origin(apps, None)
    migration.repair_schemes(apps, None)

    origins = dict(BenefitUsage.objects.values_list("reference", "origin"))
    assert origins[refund] == order and origins["S1#2"] == "S1" and origins["S1"] == "S1"
    ytd = _ytd(person)
    assert (ytd.paid("outpatient"), ytd.paid("dual_channel")) == (0, 0)  # the refund now frees dual-channel room
