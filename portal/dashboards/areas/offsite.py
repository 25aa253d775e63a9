"""Off-site filings received, verified and approved, by category and by destination.

Counted as the staff figures (portal.offsite.selectors.figures) and the bulletins count them: received is
every filing made; a commitment filing is in force at once and a sample is verified afterwards (selected,
verified, found true, revoked); filings on documents are approved or rejected by staff.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from portal import divisions
from portal.dashboards.areas import in_period, in_region
from portal.dashboards.tables import Chart, Scope, Table
from portal.errors import Bilingual, localized_label
from portal.offsite.models import FilingCategory, OffsiteFiling

TOP_DESTINATIONS = 30
COUNTS: dict[str, Any] = {
    "received": Count("id"),
    "commitment": Count("id", filter=Q(basis="commitment")),
    "selected": Count("id", filter=Q(verification__in=["selected", "confirmed", "rejected"])),
    "verified": Count("id", filter=Q(verification__in=["confirmed", "rejected"])),
    "verified_true": Count("id", filter=Q(verification="confirmed")),
    "revoked": Count("id", filter=Q(status="revoked")),
    "approved": Count("id", filter=Q(basis="materials", status__in=["active", "cancelled", "expired"])),
    "rejected": Count("id", filter=Q(status="rejected")),
}
COLUMNS = [
    Bilingual("受理", "Received"),
    Bilingual("承诺制", "On commitment"),
    Bilingual("抽中核查", "Selected for verification"),
    Bilingual("已核查", "Verified"),
    Bilingual("核查属实", "Found true"),
    Bilingual("核查不实撤销", "Revoked as false"),
    Bilingual("材料审核通过", "Approved on documents"),
    Bilingual("审核未通过", "Rejected"),
]


def tables(scope: Scope) -> list[Table]:
    """Two queries: filings made in the period by people of the region, grouped by category, by destination."""
    filings = OffsiteFiling.objects.filter(**in_period(scope, "created_at"), **in_region(scope, "person__region"))
    labels = dict(FilingCategory.Code.choices)
    by_category = Table(
        key="filings_by_category",
        title=Bilingual("异地就医备案（按人员类别）", "Off-site filings by category"),
        columns=[Bilingual("人员类别", "Category"), *COLUMNS],
        chart=Chart("bar", (1, 4, 7)),
    )
    found = {row["category__code"]: row for row in filings.values("category__code").annotate(**COUNTS)}
    for code in FilingCategory.Code:
        row = found.get(code.value, {})
        by_category.rows.append([localized_label(labels[code.value])] + [row.get(k, 0) for k in COUNTS])
    by_destination = Table(
        key="filings_by_destination",
        title=Bilingual("异地就医备案（按就医地）", "Off-site filings by destination"),
        columns=[Bilingual("就医地", "Destination"), *COLUMNS],
        chart=Chart("bar", (1, 4, 7)),
        note=Bilingual("受理最多的前30个就医地", "The 30 destinations with the most filings"),
    )
    for row in (
        filings.values("destination_code")
        .annotate(**COUNTS)
        .order_by("-received", "destination_code")[:TOP_DESTINATIONS]
    ):
        by_destination.rows.append([divisions.place_name(row["destination_code"])] + [row[k] for k in COUNTS])
    return [by_category, by_destination]
