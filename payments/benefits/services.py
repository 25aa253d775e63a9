"""Estimating a bill, and recording (and releasing) what a settlement used of yearly benefits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction

from payments.benefits.engine import Breakdown, Item, Place, Subject, calculate
from payments.benefits.models import BenefitUsage
from payments.benefits.selectors import offsite_status, rule_set_on, rules_of, year_to_date
from portal.errors import DomainError, define
from portal.institutions.models import Institution
from portal.people.models import Person
from portal.people.selectors import contribution_paid

MAX_ITEMS = 500

TOO_MANY_ITEMS = define("too_many_items", 400, "一张账单最多 {max} 项费用", "A bill can have at most {max} items")
BENEFITS_ALREADY_RECORDED = define(
    "benefits_already_recorded",
    409,
    "该结算的待遇已记录",
    "Benefits for this settlement were already recorded",
)


def _subject(person: Person, year: int) -> Subject:
    return Subject(
        insurance_type=person.insurance_type,
        assistance_group=person.assistance_group,
        insured=person.insured,
        contribution_paid=contribution_paid(person=person, year=year),
    )


def _place(institution: Institution) -> Place:
    return Place(
        kind=institution.kind,
        level=institution.level,
        is_primary_level=institution.is_primary_level,
        designated=institution.designated,
    )


def benefit_estimate(
    *, person: Person, institution: Institution, service_date: dt.date, items: Sequence[Item]
) -> Breakdown:
    """What the fund, assistance and the resident would pay. Changes nothing."""
    if len(items) > MAX_ITEMS:
        raise DomainError(TOO_MANY_ITEMS, max=MAX_ITEMS)
    rule_set = rule_set_on(region=person.region, on=service_date)
    breakdown = calculate(
        rules=rules_of(rule_set),
        subject=_subject(person, service_date.year),
        place=_place(institution),
        items=list(items),
        ytd=year_to_date(person=person, year=service_date.year),
        offsite=offsite_status(person=person, institution=institution, on=service_date),
    )
    breakdown.rule_set_id, breakdown.rule_set_name = rule_set.pk, rule_set.name
    return breakdown


def benefit_commit(
    *,
    person: Person,
    institution: Institution,
    service_date: dt.date,
    items: Sequence[Item],
    reference: str,
    computed_under_lock: Breakdown | None = None,
) -> Breakdown:
    """Calculate again under the person's lock and record what this settlement uses.

    Two settlements for one person serialise on the person row, so they cannot both spend the same
    remaining deductible or cap. Call inside the settlement's own transaction. A caller that already
    holds the person's lock and calculated under it may pass that result (``computed_under_lock``).
    """
    with transaction.atomic():
        if computed_under_lock is None:
            Person.objects.select_for_update().filter(pk=person.pk).first()
            breakdown = benefit_estimate(person=person, institution=institution, service_date=service_date, items=items)
        else:
            breakdown = computed_under_lock
        before, after = breakdown.before, breakdown.after
        rows = [
            (
                BenefitUsage.Scheme.OUTPATIENT,
                after.outpatient_deductible_fen - before.outpatient_deductible_fen,
                after.outpatient_fund_fen - before.outpatient_fund_fen,
            ),
            (
                BenefitUsage.Scheme.DUAL_CHANNEL,
                after.dual_deductible_fen - before.dual_deductible_fen,
                after.dual_fund_fen - before.dual_fund_fen,
            ),
            (
                BenefitUsage.Scheme.ASSISTANCE,
                after.assistance_deductible_fen - before.assistance_deductible_fen,
                after.assistance_paid_fen - before.assistance_paid_fen,
            ),
        ]
        try:
            with transaction.atomic():
                BenefitUsage.objects.bulk_create(
                    BenefitUsage(
                        person=person,
                        year=service_date.year,
                        scheme=scheme,
                        deductible_fen=deductible,
                        paid_fen=paid,
                        reference=reference,
                        service_date=service_date,
                    )
                    for scheme, deductible, paid in rows
                    if deductible or paid
                )
        except IntegrityError:
            raise DomainError(BENEFITS_ALREADY_RECORDED) from None
    return breakdown


def benefit_release(*, reference: str) -> int:
    """Give back what a settlement used (reversal or refund): negative rows, once. Returns rows written."""
    with transaction.atomic():
        used = list(BenefitUsage.objects.filter(reference=reference, is_reversal=False))
        if not used:
            return 0
        Person.objects.select_for_update().filter(pk=used[0].person_id).first()
        try:
            with transaction.atomic():
                BenefitUsage.objects.bulk_create(
                    BenefitUsage(
                        person_id=row.person_id,
                        year=row.year,
                        scheme=row.scheme,
                        deductible_fen=-row.deductible_fen,
                        paid_fen=-row.paid_fen,
                        reference=reference,
                        service_date=row.service_date,
                        is_reversal=True,
                    )
                    for row in used
                )
        except IntegrityError:
            return 0  # already released: releasing twice does nothing
    return len(used)
