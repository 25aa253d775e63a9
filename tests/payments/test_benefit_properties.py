"""Properties of the calculator that hold for any bill, person, place, visit and year-to-date state."""

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.benefits.engine import DiseaseRules, Item, Place, Rules, Subject, Visit, YearToDate, calculate
from payments.benefits.schemes.dual_channel import in_fund_annual

RULES = Rules(
    resident_deductible_fen=0,
    resident_rate_bp=6000,
    resident_annual_cap_fen=15000,
    resident_primary_only=True,
    resident_pharmacy_covered=False,
    employee_deductible_low_fen=20000,
    employee_deductible_high_fen=40000,
    employee_rate_low_bp=6000,
    employee_rate_high_bp=5000,
    retiree_bonus_bp=1000,
    employee_cap_active_fen=200000,
    employee_cap_retired_fen=300000,
    dual_deductible_fen=50000,
    dual_rate_employee_bp=7500,
    dual_rate_resident_bp=6000,
    dual_cap_employee_fen=40_000_000,
    dual_cap_resident_fen=13_000_000,
    assist_annual_cap_fen=5_000_000,
    assist_extremely_poor_deductible_fen=0,
    assist_extremely_poor_rate_bp=8000,
    assist_minimum_allowance_deductible_fen=0,
    assist_minimum_allowance_rate_bp=7500,
    assist_fell_back_deductible_fen=150000,
    assist_fell_back_rate_bp=7000,
    assist_monitored_deductible_fen=300000,
    assist_monitored_rate_bp=6000,
)

subjects = st.builds(
    Subject,
    insurance_type=st.sampled_from(["employee", "retired", "resident"]),
    assistance_group=st.sampled_from(["none", "extremely_poor", "minimum_allowance", "fell_back", "monitored"]),
    insured=st.booleans(),
    contribution_paid=st.booleans(),
)
places = st.builds(
    Place,
    kind=st.sampled_from(["hospital", "pharmacy", "internet_hospital"]),
    level=st.sampled_from(["1", "2", "3", "unrated"]),
    is_primary_level=st.booleans(),
    designated=st.booleans(),
)
items = st.lists(
    st.builds(
        Item,
        code=st.just("X"),
        name=st.just("x"),
        amount_fen=st.integers(0, 2_000_000),
        in_catalogue=st.booleans(),
        dual_channel=st.booleans(),
        category=st.sampled_from(["drug", "examination", "checkup"]),
        first_self_pay_bp=st.sampled_from([0, 1000, 3000]),
    ),
    min_size=1,
    max_size=30,
)
diseases = st.none() | st.builds(
    DiseaseRules,
    group=st.sampled_from(["MT01", "MT02"]),
    deductible_fen=st.integers(0, 60000),
    rate_bp=st.sampled_from([6000, 7000, 8000]),
    annual_cap_fen=st.integers(0, 10_000_000),
)
visits = st.builds(
    Visit,
    offsite=st.sampled_from(["local", "filed", "temporary", "not_filed"]),
    prescription=st.booleans(),
    disease=diseases,
    emergency=st.booleans(),
    three_fixed=st.booleans(),
)
_runs = itertools.count()
BUCKETS = ["outpatient", "dual_channel", "specified:MT01", "specified:MT02", "assistance"]
money = st.integers(0, 6_000_000)
ytds = st.dictionaries(st.sampled_from(BUCKETS), st.tuples(st.integers(0, 400000), money)).map(YearToDate)


def _cap_of(subject: Subject) -> int:
    retired = subject.insurance_type == "retired"
    if subject.insurance_type in ("employee", "retired"):
        return RULES.employee_cap_retired_fen if retired else RULES.employee_cap_active_fen
    return RULES.resident_annual_cap_fen


@settings(max_examples=300, deadline=None)
@given(subject=subjects, place=places, bill=items, ytd=ytds, visit=visits)
def test_the_parts_always_add_up_and_never_exceed_what_is_left(subject, place, bill, ytd, visit) -> None:
    result = calculate(rules=RULES, subject=subject, place=place, items=bill, ytd=ytd, visit=visit)
    for line in result.lines:
        assert line.fund_fen >= 0 and line.assistance_fen >= 0 and line.resident_fen >= 0
        assert line.fund_fen + line.assistance_fen + line.resident_fen == line.item.amount_fen
        if line.scheme is not None:
            assert line.eligible_fen == line.first_self_pay_fen + line.deductible_fen + line.covered_fen
        assert line.fund_fen <= line.covered_fen
        if subject.assistance_group == "none":
            assert sum(r.amount_fen for r in line.reasons) == line.item.amount_fen - line.fund_fen
    # Usage only grows, by exactly what the lines used.
    before, after = result.before, result.after
    for bucket, (deductible, paid) in after.minus(before).items():
        assert deductible >= 0 and paid >= 0, bucket
    assert sum(p for b, (_, p) in after.minus(before).items() if b != "assistance") == result.fund_fen
    assert after.paid("assistance") - before.paid("assistance") == result.assistance_fen
    # Caps: the fund never pays past a cap that was not already exceeded.
    assert after.paid("outpatient") <= max(_cap_of(subject), before.paid("outpatient"))
    fund_cap = RULES.dual_cap_employee_fen if subject.insurance_type != "resident" else RULES.dual_cap_resident_fen
    assert after.paid("fund_annual") <= max(fund_cap, before.paid("fund_annual"))
    if visit.disease is not None:
        bucket = f"specified:{visit.disease.group}"
        assert after.paid(bucket) <= max(visit.disease.annual_cap_fen, before.paid(bucket))
    assert after.paid("assistance") <= max(RULES.assist_annual_cap_fen, before.paid("assistance"))


@settings(max_examples=300, deadline=None)
@given(subject=subjects, place=places, bill=items, ytd=ytds, visit=visits)
def test_schemes_never_share_counters(subject, place, bill, ytd, visit) -> None:
    """A bill moves only the buckets of the schemes that priced its lines (and assistance): a
    specified-disease purchase never touches general outpatient, and a general visit never touches a
    disease group; each line's figures land in its own bucket."""
    result = calculate(rules=RULES, subject=subject, place=place, items=bill, ytd=ytd, visit=visit)
    moved = result.after.minus(result.before)
    priced = {line.scheme for line in result.lines if line.scheme is not None}
    assert set(moved) - {"assistance"} <= priced
    for bucket in priced:
        lines = [line for line in result.lines if line.scheme == bucket]
        d, p = moved.get(bucket, (0, 0))
        assert (d, p) == (sum(x.deductible_fen for x in lines), sum(x.fund_fen for x in lines))
    if visit.disease is not None:
        assert "outpatient" not in moved  # everything not dual-channel went to the disease's scheme
    else:
        assert not any(b.startswith("specified:") for b in moved)
    # The fund's annual cap is the only counter two schemes read together.
    assert all(in_fund_annual(b) for b in priced if b not in ("outpatient",))


@settings(max_examples=150, deadline=None)
@given(subject=subjects, place=places, bill=items, ytd=ytds, visit=visits)
def test_splitting_a_bill_into_two_settlements_changes_nothing(subject, place, bill, ytd, visit) -> None:
    whole = calculate(rules=RULES, subject=subject, place=place, items=bill, ytd=ytd, visit=visit)
    half = len(bill) // 2
    first = calculate(rules=RULES, subject=subject, place=place, items=bill[:half], ytd=ytd, visit=visit)
    second = calculate(rules=RULES, subject=subject, place=place, items=bill[half:], ytd=first.after, visit=visit)
    assert first.fund_fen + second.fund_fen == whole.fund_fen
    assert first.assistance_fen + second.assistance_fen == whole.assistance_fen
    assert second.after == whole.after


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bills=st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(0, 300_000), st.booleans()), min_size=1, max_size=4),
            st.sampled_from([None, "MT01", "MT02"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=5,
    ),
    which=st.integers(0, 4),
)
def test_reversing_any_settlement_restores_every_counter_it_touched(bills, which) -> None:
    """Record several bills in a row with the real services (outpatient, dual channel, two disease groups,
    assistance), then release one of them: the year-to-date state is what it would be had that bill never
    been recorded, bucket by bucket, for the buckets it touched; and releasing twice changes nothing."""
    from payments.benefits.selectors import year_to_date
    from payments.benefits.services import benefit_commit, benefit_release
    from portal.people.models import Contribution
    from tests import factories

    person = factories.person(insurance_type="employee", assistance_group="minimum_allowance")
    institution = factories.institution(kind="hospital", level="1", primary=True)
    day = dt.date(2024, 3, 1)
    Contribution.objects.create(person=person, year=day.year, paid=True)
    run = next(_runs)
    states = []
    for n, (lines, group, prescription) in enumerate(bills):
        disease = DiseaseRules(group, 20000, 7000, 500_000) if group else None
        bill = [Item(f"X{i}", "x", amount, dual_channel=dual) for i, (amount, dual) in enumerate(lines)]
        before = year_to_date(person=person, year=day.year)
        done = benefit_commit(
            person=person,
            institution=institution,
            service_date=day,
            items=bill,
            reference=f"R{run}S{n}",
            visit=Visit(prescription=prescription, disease=disease),
        )
        states.append((before, done.after.minus(done.before)))
    which %= len(bills)
    touched = states[which][1]
    whole = year_to_date(person=person, year=day.year)
    benefit_release(reference=f"R{run}S{which}")
    benefit_release(reference=f"R{run}S{which}")
    released = year_to_date(person=person, year=day.year)
    for bucket in set(whole.usage) | set(touched):
        d, p = touched.get(bucket, (0, 0))
        assert released.deductible(bucket) == whole.deductible(bucket) - d, bucket
        assert released.paid(bucket) == whole.paid(bucket) - p, bucket
