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

from dataclasses import dataclass, field
from typing import Literal

from payments.benefits.schemes.dual_channel import FUND_ANNUAL, in_fund_annual
from portal.errors import Bilingual

BP = 10_000

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
    "no_prescription": Bilingual(
        "药店购药须凭定点医疗机构处方方可享受门诊统筹",
        "pooling at a pharmacy needs a designated institution's prescription",
    ),
    "dual_channel_not_designated": Bilingual(
        "双通道药品须在定点机构、由责任医师开方并在定点药店购买（三定）",
        "dual-channel drugs need a designated institution, doctor and pharmacy",
    ),
    "category_not_covered": Bilingual(
        "该类费用不属于门诊保障范围（如体检、疫苗）", "not covered (e.g. check-ups, vaccines)"
    ),
    "first_self_pay": Bilingual("先行自付部分", "the share the resident pays first"),
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
    pharmacy_needs_prescription: bool = True
    assist_employee_outpatient: bool = False
    excluded_categories: tuple[str, ...] = ("checkup", "vaccine")
    assumed: bool = False

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
    contribution_paid: bool = True  # paid for the year, and the service date is not in a lapse (停缴期间)


@dataclass(frozen=True)
class Place:
    kind: str  # hospital | pharmacy | internet_hospital
    level: str = "1"  # 1 | 2 | 3 | unrated
    is_primary_level: bool = False
    designated: bool = True


# The benefit categories of a fee item (regions exclude some: ``Rules.excluded_categories``).
ITEM_CATEGORIES = ["drug", "examination", "treatment", "consultation", "material", "checkup", "vaccine"]


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    amount_fen: int
    in_catalogue: bool = True
    dual_channel: bool = False
    category: str = "drug"  # drug | examination | treatment | consultation | material | checkup | vaccine
    first_self_pay_bp: int = 0  # a negotiated drug's first self-pay share (先行自付比例), from its data


@dataclass(frozen=True)
class Visit:
    """What the bill is: where the person stands (off-site or not), and what the caller checked.

    ``prescription``: a designated institution's prescription backs the purchase (electronic, or paper
    recorded with a photo). ``disease``: a specified-disease purchase under a recognised disease, with the
    group's rules. ``emergency``: emergency care (急诊抢救), covered off-site without a filing.
    ``three_fixed``: the 三定 rule holds for dual-channel drugs (institution, doctor, pharmacy)."""

    offsite: Offsite = "local"
    prescription: bool = False
    disease: DiseaseRules | None = None
    emergency: bool = False
    three_fixed: bool = True


@dataclass(frozen=True)
class YearToDate:
    """What the person has used this year, per bucket (``BenefitUsage.scheme``): (deductible, paid)."""

    usage: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, **buckets: tuple[int, int]) -> YearToDate:
        """``YearToDate.of(outpatient=(20000, 0))``; ``specified_X`` names the bucket ``specified:X``."""
        return cls({name.replace("specified_", "specified:", 1): value for name, value in buckets.items()})

    def deductible(self, bucket: str) -> int:
        return self.usage.get(bucket, (0, 0))[0]

    def paid(self, pool: str) -> int:
        """Paid so far in a bucket, or over the fund's annual cap pool (``fund_annual``)."""
        if pool == FUND_ANNUAL:
            return sum(paid for bucket, (_, paid) in self.usage.items() if in_fund_annual(bucket))
        return self.usage.get(pool, (0, 0))[1]

    def add(self, bucket: str, deductible_fen: int, paid_fen: int) -> YearToDate:
        if not deductible_fen and not paid_fen:
            return self
        old = self.usage.get(bucket, (0, 0))
        return YearToDate({**self.usage, bucket: (old[0] + deductible_fen, old[1] + paid_fen)})

    def minus(self, before: YearToDate) -> dict[str, tuple[int, int]]:
        """What was added since ``before``, per bucket (only buckets that changed)."""
        out = {}
        for bucket, (deductible, paid) in self.usage.items():
            d0, p0 = before.usage.get(bucket, (0, 0))
            if deductible - d0 or paid - p0:
                out[bucket] = (deductible - d0, paid - p0)
        return out


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
    scheme: str | None = None  # the bucket it was priced in
    eligible_fen: int = 0
    first_self_pay_fen: int = 0
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
    assumed: bool = False  # priced with rule data marked as assumed (not from a bulletin)
    assumed_note: str = ""  # the rule set's own words on it (set by the service)

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


def _blocker(rules: Rules, subject: Subject, place: Place, visit: Visit, item: Item) -> str | None:
    """Why an item gets no benefit from any scheme, or None."""
    if not subject.insured:
        return "not_insured"
    if not subject.contribution_paid:
        return "no_contribution"
    if not place.designated:
        return "institution_not_designated"
    if visit.offsite == "not_filed" and not visit.emergency:
        return "offsite_not_filed"
    if not item.in_catalogue:
        return "outside_catalogue"
    if item.category in rules.excluded_categories:
        return "category_not_covered"
    return None


def calculate(
    *,
    rules: Rules,
    subject: Subject,
    place: Place,
    items: list[Item],
    ytd: YearToDate,
    visit: Visit | None = None,
) -> Breakdown:
    """Split a bill item by item between the schemes (payments.benefits.schemes), medical assistance and
    the resident. ``visit``: what the bill is (default: local care, no prescription)."""
    from payments.benefits.schemes import ASSISTANCE, SCHEMES, Context

    visit = visit if visit is not None else Visit()
    ctx = Context(rules, subject, place, visit)
    state = ytd
    lines: list[Line] = []
    assistance = rules.assistance(subject.assistance_group)
    for item in items:
        line = Line(item=item)
        lines.append(line)
        scheme = next(s for s in SCHEMES if s.takes(item, ctx))
        blocker = _blocker(rules, subject, place, visit, item) or scheme.blocker(item, ctx)
        if blocker is not None:
            if item.amount_fen:
                line.reasons.append(Reason(blocker, item.amount_fen))
            continue

        terms = scheme.terms(item, ctx)
        line.scheme = terms.bucket
        line.rate_bp = terms.rate_bp
        line.eligible_fen = item.amount_fen
        line.first_self_pay_fen = share(item.amount_fen, terms.first_self_pay_bp)
        in_scheme = line.eligible_fen - line.first_self_pay_fen
        line.deductible_fen = min(in_scheme, max(0, terms.threshold_fen - state.deductible(terms.bucket)))
        line.covered_fen = in_scheme - line.deductible_fen
        uncapped = share(line.covered_fen, line.rate_bp)
        room = min(cap - state.paid(pool) for cap, pool in terms.caps)
        line.fund_fen = min(uncapped, max(0, room))
        if line.first_self_pay_fen:
            line.reasons.append(Reason("first_self_pay", line.first_self_pay_fen))
        if line.deductible_fen:
            line.reasons.append(Reason("deductible", line.deductible_fen))
        if line.covered_fen - uncapped:
            line.reasons.append(Reason("self_pay_ratio", line.covered_fen - uncapped))
        if uncapped - line.fund_fen:
            line.reasons.append(Reason("annual_cap_reached", uncapped - line.fund_fen))
        state = state.add(terms.bucket, line.deductible_fen, line.fund_fen)

        if assistance is not None and terms.assistance:
            # Medical assistance on what is left to the resident of the in-catalogue amount.
            a_deductible, a_rate = assistance
            burden = line.eligible_fen - line.fund_fen
            below = min(burden, max(0, a_deductible - state.deductible(ASSISTANCE)))
            wanted = share(burden - below, a_rate)
            line.assistance_fen = min(wanted, max(0, rules.assist_annual_cap_fen - state.paid(ASSISTANCE)))
            if below:
                line.reasons.append(Reason("assistance_deductible", below))
            state = state.add(ASSISTANCE, below, line.assistance_fen)
    assumed = rules.assumed or (visit.disease is not None and visit.disease.assumed)
    return Breakdown(lines=lines, before=ytd, after=state, assumed=assumed)
