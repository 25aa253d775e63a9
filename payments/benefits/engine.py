"""The benefit calculator: what the pooled fund, medical assistance and the resident pay for a bill.

Pure functions over plain data, so the rules can be read and tested without a database.

Rounding, stated once: each item's fund share and assistance share are computed in integer fen as
``amount * rate_bp / 10000`` rounded half up to the fen; the bill's totals are the sums of its items.
Items are taken in the order given; each uses what the earlier ones left of the deductible and caps.

The deductible (起付线) accumulates across levels: the amounts a person has paid towards it this year
add up, whatever the institution. An employee's visit at a level-1 or unrated institution (or a
pharmacy, which follows the level-1 rules) is covered once 200 yuan has accumulated; a level-2/3 visit
once 400 yuan has accumulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from portal.errors import Bilingual

BP = 10_000

Scheme = Literal["outpatient", "dual_channel"]
Offsite = Literal["local", "filed", "temporary", "not_filed"]

REASONS: dict[str, Bilingual] = {
    "not_insured": Bilingual("未参保或参保状态异常", "not insured, or insurance not active"),
    "no_contribution": Bilingual("本年度未缴费", "no contribution paid for this year"),
    "institution_not_designated": Bilingual("非定点医药机构", "not a designated institution"),
    "offsite_not_filed": Bilingual("异地就医未备案", "off-site care without a filing"),
    "temporary_offsite": Bilingual("临时外出就医不享受门诊统筹", "temporary off-site trip: no outpatient pooling"),
    "outside_catalogue": Bilingual("医保目录外费用", "outside the insurance catalogue"),
    "not_primary_level": Bilingual(
        "居民普通门诊仅限基层医疗机构", "residents' outpatient care is covered only at primary-level institutions"
    ),
    "pharmacy_not_covered": Bilingual(
        "居民普通门诊不含零售药店", "residents' outpatient care does not cover pharmacies"
    ),
    "deductible": Bilingual("起付线以下自付", "below the deductible"),
    "self_pay_ratio": Bilingual("按比例自付部分", "the resident's share above the deductible"),
    "annual_cap_reached": Bilingual("超过年度最高支付限额", "above the annual cap"),
    "assistance_deductible": Bilingual("医疗救助起付线以下", "below the medical-assistance deductible"),
}


@dataclass(frozen=True)
class Rules:
    """The numbers of one region's rule set (fen and basis points)."""

    resident_deductible_fen: int
    resident_rate_bp: int
    resident_annual_cap_fen: int
    resident_primary_only: bool
    resident_pharmacy_covered: bool
    employee_deductible_low_fen: int
    employee_deductible_high_fen: int
    employee_rate_low_bp: int
    employee_rate_high_bp: int
    retiree_bonus_bp: int
    employee_cap_active_fen: int
    employee_cap_retired_fen: int
    dual_deductible_fen: int
    dual_rate_employee_bp: int
    dual_rate_resident_bp: int
    dual_cap_employee_fen: int
    dual_cap_resident_fen: int
    assist_annual_cap_fen: int
    assist_extremely_poor_deductible_fen: int
    assist_extremely_poor_rate_bp: int
    assist_minimum_allowance_deductible_fen: int
    assist_minimum_allowance_rate_bp: int
    assist_fell_back_deductible_fen: int
    assist_fell_back_rate_bp: int
    assist_monitored_deductible_fen: int
    assist_monitored_rate_bp: int

    def assistance(self, group: str) -> tuple[int, int] | None:
        """(deductible, rate) of an assistance group, or None for people outside the four groups."""
        if group not in ("extremely_poor", "minimum_allowance", "fell_back", "monitored"):
            return None
        return getattr(self, f"assist_{group}_deductible_fen"), getattr(self, f"assist_{group}_rate_bp")


@dataclass(frozen=True)
class DiseaseRules:
    """One specified/chronic-disease group's numbers for one person on one date (fen and basis points),
    resolved by portal.diseases for the person's insurance type. The group has its own year-to-date
    bucket (``specified:<group>``) that never mixes with general outpatient care."""

    group: str
    deductible_fen: int
    rate_bp: int
    annual_cap_fen: int
    assumed: bool = False


@dataclass(frozen=True)
class Subject:
    insurance_type: str  # employee | retired | resident
    assistance_group: str = "none"
    insured: bool = True
    contribution_paid: bool = True


@dataclass(frozen=True)
class Place:
    kind: str  # hospital | pharmacy | internet_hospital
    level: str = "1"  # 1 | 2 | 3 | unrated
    is_primary_level: bool = False
    designated: bool = True


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    amount_fen: int
    in_catalogue: bool = True
    dual_channel: bool = False


@dataclass(frozen=True)
class YearToDate:
    """What the person has used this year (from settled records)."""

    outpatient_deductible_fen: int = 0
    outpatient_fund_fen: int = 0
    dual_deductible_fen: int = 0
    dual_fund_fen: int = 0
    assistance_deductible_fen: int = 0
    assistance_paid_fen: int = 0


@dataclass
class Reason:
    code: str
    amount_fen: int

    def text(self, english: bool) -> str:
        reason = REASONS[self.code]
        return reason.en if english else reason.zh


@dataclass
class Line:
    item: Item
    scheme: Scheme | None = None
    eligible_fen: int = 0
    deductible_fen: int = 0
    covered_fen: int = 0
    fund_fen: int = 0
    assistance_fen: int = 0
    rate_bp: int = 0
    reasons: list[Reason] = field(default_factory=list)

    @property
    def resident_fen(self) -> int:
        return self.item.amount_fen - self.fund_fen - self.assistance_fen


@dataclass
class Breakdown:
    lines: list[Line]
    before: YearToDate
    after: YearToDate
    rule_set_id: int | None = None  # which stored rule set produced it (set by the service)
    rule_set_name: str = ""

    @property
    def total_fen(self) -> int:
        return sum(line.item.amount_fen for line in self.lines)

    @property
    def fund_fen(self) -> int:
        return sum(line.fund_fen for line in self.lines)

    @property
    def assistance_fen(self) -> int:
        return sum(line.assistance_fen for line in self.lines)

    @property
    def resident_fen(self) -> int:
        return sum(line.resident_fen for line in self.lines)

    @property
    def eligible_fen(self) -> int:
        return sum(line.eligible_fen for line in self.lines)

    @property
    def deductible_fen(self) -> int:
        return sum(line.deductible_fen for line in self.lines)

    @property
    def covered_fen(self) -> int:
        return sum(line.covered_fen for line in self.lines)


def share(amount_fen: int, rate_bp: int) -> int:
    """``amount * rate`` rounded half up to the fen (amounts are never negative here)."""
    return (amount_fen * rate_bp + BP // 2) // BP


def _blocker(subject: Subject, place: Place, offsite: Offsite, item: Item) -> str | None:
    """Why an item gets no benefit at all, or None."""
    if not subject.insured:
        return "not_insured"
    if not subject.contribution_paid:
        return "no_contribution"
    if not place.designated:
        return "institution_not_designated"
    if offsite == "not_filed":
        return "offsite_not_filed"
    if not item.in_catalogue:
        return "outside_catalogue"
    if item.dual_channel:
        return None
    if offsite == "temporary":
        return "temporary_offsite"
    return None


def calculate(
    *, rules: Rules, subject: Subject, place: Place, items: list[Item], ytd: YearToDate, offsite: Offsite = "local"
) -> Breakdown:
    """Split a bill item by item between the pooled fund, medical assistance and the resident."""
    state = ytd
    lines: list[Line] = []
    employee = subject.insurance_type in ("employee", "retired")
    retired = subject.insurance_type == "retired"
    assistance = rules.assistance(subject.assistance_group)
    for item in items:
        line = Line(item=item)
        lines.append(line)
        blocker = _blocker(subject, place, offsite, item)
        if blocker is None and not item.dual_channel and not employee:
            if place.kind == "pharmacy" and not rules.resident_pharmacy_covered:
                blocker = "pharmacy_not_covered"
            elif rules.resident_primary_only and not place.is_primary_level:
                blocker = "not_primary_level"
        if blocker is not None:
            if item.amount_fen:
                line.reasons.append(Reason(blocker, item.amount_fen))
            continue

        line.eligible_fen = item.amount_fen
        if item.dual_channel:
            line.scheme = "dual_channel"
            threshold = rules.dual_deductible_fen
            accumulated = state.dual_deductible_fen
            line.rate_bp = rules.dual_rate_employee_bp if employee else rules.dual_rate_resident_bp
            cap = rules.dual_cap_employee_fen if employee else rules.dual_cap_resident_fen
            used = state.dual_fund_fen
        else:
            line.scheme = "outpatient"
            accumulated = state.outpatient_deductible_fen
            used = state.outpatient_fund_fen
            if employee:
                low = place.kind == "pharmacy" or place.level in ("1", "unrated")
                threshold = rules.employee_deductible_low_fen if low else rules.employee_deductible_high_fen
                line.rate_bp = (rules.employee_rate_low_bp if low else rules.employee_rate_high_bp) + (
                    rules.retiree_bonus_bp if retired else 0
                )
                cap = rules.employee_cap_retired_fen if retired else rules.employee_cap_active_fen
            else:
                threshold = rules.resident_deductible_fen
                line.rate_bp = rules.resident_rate_bp
                cap = rules.resident_annual_cap_fen

        line.deductible_fen = min(line.eligible_fen, max(0, threshold - accumulated))
        line.covered_fen = line.eligible_fen - line.deductible_fen
        uncapped = share(line.covered_fen, line.rate_bp)
        line.fund_fen = min(uncapped, max(0, cap - used))
        if line.deductible_fen:
            line.reasons.append(Reason("deductible", line.deductible_fen))
        if line.covered_fen - uncapped:
            line.reasons.append(Reason("self_pay_ratio", line.covered_fen - uncapped))
        if uncapped - line.fund_fen:
            line.reasons.append(Reason("annual_cap_reached", uncapped - line.fund_fen))
        if line.scheme == "dual_channel":
            state = replace(
                state,
                dual_deductible_fen=state.dual_deductible_fen + line.deductible_fen,
                dual_fund_fen=state.dual_fund_fen + line.fund_fen,
            )
        else:
            state = replace(
                state,
                outpatient_deductible_fen=state.outpatient_deductible_fen + line.deductible_fen,
                outpatient_fund_fen=state.outpatient_fund_fen + line.fund_fen,
            )

        if assistance is not None:
            # Medical assistance on what is left to the resident of the in-catalogue amount.
            a_deductible, a_rate = assistance
            burden = line.eligible_fen - line.fund_fen
            below = min(burden, max(0, a_deductible - state.assistance_deductible_fen))
            wanted = share(burden - below, a_rate)
            line.assistance_fen = min(wanted, max(0, rules.assist_annual_cap_fen - state.assistance_paid_fen))
            if below:
                line.reasons.append(Reason("assistance_deductible", below))
            state = replace(
                state,
                assistance_deductible_fen=state.assistance_deductible_fen + below,
                assistance_paid_fen=state.assistance_paid_fen + line.assistance_fen,
            )
    return Breakdown(lines=lines, before=ytd, after=state)
