"""The dashboards, each with the staff group that may open it (superusers open every one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.dashboards.areas import family, offsite, orders, qa, settlements, vouchers
from portal.dashboards.tables import Scope, Table
from portal.errors import Bilingual


@dataclass(frozen=True)
class Area:
    slug: str
    group: str  # the auth Group; created by migrations/0001_dashboard_groups.py
    title: Bilingual
    tables: Callable[[Scope], list[Table]]


AREAS = [
    Area("vouchers", "dashboards: vouchers", Bilingual("电子凭证", "E-vouchers"), vouchers.tables),
    Area("settlements", "dashboards: settlements", Bilingual("结算", "Settlements"), settlements.tables),
    Area("orders", "dashboards: online orders", Bilingual("线上订单", "Online orders"), orders.tables),
    Area("family", "dashboards: family sharing", Bilingual("家庭共济", "Family sharing"), family.tables),
    Area("offsite", "dashboards: off-site filings", Bilingual("异地就医备案", "Off-site filings"), offsite.tables),
    Area("qa", "dashboards: policy Q&A", Bilingual("政策问答", "Policy Q&A"), qa.tables),
]
BY_SLUG = {area.slug: area for area in AREAS}


def areas_for(user: object) -> list[Area]:
    """The dashboards ``user`` may open: one query for the user's groups."""
    if not getattr(user, "is_active", False) or not getattr(user, "is_staff", False):
        return []
    if getattr(user, "is_superuser", False):
        return list(AREAS)
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    return [area for area in AREAS if area.group in names]
