"""Worked cases from the published rules (shared DOMAIN.md), one row per case, arithmetic in comments.

Rules under test are the shipped data (migration payments.0002), loaded from the database:
- 340600 from 2023-10-01: residents 60%, cap 150 yuan, primary-level only, no pharmacies, no deductible;
  employees deductible 200 (level 1/unrated, pharmacy) / 400 (level 2/3), 60% / 50%, retirees +10 points,
  caps 2,000 / 3,000; dual channel deductible 500, 75% employees / 60% residents, caps 400,000 / 130,000;
  assistance: extremely poor 0 / 80%, minimum allowance 0 / 75%, fell back 1,500 / 70%, monitored 3,000 / 60%,
  cap 50,000.
- 340600 2022-07-01 to 2023-09-30 (assumed figures): employees 50% / 40%, caps 1,500 / 2,000.
- 340500: residents' cap 330 yuan, employees' caps 1,200 yuan.
Amounts are fen: 30000 = 300.00 yuan.
"""

import datetime as dt

import pytest

from payments.benefits.engine import DiseaseRules, Item, Place, Subject, Visit, YearToDate, calculate
from payments.benefits.selectors import rule_set_on, rules_of
from tests import factories

pytestmark = pytest.mark.django_db

NEW = dt.date(2024, 3, 1)  # 2023-10-01 rules
OLD = dt.date(2023, 6, 1)  # 2022-07-01 rules

L1 = Place(kind="hospital", level="1", is_primary_level=True)  # township health centre
VILLAGE = Place(kind="hospital", level="unrated", is_primary_level=True)  # village clinic
L2 = Place(kind="hospital", level="2")
L3 = Place(kind="hospital", level="3")
PHARMACY = Place(kind="pharmacy", level="unrated")
UNDESIGNATED = Place(kind="hospital", level="1", is_primary_level=True, designated=False)

EMP = Subject("employee")
RET = Subject("retired")
RES = Subject("resident")


def item(amount: int, *, in_catalogue: bool = True, dual: bool = False, first: int = 0, category: str = "drug") -> Item:
    return Item(
        code="X",
        name="费用",
        amount_fen=amount,
        in_catalogue=in_catalogue,
        dual_channel=dual,
        category=category,
        first_self_pay_bp=first,
    )


# A specified-disease group (the numbers are this test's own: deductible 100 yuan, 70%, cap 5,000 yuan).
HYPERTENSION = DiseaseRules(group="MT01", deductible_fen=10000, rate_bp=7000, annual_cap_fen=500000)
NO_RX = Visit(prescription=False)  # a pharmacy purchase without a prescription


# (case id, region, date, subject, place, items, year-to-date, offsite,
#  expected (deductible, fund, assistance, resident), reason codes that must appear)
# fmt: off
CASES = [
    # --- employees' outpatient pooling --------------------------------------------------------------
    ("emp first visit below the deductible", "340600", NEW, EMP, L1, [item(15000)], YearToDate(), "local",
     (15000, 0, 0, 15000), {"deductible"}),  # 150 < 200: all deductible
    ("emp first visit above the deductible, level 1", "340600", NEW, EMP, L1, [item(30000)], YearToDate(), "local",
     (20000, 6000, 0, 24000), {"deductible", "self_pay_ratio"}),  # 300-200=100; 100*60%=60; 300-60=240
    ("emp visit exactly at the deductible", "340600", NEW, EMP, L1, [item(20000)], YearToDate(), "local",
     (20000, 0, 0, 20000), {"deductible"}),
    ("emp first visit at level 3", "340600", NEW, EMP, L3, [item(50000)], YearToDate(), "local",
     (40000, 5000, 0, 45000), set()),  # 500-400=100; 100*50%=50
    ("emp level 3 after 200 accumulated at level 1", "340600", NEW, EMP, L3, [item(30000)],
     YearToDate.of(outpatient=(20000, 0)), "local",
     (20000, 5000, 0, 25000), set()),  # needs 400: 200 more; 300-200=100; *50%=50
    ("emp level 3 after 400 accumulated", "340600", NEW, EMP, L3, [item(10000)],
     YearToDate.of(outpatient=(40000, 0)), "local",
     (0, 5000, 0, 5000), set()),  # 100*50%
    ("emp level 1 after 400 accumulated", "340600", NEW, EMP, L1, [item(10000)],
     YearToDate.of(outpatient=(40000, 0)), "local",
     (0, 6000, 0, 4000), set()),  # 100*60%
    ("emp level 1 after 250 accumulated", "340600", NEW, EMP, L1, [item(10000)],
     YearToDate.of(outpatient=(25000, 0)), "local",
     (0, 6000, 0, 4000), set()),  # 250 >= 200
    ("emp level 2 after 250 accumulated", "340600", NEW, EMP, L2, [item(30000)],
     YearToDate.of(outpatient=(25000, 0)), "local",
     (15000, 7500, 0, 22500), set()),  # 400-250=150 deductible; 150*50%=75
    ("retired level 1 above the deductible", "340600", NEW, RET, L1, [item(30000)], YearToDate(), "local",
     (20000, 7000, 0, 23000), set()),  # 100*(60+10)%=70
    ("retired first visit at level 3", "340600", NEW, RET, L3, [item(50000)], YearToDate(), "local",
     (40000, 6000, 0, 44000), set()),  # 100*(50+10)%=60
    ("emp crossing the 2,000 cap", "340600", NEW, EMP, L1, [item(20000)],
     YearToDate.of(outpatient=(20000, 195000)), "local",
     (0, 5000, 0, 15000), {"annual_cap_reached"}),  # 200*60%=120 wanted, 2000-1950=50 left
    ("emp cap already reached", "340600", NEW, EMP, L1, [item(10000)],
     YearToDate.of(outpatient=(20000, 200000)), "local",
     (0, 0, 0, 10000), {"annual_cap_reached"}),
    ("retired above the in-service cap", "340600", NEW, RET, L1, [item(10000)],
     YearToDate.of(outpatient=(20000, 200000)), "local",
     (0, 7000, 0, 3000), set()),  # retired cap 3000: 1000 left; 100*70%=70
    ("retired crossing the 3,000 cap", "340600", NEW, RET, L1, [item(10000)],
     YearToDate.of(outpatient=(20000, 299000)), "local",
     (0, 1000, 0, 9000), {"annual_cap_reached"}),  # 70 wanted, 10 left
    ("emp pharmacy on the level-1 rules", "340600", NEW, EMP, PHARMACY, [item(30000)], YearToDate(), "local",
     (20000, 6000, 0, 24000), set()),  # deductible 200, 60%
    ("emp pharmacy after 200 accumulated", "340600", NEW, EMP, PHARMACY, [item(5000)],
     YearToDate.of(outpatient=(20000, 0)), "local",
     (0, 3000, 0, 2000), set()),  # 50*60%=30
    ("emp two items crossing the deductible", "340600", NEW, EMP, L1, [item(15000), item(15000)], YearToDate(),
     "local",
     (20000, 6000, 0, 24000), set()),  # 150 ded; 50 ded + 100*60%=60
    ("emp item outside the catalogue", "340600", NEW, EMP, L1, [item(10000), item(5000, in_catalogue=False)],
     YearToDate.of(outpatient=(20000, 0)), "local",
     (0, 6000, 0, 9000), {"outside_catalogue"}),  # 60 fund; 40 + 50 resident
    ("emp rounding to the fen", "340600", NEW, EMP, L1, [item(3333)], YearToDate.of(outpatient=(20000, 0)),
     "local",
     (0, 2000, 0, 1333), set()),  # 33.33*60%=19.998 -> 20.00
    ("emp rounding half up", "340600", NEW, EMP, L3, [item(3333)], YearToDate.of(outpatient=(40000, 0)),
     "local",
     (0, 1667, 0, 1666), set()),  # 33.33*50%=16.665 -> 16.67
    ("emp no contribution this year", "340600", NEW, Subject("employee", contribution_paid=False), L1, [item(30000)],
     YearToDate(), "local",
     (0, 0, 0, 30000), {"no_contribution"}),
    ("not insured", "340600", NEW, Subject("employee", insured=False), L1, [item(30000)], YearToDate(), "local",
     (0, 0, 0, 30000), {"not_insured"}),
    ("institution not designated", "340600", NEW, EMP, UNDESIGNATED, [item(30000)], YearToDate(), "local",
     (0, 0, 0, 30000), {"institution_not_designated"}),
    ("off-site without a filing", "340600", NEW, EMP, L1, [item(30000)], YearToDate(), "not_filed",
     (0, 0, 0, 30000), {"offsite_not_filed"}),
    ("temporary off-site trip: no outpatient pooling", "340600", NEW, EMP, L1, [item(30000)], YearToDate(),
     "temporary",
     (0, 0, 0, 30000), {"temporary_offsite"}),
    ("long-term filing: covered off-site", "340600", NEW, EMP, L1, [item(30000)], YearToDate(), "filed",
     (20000, 6000, 0, 24000), set()),
    # --- residents' general outpatient --------------------------------------------------------------
    ("resident at a township health centre", "340600", NEW, RES, L1, [item(10000)], YearToDate(), "local",
     (0, 6000, 0, 4000), {"self_pay_ratio"}),  # no deductible, 100*60%=60
    ("resident at a village clinic", "340600", NEW, RES, VILLAGE, [item(5000)], YearToDate(), "local",
     (0, 3000, 0, 2000), set()),  # 50*60%=30
    ("resident at a level-2 hospital", "340600", NEW, RES, L2, [item(10000)], YearToDate(), "local",
     (0, 0, 0, 10000), {"not_primary_level"}),
    ("resident at a pharmacy", "340600", NEW, RES, PHARMACY, [item(10000)], YearToDate(), "local",
     (0, 0, 0, 10000), {"pharmacy_not_covered"}),
    ("resident crossing the 150 cap", "340600", NEW, RES, L1, [item(5000)], YearToDate.of(outpatient=(0, 14000)),
     "local",
     (0, 1000, 0, 4000), {"annual_cap_reached"}),  # 30 wanted, 10 left
    ("resident cap reached", "340600", NEW, RES, L1, [item(5000)], YearToDate.of(outpatient=(0, 15000)), "local",
     (0, 0, 0, 5000), {"annual_cap_reached"}),
    ("second region: resident cap 330", "340500", NEW, RES, L1, [item(10000)], YearToDate.of(outpatient=(0, 15000)),
     "local",
     (0, 6000, 0, 4000), set()),  # 330-150=180 left; 60
    ("second region: employee cap 1,200", "340500", NEW, EMP, L1, [item(10000)],
     YearToDate.of(outpatient=(20000, 119000)), "local",
     (0, 1000, 0, 9000), {"annual_cap_reached"}),  # 60 wanted, 10 left
    ("second region: retired cap also 1,200", "340500", NEW, RET, L1, [item(10000)],
     YearToDate.of(outpatient=(20000, 120000)), "local",
     (0, 0, 0, 10000), {"annual_cap_reached"}),
    # --- dual-channel negotiated drugs --------------------------------------------------------------
    ("dual channel, employee, first purchase", "340600", NEW, EMP, L3, [item(100000, dual=True)], YearToDate(),
     "local",
     (50000, 37500, 0, 62500), set()),  # 1000-500=500; *75%=375
    ("dual channel, resident at a pharmacy", "340600", NEW, RES, PHARMACY, [item(100000, dual=True)], YearToDate(),
     "local",
     (50000, 30000, 0, 70000), set()),  # 500*60%=300
    ("dual channel after its deductible", "340600", NEW, EMP, PHARMACY, [item(20000, dual=True)],
     YearToDate.of(dual_channel=(50000, 0)), "local",
     (0, 15000, 0, 5000), set()),  # 200*75%
    ("dual-channel deductible is separate from outpatient", "340600", NEW, EMP, L1, [item(60000, dual=True)],
     YearToDate.of(outpatient=(40000, 0)), "local",
     (50000, 7500, 0, 52500), set()),  # 100*75%
    ("dual channel crossing the resident fund cap", "340600", NEW, RES, L3, [item(10000, dual=True)],
     YearToDate.of(dual_channel=(50000, 12_999_000)), "local",
     (0, 1000, 0, 9000), {"annual_cap_reached"}),  # 60 wanted, 130000-129990=10 left
    # --- a date before and after the rule change -------------------------------------------------
    ("2022 rules: level 1 at 50%", "340600", OLD, EMP, L1, [item(30000)], YearToDate(), "local",
     (20000, 5000, 0, 25000), set()),  # 100*50%
    ("2023 rules: the same bill at 60%", "340600", NEW, EMP, L1, [item(30000)], YearToDate(), "local",
     (20000, 6000, 0, 24000), set()),
    ("2022 rules: retired at level 3", "340600", OLD, RET, L3, [item(50000)], YearToDate(), "local",
     (40000, 5000, 0, 45000), set()),  # 100*(40+10)%
    ("2022 rules: cap 1,500", "340600", OLD, EMP, L1, [item(10000)], YearToDate.of(outpatient=(20000, 149000)), "local",
     (0, 1000, 0, 9000), {"annual_cap_reached"}),  # 50 wanted, 10 left
    # --- medical assistance on top (residents at a township health centre) ------------------------
    ("extremely poor: 80% of what is left", "340600", NEW, Subject("resident", "extremely_poor"), L1, [item(10000)],
     YearToDate(), "local",
     (0, 6000, 3200, 800), set()),  # left 40; 40*80%=32
    ("minimum allowance: 75%", "340600", NEW, Subject("resident", "minimum_allowance"), L1, [item(10000)],
     YearToDate(), "local",
     (0, 6000, 3000, 1000), set()),  # 40*75%=30
    ("fell back: below the 1,500 assistance deductible", "340600", NEW, Subject("resident", "fell_back"), L1,
     [item(10000)], YearToDate(), "local",
     (0, 6000, 0, 4000), {"assistance_deductible"}),
    ("fell back: crossing the assistance deductible", "340600", NEW, Subject("resident", "fell_back"), L1,
     [item(10000)], YearToDate.of(assistance=(148000, 0)), "local",
     (0, 6000, 1400, 2600), {"assistance_deductible"}),  # left 40: 20 to deductible, 20*70%=14
    ("monitored: 60% after its deductible", "340600", NEW, Subject("resident", "monitored"), L1, [item(10000)],
     YearToDate.of(assistance=(300000, 0)), "local",
     (0, 6000, 2400, 1600), set()),  # 40*60%=24
    ("assistance annual cap", "340600", NEW, Subject("resident", "extremely_poor"), L1, [item(10000)],
     YearToDate.of(assistance=(0, 4_999_000)), "local",
     (0, 6000, 1000, 3000), set()),  # 32 wanted, 10 left
    ("assistance includes what the fund cap left", "340600", NEW, Subject("resident", "minimum_allowance"), L1,
     [item(10000)], YearToDate.of(outpatient=(0, 15000)), "local",
     (0, 0, 7500, 2500), {"annual_cap_reached"}),  # fund 0; 100*75%=75
    # --- issue 17: the rules that were wrong or missing -------------------------------------------
    ("emp in an assistance group: no assistance on general outpatient", "340600", NEW,
     Subject("employee", "minimum_allowance"), L1, [item(30000)], YearToDate(), "local",
     (20000, 6000, 0, 24000), {"deductible", "self_pay_ratio"}),  # 100*60%=60; was assistance 240*75%=180
    ("resident in an assistance group still gets assistance", "340600", NEW,
     Subject("resident", "minimum_allowance"), L1, [item(30000)], YearToDate(), "local",
     (0, 15000, 11250, 3750), {"annual_cap_reached"}),  # 300*60%=180 capped 150; left 150*75%=112.50
    ("emp pharmacy without a prescription: no pooling", "340600", NEW, EMP, PHARMACY, [item(50000)], YearToDate(),
     NO_RX, (0, 0, 0, 50000), {"no_prescription"}),  # was 180: (500-200)*60%
    ("emp pharmacy with a prescription", "340600", NEW, EMP, PHARMACY, [item(50000)], YearToDate(),
     Visit(prescription=True), (20000, 18000, 0, 32000), set()),  # (500-200)*60%=180
    ("specified disease: its own deductible, not the general one", "340600", NEW, EMP, PHARMACY, [item(30000)],
     YearToDate(), Visit(prescription=True, disease=HYPERTENSION),
     (10000, 14000, 0, 16000), set()),  # 300-100=200; 200*70%=140
    ("general visit after a specified purchase: the general deductible untouched", "340600", NEW, EMP, L1,
     [item(25000)], YearToDate.of(specified_MT01=(10000, 14000)), "local",
     (20000, 3000, 0, 22000), set()),  # 250-200=50; 50*60%=30 (was 150)
    ("specified disease cap", "340600", NEW, EMP, PHARMACY, [item(20000)],
     YearToDate.of(specified_MT01=(10000, 499000)),
     Visit(prescription=True, disease=HYPERTENSION), (0, 1000, 0, 19000), {"annual_cap_reached"}),  # 140 wanted
    ("off-site emergency without filing is covered", "340600", NEW, EMP, L1, [item(30000)], YearToDate(),
     Visit(offsite="not_filed", emergency=True), (20000, 6000, 0, 24000), set()),
    ("off-site emergency on a temporary trip is covered", "340600", NEW, EMP, L1, [item(30000)], YearToDate(),
     Visit(offsite="temporary", emergency=True), (20000, 6000, 0, 24000), set()),
    ("off-site without filing and no emergency", "340600", NEW, EMP, L1, [item(30000)], YearToDate(),
     Visit(offsite="not_filed"), (0, 0, 0, 30000), {"offsite_not_filed"}),
    ("dual channel first self-pay 10%", "340600", NEW, EMP, L3, [item(100000, dual=True, first=1000)], YearToDate(),
     "local", (50000, 30000, 0, 70000), {"first_self_pay", "deductible", "self_pay_ratio"}),
     # 1000*10%=100 first; 900-500=400; 400*75%=300
    ("dual channel outside the 三定 rule", "340600", NEW, EMP, L3, [item(100000, dual=True)], YearToDate(),
     Visit(three_fixed=False), (0, 0, 0, 100000), {"dual_channel_not_designated"}),
    ("dual channel shares the fund cap with specified diseases", "340600", NEW, EMP, L3, [item(10000, dual=True)],
     YearToDate.of(dual_channel=(50000, 0), specified_MT01=(0, 39_995_000)), "local",
     (0, 5000, 0, 5000), {"annual_cap_reached"}),  # 100*75%=75 wanted; 400,000-399,950=50 left of the bundled cap
    ("specified disease within the bundled fund cap", "340600", NEW, EMP, PHARMACY, [item(20000)],
     YearToDate.of(specified_MT01=(10000, 0), dual_channel=(50000, 39_999_000)),
     Visit(prescription=True, disease=HYPERTENSION), (0, 1000, 0, 19000), {"annual_cap_reached"}),  # 10 left
    ("check-ups are not covered", "340600", NEW, EMP, L1, [item(30000, category="checkup")], YearToDate(), "local",
     (0, 0, 0, 30000), {"category_not_covered"}),
    ("no assistance outside the catalogue", "340600", NEW, Subject("resident", "extremely_poor"), L1, [item(10000,
     in_catalogue=False)], YearToDate(), "local",
     (0, 0, 0, 10000), {"outside_catalogue"}),
]
# fmt: on


@pytest.mark.parametrize(
    ("region", "on", "subject", "place", "items", "ytd", "offsite", "expected", "reasons"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_worked_case(region, on, subject, place, items, ytd, offsite, expected, reasons) -> None:
    rules = rules_of(rule_set_on(region=factories.region(region), on=on))
    result = calculate(rules=rules, subject=subject, place=place, items=items, ytd=ytd, visit=_visit(offsite))
    assert (result.deductible_fen, result.fund_fen, result.assistance_fen, result.resident_fen) == expected
    assert result.fund_fen + result.assistance_fen + result.resident_fen == result.total_fen
    found = {reason.code for line in result.lines for reason in line.reasons}
    assert reasons <= found, found


def _visit(column: str | Visit) -> Visit:
    """The cases' last input column: an off-site status (a purchase with a prescription, the common case),
    or a whole visit."""
    return column if isinstance(column, Visit) else Visit(offsite=column, prescription=True)  # type: ignore[arg-type]


def test_a_specified_purchase_then_a_general_visit_run_independently() -> None:
    """门诊规定病种 300 yuan, then an ordinary level-1 visit of 250 yuan (the issue's case): the specified
    purchase uses its group's deductible (100) and pays 140; the general visit still has its whole
    200-yuan deductible ahead: 250-200=50, 50*60%=30 (it paid 150 while the two shared one counter)."""
    rules = rules_of(rule_set_on(region=factories.region("340600"), on=NEW))
    first = calculate(
        rules=rules,
        subject=EMP,
        place=PHARMACY,
        items=[item(30000)],
        ytd=YearToDate(),
        visit=Visit(prescription=True, disease=HYPERTENSION),
    )
    assert (first.deductible_fen, first.fund_fen) == (10000, 14000)
    assert first.after.usage == {"specified:MT01": (10000, 14000)}
    second = calculate(rules=rules, subject=EMP, place=L1, items=[item(25000)], ytd=first.after)
    assert (second.deductible_fen, second.fund_fen) == (20000, 3000)
    assert second.after.usage == {"specified:MT01": (10000, 14000), "outpatient": (20000, 3000)}


def test_an_estimate_on_assumed_rules_says_so() -> None:
    """The 340600 rule set for 2022-07-01..2023-09-30 holds assumed figures: it is marked, and so is every
    result priced with it; the 2023 rules are published."""
    old = rule_set_on(region=factories.region("340600"), on=OLD)
    assert old.assumed and "assumed" in old.assumed_note
    assert calculate(rules=rules_of(old), subject=EMP, place=L1, items=[item(30000)], ytd=YearToDate()).assumed
    new = rules_of(rule_set_on(region=factories.region("340600"), on=NEW))
    assert not calculate(rules=new, subject=EMP, place=L1, items=[item(30000)], ytd=YearToDate()).assumed
    disease = DiseaseRules("MT01", 0, 6000, 100000, assumed=True)
    visit = Visit(prescription=True, disease=disease)
    assert calculate(rules=new, subject=EMP, place=PHARMACY, items=[item(30000)], ytd=YearToDate(), visit=visit).assumed


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


def test_uncovered_amounts_are_explained_to_the_fen() -> None:
    """Every fen the fund does not pay on an item is named by a reason (assistance aside)."""
    rules = rules_of(rule_set_on(region=factories.region("340600"), on=NEW))
    for case in CASES:
        _, _, on, subject, place, items, ytd, offsite, _, _ = case
        if subject.assistance_group != "none" or on != NEW:
            continue
        result = calculate(rules=rules, subject=subject, place=place, items=items, ytd=ytd, visit=_visit(offsite))
        for line in result.lines:
            explained = sum(r.amount_fen for r in line.reasons)
            assert explained == line.item.amount_fen - line.fund_fen, case[0]
