"""Small helpers shaping family data for the pages, in the request's language."""

from __future__ import annotations

from typing import Any

from portal.errors import Bilingual, localized_label
from portal.people.models import Person
from vouchers.models import FamilyHolding

# Statuses in the words of the relatives' codes page (the model says 已解除, the sharing page's verb).
STATUS_WORDS = {
    FamilyHolding.Status.PENDING: Bilingual("等待同意", "Waiting for agreement"),
    FamilyHolding.Status.ACTIVE: Bilingual("可以出示", "Can be shown"),
    FamilyHolding.Status.REMOVED: Bilingual("已移除", "Removed"),
}


def holding_row(holding: FamilyHolding, me: Person) -> dict[str, Any]:
    """What a page shows of one family-display holding, seen from ``me``'s side (as the API's body)."""
    mine = holding.holder_id == me.pk
    known = holding.status == FamilyHolding.Status.ACTIVE and holding.relative is not None
    other = holding.holder if not mine else (holding.relative if known else None)
    return {
        "holding": holding,
        "other": other,
        # Until consent the holder sees only the name they typed (no identity oracle).
        "name": other.name if other is not None else holding.requested_name,
        "masked": other.id_number_masked if (mine and other is not None) else "",
        "role": "holder" if mine else "relative",
        "status": STATUS_WORDS[FamilyHolding.Status(holding.status)].localized(),
        "consent": localized_label(holding.get_consent_display()) if holding.consent else "",
        "pending": holding.status == FamilyHolding.Status.PENDING,
    }
