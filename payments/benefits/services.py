"""Estimating a bill, and recording (and releasing) what a settlement used of yearly benefits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction

from payments.benefits.engine import Breakdown, Item, Place, Subject, Visit, YearToDate, calculate
from payments.benefits.models import BenefitUsage
from payments.benefits.schemes import ASSISTANCE
from payments.benefits.selectors import offsite_status, rule_set_on, rules_of, year_to_date
from portal.concurrency import lock_person
from portal.errors import DomainError, define
from portal.institutions.models import Institution
from portal.people.models import Person
from portal.people.selectors import contribution_covers

MAX_ITEMS = 500

TOO_MANY_ITEMS = define("too_many_items", 400, "一张账单最多 {max} 项费用", "A bill can have at most {max} items")
USAGE_RETURN_EXCEEDS = define(
    "usage_return_exceeds",
    409,
    "退还的待遇超过该笔结算已使用的部分",
    "More benefit would be given back than this settlement used",
)
BENEFITS_ALREADY_RECORDED = define(
    "benefits_already_recorded",
    409,
    "该结算的待遇已记录",
    "Benefits for this settlement were already recorded",
)


def _subject(person: Person, on: dt.date, paid: bool | None = None) -> Subject:
    return Subject(
        insurance_type=person.insurance_type,
        assistance_group=person.assistance_group,
        insured=person.insured,
        contribution_paid=contribution_covers(person=person, on=on) if paid is None else paid,
    )


def _place(institution: Institution) -> Place:
    return Place(
        kind=institution.kind,
        level=institution.level,
        is_primary_level=institution.is_primary_level,
        designated=institution.designated,
    )


def benefit_estimate(
    *,
    person: Person,
    institution: Institution,
    service_date: dt.date,
    items: Sequence[Item],
    facts: tuple[YearToDate, bool] | None = None,
    visit: Visit | None = None,
) -> Breakdown:
    """What the fund, assistance and the resident would pay. Changes nothing.

    ``facts`` (the year's usage and whether contributions cover the day, from ``benefit_facts``) saves
    reading them again when the caller already has them, read under the person's lock. ``visit`` says
    what the caller checked (a prescription, a recognised disease, an emergency, the 三定 rule); whether
    the care is off-site is looked up here."""
    if len(items) > MAX_ITEMS:
        raise DomainError(TOO_MANY_ITEMS, max=MAX_ITEMS)
    rule_set = rule_set_on(region=person.region, on=service_date)
    ytd, paid = facts if facts is not None else (year_to_date(person=person, year=service_date.year), None)
    offsite = offsite_status(person=person, institution=institution, on=service_date)
    breakdown = calculate(
        rules=rules_of(rule_set),
        subject=_subject(person, service_date, paid),
        place=_place(institution),
        items=list(items),
        ytd=ytd,
        visit=replace(visit or Visit(), offsite=offsite),
    )
    breakdown.rule_set_id, breakdown.rule_set_name = rule_set.pk, rule_set.name
    breakdown.assumed_note = rule_set.assumed_note if rule_set.assumed else ""
    return breakdown


def benefit_commit(
    *,
    person: Person,
    institution: Institution,
    service_date: dt.date,
    items: Sequence[Item],
    reference: str,
    computed_under_lock: Breakdown | None = None,
    visit: Visit | None = None,
) -> Breakdown:
    """Calculate again under the person's lock and record what this settlement uses.

    Two settlements for one person serialise on the person row, so they cannot both spend the same
    remaining deductible or cap. Call inside the settlement's own transaction. A caller that already
    holds the person's lock and calculated under it may pass that result (``computed_under_lock``).
    ``reference`` (the settlement or order number) becomes the usage's origin: what is given back later
    is checked against it.
    """
    with transaction.atomic(savepoint=computed_under_lock is None):
        if computed_under_lock is None:
            lock_person(person.pk)
            breakdown = benefit_estimate(
                person=person, institution=institution, service_date=service_date, items=items, visit=visit
            )
        else:
            breakdown = computed_under_lock
        usage = [
            BenefitUsage(
                person_id=person.pk,
                year=service_date.year,
                scheme=bucket,
                deductible_fen=deductible,
                paid_fen=paid,
                origin=reference,
                reference=reference,
                service_date=service_date,
            )
            for bucket, (deductible, paid) in sorted(breakdown.after.minus(breakdown.before).items())
        ]
        if usage:
            if computed_under_lock is not None:
                # The caller's own transaction: a second record for the reference is its integrity error.
                BenefitUsage.objects.bulk_create(usage)
            else:
                try:
                    with transaction.atomic():
                        BenefitUsage.objects.bulk_create(usage)
                except IntegrityError:
                    raise DomainError(BENEFITS_ALREADY_RECORDED) from None
    return breakdown


# --- Giving usage back (reversals, refunds, closing before payment) --------------------------------
#
# Every give-back names the usage's origin (the settlement or order number) and is checked against what
# is left of it, scheme by scheme, under the person's lock: nothing is ever given back twice, to another
# scheme, or beyond what was used. Deductible progress comes back with the money the resident paid.


@dataclass(frozen=True)
class UsageReturn:
    """What to give back of one scheme: deductible progress and what the fund (or assistance) paid."""

    scheme: str
    deductible_fen: int = 0
    paid_fen: int = 0


def _left_of(origin: str) -> tuple[list[BenefitUsage], dict[str, tuple[int, int]]]:
    """The origin's usage rows, and per scheme what is left to give back: (deductible, paid)."""
    rows = list(BenefitUsage.objects.filter(origin=origin))
    left: dict[str, tuple[int, int]] = {}
    for row in rows:
        deductible, paid = left.get(row.scheme, (0, 0))
        left[row.scheme] = (deductible + row.deductible_fen, paid + row.paid_fen)
    return rows, left


def _give_back(origin: str, reference: str, parts: Sequence[UsageReturn]) -> int:
    """The one place that writes negative usage. Call under the person's lock."""
    rows, left = _left_of(origin)
    used = [row for row in rows if not row.is_reversal]
    if not used or any(row.is_reversal and row.reference == reference for row in rows):
        return 0  # nothing was used, or this give-back was already written: doing it twice does nothing
    first = used[0]
    wanted = [p for p in parts if p.deductible_fen or p.paid_fen]
    for part in wanted:
        deductible, paid = left.get(part.scheme, (0, 0))
        if not (0 <= part.deductible_fen <= deductible and 0 <= part.paid_fen <= paid):
            raise DomainError(
                USAGE_RETURN_EXCEEDS,
                details={"origin": origin, "scheme": part.scheme, "left": {"deductible": deductible, "paid": paid}},
            )
    try:
        with transaction.atomic():
            BenefitUsage.objects.bulk_create(
                BenefitUsage(
                    person_id=first.person_id,
                    year=first.year,
                    scheme=part.scheme,
                    deductible_fen=-part.deductible_fen,
                    paid_fen=-part.paid_fen,
                    origin=origin,
                    reference=reference,
                    service_date=first.service_date,
                    is_reversal=True,
                )
                for part in wanted
            )
    except IntegrityError:
        return 0  # written meanwhile by a concurrent call (the person's lock makes this rare)
    return len(wanted)


def _person_of(origin: str) -> int | None:
    return BenefitUsage.objects.filter(origin=origin, is_reversal=False).values_list("person_id", flat=True).first()


def benefit_release(*, reference: str) -> int:
    """Give back everything a settlement or order still holds (reversal, closing unpaid). Once."""
    person_id = _person_of(reference)
    if person_id is None:
        return 0
    with transaction.atomic():
        lock_person(person_id)
        _, left = _left_of(reference)
        parts = [UsageReturn(scheme, d, p) for scheme, (d, p) in left.items() if d > 0 or p > 0]
        return _give_back(reference, reference, parts)


def benefit_return(*, origin: str, reference: str, parts: Sequence[UsageReturn]) -> int:
    """Give back exactly ``parts`` of ``origin`` (a counter refund of items, each item's own figures)."""
    person_id = _person_of(origin)
    if person_id is None:
        return 0
    with transaction.atomic():
        lock_person(person_id)
        return _give_back(origin, reference, parts)


def benefit_return_share(
    *,
    origin: str,
    reference: str,
    fund_fen: int,
    assistance_fen: int,
    resident_refunded_fen: int,
    resident_paid_fen: int,
) -> int:
    """Give back what a refund of amounts (an online order's parts) returns of ``origin``.

    - ``fund_fen`` goes back to the fund's schemes the order used, in proportion to what each still
      holds (the last takes the rounding), so each scheme's year-to-date figure equals what the fund
      still pays for it;
    - ``assistance_fen`` goes back to medical assistance;
    - deductible progress comes back with the resident's money: after this refund, the share of each
      scheme's deductible given back equals the share of the resident's part (everything but the fund)
      refunded so far (``resident_refunded_fen`` of ``resident_paid_fen``, cumulative, this refund
      included), rounded down, and all of it once everything is refunded.
    """
    person_id = _person_of(origin)
    if person_id is None:
        return 0
    with transaction.atomic():
        lock_person(person_id)
        rows, left = _left_of(origin)
        used: dict[str, int] = {}
        for row in rows:
            if not row.is_reversal:
                used[row.scheme] = used.get(row.scheme, 0) + row.deductible_fen
        paid_back: dict[str, int] = {}
        fund_schemes = sorted(s for s, (_, p) in left.items() if s != ASSISTANCE and p > 0)
        holding = sum(left[s][1] for s in fund_schemes)
        if not 0 <= fund_fen <= holding:
            raise DomainError(USAGE_RETURN_EXCEEDS, details={"origin": origin, "fund_left": holding})
        remaining = fund_fen
        for n, fund_scheme in enumerate(fund_schemes):
            take = remaining if n == len(fund_schemes) - 1 else fund_fen * left[fund_scheme][1] // holding
            paid_back[fund_scheme] = take
            remaining -= take
        if assistance_fen:
            paid_back[ASSISTANCE] = assistance_fen
        parts = []
        for scheme in set(used) | set(paid_back):
            deductible_used = used.get(scheme, 0)
            if resident_paid_fen <= 0 or resident_refunded_fen >= resident_paid_fen:
                target = deductible_used
            else:
                target = deductible_used * resident_refunded_fen // resident_paid_fen
            already = deductible_used - left.get(scheme, (0, 0))[0]
            parts.append(UsageReturn(scheme, max(0, target - already), paid_back.get(scheme, 0)))
        return _give_back(origin, reference, parts)
