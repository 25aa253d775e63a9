"""Small rules shared by the recognition and suspension services: who may act for whom, the region's
periods, and month arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt

from portal.diseases.models import DiseasePolicy
from portal.people.models import Person
from vouchers.family import may_act_for as family_access

DEFAULT_RECOGNITION_MONTHS = 24
DEFAULT_SUSPENSION_MONTHS = 12


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter: 31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` starting on ``start`` (two years from 2026-03-01: 2028-02-29)."""
    return add_months(start, months) - dt.timedelta(days=1)


def region_periods(region_id: int) -> tuple[int, int]:
    """(recognition months, suspension months) of a region."""
    policy = DiseasePolicy.objects.filter(region_id=region_id).first()
    if policy is None:
        return DEFAULT_RECOGNITION_MONTHS, DEFAULT_SUSPENSION_MONTHS
    return policy.recognition_valid_months, policy.suspension_months


def may_act_for(by: Person, person_id: int) -> bool:
    """The person themself, or a relative holding their e-voucher code (亲情账户)."""
    return family_access(viewer=by, person_id=person_id)


def role(by: Person, person_id: int) -> str:
    return "resident" if by.pk == person_id else "guardian"
