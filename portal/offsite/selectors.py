"""Reads: whether a filing covers care at a place on a date, and figures for staff."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Count, Q

from portal.offsite.models import OffsiteFiling
from portal.people.models import Person

Coverage = Literal["filed", "temporary", "not_filed"]


def filing_covering(*, person: Person, region_code: str, on: dt.date) -> OffsiteFiling | None:
    """The active filing (or one that was active on that date) for care in ``region_code`` on ``on``."""
    return (
        OffsiteFiling.objects.select_related("category")
        .filter(person=person, destination_code=region_code, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .filter(
            Q(status=OffsiteFiling.Status.ACTIVE)
            | Q(
                status__in=[OffsiteFiling.Status.CANCELLED, OffsiteFiling.Status.REVOKED, OffsiteFiling.Status.EXPIRED],
                ended_on__gt=on,
            )
        )
        .order_by("-start_date")
        .first()
    )


def coverage(*, person: Person, region_code: str, on: dt.date) -> Coverage:
    """Long-term filings: outpatient pooling applies there; temporary trips and referrals: it does not."""
    filing = filing_covering(person=person, region_code=region_code, on=on)
    if filing is None:
        return "not_filed"
    return "filed" if filing.category.outpatient_pooling else "temporary"


def figures() -> dict[str, Any]:
    """Received, verified, approved and rejected filings, by category and by destination."""

    def table(field: str) -> dict[str, dict[str, int]]:
        rows = OffsiteFiling.objects.values(field).annotate(
            received=Count("id"),
            commitment=Count("id", filter=Q(basis="commitment")),
            selected=Count("id", filter=Q(verification__in=["selected", "confirmed", "rejected"])),
            verified=Count("id", filter=Q(verification__in=["confirmed", "rejected"])),
            verified_true=Count("id", filter=Q(verification="confirmed")),
            revoked=Count("id", filter=Q(status="revoked")),
            approved=Count("id", filter=Q(basis="materials", status__in=["active", "cancelled", "expired"])),
            rejected=Count("id", filter=Q(status="rejected")),
        )
        return {row.pop(field): row for row in rows}

    return {"by_category": table("category__code"), "by_destination": table("destination_code")}
