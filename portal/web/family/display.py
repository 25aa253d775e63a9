"""Small helpers shaping family data for the pages, in the request's language."""

from __future__ import annotations

from typing import Any

from portal.errors import Bilingual
from portal.people.models import Person
from vouchers.models import FamilyHolding


def label(choice_label: object) -> str:
    """A model choice's ``"中文 / English"`` label, in the request's language."""
    zh, _, en = str(choice_label).partition(" / ")
    return Bilingual(zh, en or zh).localized()


def holding_row(holding: FamilyHolding, me: Person) -> dict[str, Any]:
    """What a page shows of one family-display holding, seen from ``me``'s side (as the API's body)."""
    mine = holding.holder_id == me.pk
    return {
        "holding": holding,
        "other": holding.relative if mine else holding.holder,
        "role": "holder" if mine else "relative",
        "status": label(holding.get_status_display()),
        "consent": label(holding.get_consent_display()) if holding.consent else "",
        "pending": holding.status == FamilyHolding.Status.PENDING,
    }
