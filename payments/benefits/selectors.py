"""Reads: the rule set in force, and a person's year-to-date benefit state."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import connection
from django.db.models import Q, Sum

from payments.benefits.engine import Offsite, Rules, YearToDate
from payments.benefits.models import BenefitUsage, PolicyRuleSet
from portal.errors import DomainError, define
from portal.institutions.models import Institution, Region
from portal.localcache import LocalCache, local_cache
from portal.people.models import Person

POLICY_MISSING = define(
    "policy_missing",
    422,
    "统筹区 {region} 在 {date} 没有适用的报销政策",
    "Region {region} has no reimbursement rules in force on {date}",
)

_RULE_FIELDS = [f.name for f in dataclasses.fields(Rules)]


_rule_sets: LocalCache[PolicyRuleSet | None] = local_cache(60)


def rule_set_on(*, region: Region, on: dt.date) -> PolicyRuleSet:
    """The rule set in force (kept a minute per process; staff edits apply here at once)."""
    found = _rule_sets.get_or_load(
        (region.pk, on),
        lambda: (
            PolicyRuleSet.objects.filter(region=region, effective_from__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
            .order_by("-effective_from")
            .first()
        ),
    )
    if found is None:
        raise DomainError(POLICY_MISSING, region=region.code, date=on.isoformat())
    return found


def rules_of(rule_set: PolicyRuleSet) -> Rules:
    return Rules(**{name: getattr(rule_set, name) for name in _RULE_FIELDS})


def year_to_date(*, person: Person, year: int) -> YearToDate:
    """Sum of the settled benefit records of the year (reversals are negative rows)."""
    rows = (
        BenefitUsage.objects.filter(person=person, year=year)
        .values("scheme")
        .annotate(deductible=Sum("deductible_fen"), paid=Sum("paid_fen"))
    )
    return _ytd({row["scheme"]: (row["deductible"] or 0, row["paid"] or 0) for row in rows})


_FACTS_SQL = (
    "SELECT scheme, SUM(deductible_fen), SUM(paid_fen) FROM payments_benefitusage "
    "WHERE person_id = %s AND year = %s GROUP BY scheme "
    "UNION ALL SELECT '', COUNT(*), 0 FROM people_contribution WHERE person_id = %s AND year = %s AND paid"
)


def benefit_facts(*, person_id: int, year: int) -> tuple[YearToDate, bool]:
    """The year's usage and whether the year's contribution is paid, in one statement (the settle path)."""
    with connection.cursor() as cursor:
        cursor.execute(_FACTS_SQL, [person_id, year, person_id, year])
        rows = cursor.fetchall()
    paid = any(scheme == "" and count > 0 for scheme, count, _ in rows)
    return _ytd({scheme: (int(d or 0), int(p or 0)) for scheme, d, p in rows if scheme}), paid


def _ytd(by_scheme: dict[str, tuple[int, int]]) -> YearToDate:
    outpatient = by_scheme.get(BenefitUsage.Scheme.OUTPATIENT, (0, 0))
    dual = by_scheme.get(BenefitUsage.Scheme.DUAL_CHANNEL, (0, 0))
    assistance = by_scheme.get(BenefitUsage.Scheme.ASSISTANCE, (0, 0))
    return YearToDate(
        outpatient_deductible_fen=outpatient[0],
        outpatient_fund_fen=outpatient[1],
        dual_deductible_fen=dual[0],
        dual_fund_fen=dual[1],
        assistance_deductible_fen=assistance[0],
        assistance_paid_fen=assistance[1],
    )


def offsite_status(*, person: Person, institution: Institution, on: dt.date) -> Offsite:
    """Whether care at this institution is local, or off-site with a long-term filing, a temporary one,
    or none (异地就医备案, portal.offsite)."""
    if institution.region_id == person.region_id:
        return "local"
    from portal.offsite.selectors import coverage

    return coverage(person=person, region_code=institution.region.code, on=on)


def forget_rule_sets(**kwargs: object) -> None:
    _rule_sets.forget()
