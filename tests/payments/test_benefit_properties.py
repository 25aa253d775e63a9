"""Properties of the calculator that hold for any bill, person, place and year-to-date state."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.benefits.engine import Item, Place, Rules, Subject, YearToDate, calculate

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
    ),
    min_size=1,
    max_size=30,
)
money = st.integers(0, 6_000_000)
ytds = st.builds(
    YearToDate,
    outpatient_deductible_fen=st.integers(0, 60000),
    outpatient_fund_fen=money,
    dual_deductible_fen=st.integers(0, 60000),
    dual_fund_fen=money,
    assistance_deductible_fen=st.integers(0, 400000),
    assistance_paid_fen=money,
)


@settings(max_examples=300, deadline=None)
@given(
    subject=subjects,
    place=places,
    bill=items,
    ytd=ytds,
    offsite=st.sampled_from(["local", "filed", "temporary", "not_filed"]),
)
def test_the_parts_always_add_up_and_never_exceed_what_is_left(subject, place, bill, ytd, offsite) -> None:
    result = calculate(rules=RULES, subject=subject, place=place, items=bill, ytd=ytd, offsite=offsite)
    for line in result.lines:
        assert line.fund_fen >= 0 and line.assistance_fen >= 0 and line.resident_fen >= 0
        assert line.fund_fen + line.assistance_fen + line.resident_fen == line.item.amount_fen
        assert line.eligible_fen == line.deductible_fen + line.covered_fen
        assert line.fund_fen <= line.covered_fen
        if subject.assistance_group == "none":
            assert sum(r.amount_fen for r in line.reasons) == line.item.amount_fen - line.fund_fen
    # Usage only grows, by exactly what the lines used.
    before, after = result.before, result.after
    for field in dataclasses.fields(YearToDate):
        assert getattr(after, field.name) >= getattr(before, field.name)
    assert (after.outpatient_fund_fen - before.outpatient_fund_fen) + (
        after.dual_fund_fen - before.dual_fund_fen
    ) == result.fund_fen
    assert after.assistance_paid_fen - before.assistance_paid_fen == result.assistance_fen
    # Caps: the fund never pays past a cap that was not already exceeded.
    retired = subject.insurance_type == "retired"
    employee = subject.insurance_type in ("employee", "retired")
    cap = (
        (RULES.employee_cap_retired_fen if retired else RULES.employee_cap_active_fen)
        if employee
        else RULES.resident_annual_cap_fen
    )
    assert after.outpatient_fund_fen <= max(cap, before.outpatient_fund_fen)
    assert after.assistance_paid_fen <= max(RULES.assist_annual_cap_fen, before.assistance_paid_fen)


@settings(max_examples=150, deadline=None)
@given(subject=subjects, place=places, bill=items, ytd=ytds)
def test_splitting_a_bill_into_two_settlements_changes_nothing(subject, place, bill, ytd) -> None:
    whole = calculate(rules=RULES, subject=subject, place=place, items=bill, ytd=ytd)
    half = len(bill) // 2
    first = calculate(rules=RULES, subject=subject, place=place, items=bill[:half], ytd=ytd)
    second = calculate(rules=RULES, subject=subject, place=place, items=bill[half:], ytd=first.after)
    assert first.fund_fen + second.fund_fen == whole.fund_fen
    assert first.assistance_fen + second.assistance_fen == whole.assistance_fen
    assert second.after == whole.after
