"""参保信息: a person's insurance status and contribution record by year, from what the bureau's data holds.

What is modelled, and so shown: enrolment (``Person.insured``: 参保 or 暂停), the kind of insurance, the
pooling region, the medical-assistance group, each year's contribution flag and payment date
(``Contribution``), periods without contributions (``ContributionLapse``), and the money paid into the
personal account each year (ledger allocations, 个人账户划入). Not modelled, and so not shown: an
enrolment date, contribution amounts or bases, employers.

Residents read their own record: no audit row (staff and terminal reads audit elsewhere).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from portal.ledger.models import LedgerEntry, LedgerTransaction
from portal.ledger.selectors import personal_account
from portal.people.models import Contribution, ContributionLapse, Person
from portal.people.selectors import contribution_covers

YEARS_PER_PAGE = 10


@dataclass(frozen=True)
class Lapse:
    starts_on: dt.date
    ends_on: dt.date | None
    reason: str


@dataclass(frozen=True)
class ContributionYear:
    """``status``: ``paid``, ``unpaid`` or ``no_record`` (no contribution row for the year)."""

    year: int
    status: str
    paid_on: dt.date | None
    lapses: list[Lapse] = field(default_factory=list)
    allocated_fen: int = 0
    allocations: int = 0


@dataclass(frozen=True)
class InsuranceStatus:
    person: Person
    insured: bool
    covered_today: bool
    lapse_now: Lapse | None
    has_personal_account: bool


@dataclass(frozen=True)
class YearsPage:
    years: list[ContributionYear]
    page: int
    pages: int


def insurance_status(*, person: Person) -> InsuranceStatus:
    today = timezone.localdate()
    current = (
        ContributionLapse.objects.filter(person=person, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .order_by("-starts_on")
        .first()
    )
    return InsuranceStatus(
        person=person,
        insured=person.insured,
        covered_today=person.insured and contribution_covers(person=person, on=today),
        lapse_now=Lapse(current.starts_on, current.ends_on, current.reason) if current else None,
        has_personal_account=personal_account(person=person) is not None,
    )


def _allocations_by_year(person: Person) -> dict[int, tuple[int, int]]:
    account = personal_account(person=person)
    if account is None:
        return {}
    out: dict[int, tuple[int, int]] = {}
    rows = (
        LedgerEntry.objects.filter(account=account, transaction__kind=LedgerTransaction.Kind.ALLOCATION)
        .values_list("created_at", "amount")
        .order_by()
    )
    # Summed here, per local year: few rows a year (one or twelve allocations), and no timezone functions in SQL.
    for at, amount in rows:
        year = timezone.localtime(at).year
        total, count = out.get(year, (0, 0))
        out[year] = (total + amount, count + 1)
    return out


def contribution_years(*, person: Person, page: int = 1) -> YearsPage:
    """Every year with a contribution row, a lapse or an allocation, newest first, ``YEARS_PER_PAGE`` a page.
    A page past the last gives the last page."""
    today = timezone.localdate()
    contributions = {c.year: c for c in Contribution.objects.filter(person=person)}
    lapses = [Lapse(x.starts_on, x.ends_on, x.reason) for x in ContributionLapse.objects.filter(person=person)]
    allocations = _allocations_by_year(person)
    years: set[int] = set(contributions) | set(allocations)
    for lapse in lapses:
        years.update(range(lapse.starts_on.year, (lapse.ends_on or today).year + 1))
    ordered = sorted(years, reverse=True)
    pages = max(1, -(-len(ordered) // YEARS_PER_PAGE))
    page = min(max(1, page), pages)
    shown = ordered[(page - 1) * YEARS_PER_PAGE : page * YEARS_PER_PAGE]
    rows = []
    for year in shown:
        row = contributions.get(year)
        status = "no_record" if row is None else "paid" if row.paid else "unpaid"
        total, count = allocations.get(year, (0, 0))
        rows.append(
            ContributionYear(
                year=year,
                status=status,
                paid_on=row.paid_at if row is not None and row.paid else None,
                lapses=[x for x in lapses if x.starts_on.year <= year <= (x.ends_on or today).year],
                allocated_fen=total,
                allocations=count,
            )
        )
    return YearsPage(years=rows, page=page, pages=pages)
