"""Reads: the rule set in force, and a person's year-to-date benefit state."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import connection
from django.db.models import Q, Sum

from payments.benefits.engine import Item, Offsite, Rules, YearToDate
from payments.benefits.models import BenefitUsage, NegotiatedDrug, PolicyRuleSet
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
    values = {name: getattr(rule_set, name) for name in _RULE_FIELDS}
    values["excluded_categories"] = tuple(values["excluded_categories"] or ())
    return Rules(**values)


def year_to_date(*, person: Person, year: int) -> YearToDate:
    """Sum of the settled benefit records of the year, per bucket (reversals are negative rows)."""
    rows = (
        BenefitUsage.objects.filter(person=person, year=year)
        .values("scheme")
        .annotate(deductible=Sum("deductible_fen"), paid=Sum("paid_fen"))
    )
    return YearToDate({row["scheme"]: (row["deductible"] or 0, row["paid"] or 0) for row in rows})


_FACTS_SQL = (
    "SELECT scheme, SUM(deductible_fen), SUM(paid_fen) FROM payments_benefitusage "
    "WHERE person_id = %s AND year = %s GROUP BY scheme "
    "UNION ALL SELECT '', COUNT(*), 0 FROM people_contribution WHERE person_id = %s AND year = %s AND paid "
    "UNION ALL SELECT '-', COUNT(*), 0 FROM people_contributionlapse "
    "WHERE person_id = %s AND starts_on <= %s AND (ends_on IS NULL OR ends_on >= %s)"
)


def benefit_facts(*, person_id: int, on: dt.date) -> tuple[YearToDate, bool]:
    """The year's usage, and whether contributions cover the day (the year paid, and no lapse on that day),
    in one statement (the settle path)."""
    year = on.year
    with connection.cursor() as cursor:
        cursor.execute(_FACTS_SQL, [person_id, year, person_id, year, person_id, on, on])
        rows = cursor.fetchall()
    paid = any(scheme == "" and count > 0 for scheme, count, _ in rows)
    lapsed = any(scheme == "-" and count > 0 for scheme, count, _ in rows)
    usage = {scheme: (int(d or 0), int(p or 0)) for scheme, d, p in rows if scheme not in ("", "-")}
    return YearToDate(usage), paid and not lapsed


def with_first_self_pay(*, items: list[Item], region_id: int, on: dt.date) -> list[Item]:
    """The items, each dual-channel drug with its first self-pay share (先行自付比例) on that day from the
    region's negotiated-drug list (0 for a drug not on it). One query, and none without dual-channel items."""
    codes = {item.code for item in items if item.dual_channel}
    if not codes:
        return items
    shares: dict[str, int] = {}
    for code, bp in (
        NegotiatedDrug.objects.filter(region_id=region_id, code__in=codes, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("effective_from")
        .values_list("code", "first_self_pay_bp")
    ):
        shares[code] = bp  # the latest period wins
    return [
        dataclasses.replace(item, first_self_pay_bp=shares.get(item.code, 0)) if item.dual_channel else item
        for item in items
    ]


def offsite_status(*, person: Person, institution: Institution, on: dt.date) -> Offsite:
    """Whether care at this institution is local, or off-site with a long-term filing, a temporary one,
    or none (异地就医备案, portal.offsite)."""
    if institution.region_id == person.region_id:
        return "local"
    from portal.offsite.selectors import coverage

    return coverage(person=person, region_code=institution.region.code, on=on)


def forget_rule_sets(**kwargs: object) -> None:
    _rule_sets.forget()
