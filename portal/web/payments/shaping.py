"""Reads and shapes for the payments pages: whose bills I see, labels in my language, amounts in yuan.

Nothing here decides a payment rule; it mirrors what the resident API shows (payments/online/views.py,
payments/settlement/views.py) in a form the templates can print.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payments.online.models import OnlineOrder
from payments.online.orders import Split
from payments.settlement.models import Settlement
from portal.errors import DomainError, localized_label
from portal.ledger.models import LedgerEntry
from portal.money import fen_to_yuan
from portal.people.models import Person
from vouchers.family import people_visible_to


def visible_people(me: Person) -> list[int]:
    """Me, and the relatives whose e-voucher I hold (the same people the resident API lets me see)."""
    return people_visible_to(viewer=me)


TONES = {
    "settled": "ok",
    "succeeded": "ok",
    "pre_settled": "wait",
    "awaiting_cash": "wait",
    "cash_paid": "wait",
    "refunding": "wait",
    "processing": "wait",
    "closed": "off",
    "failed": "bad",
    "needs_attention": "bad",
    "reversed": "off",
}


def tone(status: str) -> str:
    """The badge colour of a status (``ok``, ``wait``, ``bad``, ``off``; refunds and the rest: plain)."""
    return TONES.get(status, "")


def not_found(request: HttpRequest, code: str) -> HttpResponse:
    """A refusal page (404) with the domain error's message in the request's language."""
    return render(request, "web/payments/missing.html", {"error": DomainError(code).message()}, status=404)


@dataclass
class Owner:
    name: str
    yuan: str
    family: bool  # the money came from a family member's account (家庭共济), not the patient's own


@dataclass
class Parts:
    """An order's or settlement's split, in yuan, for ``web/payments/_parts.html``."""

    total: str
    fund: str
    assistance: str
    personal: str
    cash: str
    owners: list[Owner] = field(default_factory=list)
    show_assistance: bool = False


def owners_of(patient: Person, by_owner: list[tuple[int, int]]) -> list[Owner]:
    names = dict(Person.objects.filter(pk__in=[pk for pk, _ in by_owner]).values_list("pk", "name"))
    return [Owner(names.get(pk, ""), fen_to_yuan(fen), pk != patient.pk) for pk, fen in by_owner]


def split_parts(order: OnlineOrder, split: Split) -> Parts:
    """The split a payment would take now (before paying)."""
    return Parts(
        total=fen_to_yuan(split.total_fen),
        fund=fen_to_yuan(split.fund_fen),
        assistance=fen_to_yuan(split.assistance_fen),
        personal=fen_to_yuan(split.personal_fen),
        cash=fen_to_yuan(split.cash_fen),
        owners=owners_of(order.person, list(split.personal_by_owner)),
        show_assistance=split.assistance_fen > 0,
    )


def order_parts(order: OnlineOrder) -> Parts:
    """What the order took (after paying): its stored parts, the personal part by the accounts it came from."""
    by_owner: list[tuple[int, int]] = []
    if order.hold_transaction_id is not None:
        debits = (
            LedgerEntry.objects.filter(
                transaction_id=order.hold_transaction_id, amount__lt=0, account__person__isnull=False
            )
            .order_by("id")
            .values_list("account__person_id", "amount")
        )
        by_owner = [(pk, -amount) for pk, amount in debits]
    return Parts(
        total=fen_to_yuan(order.total_fen),
        fund=fen_to_yuan(order.fund_fen),
        assistance=fen_to_yuan(order.assistance_fen),
        personal=fen_to_yuan(order.personal_fen),
        cash=fen_to_yuan(order.cash_fen),
        owners=owners_of(order.person, by_owner),
        show_assistance=order.assistance_fen > 0,
    )


def split_digest(split: Split) -> str:
    """A fingerprint of the split shown on the page, so that paying authorises exactly what was shown."""
    return hashlib.sha256(json.dumps(split.as_dict(), sort_keys=True).encode()).hexdigest()


def with_return(h5_url: str, back: str) -> str:
    """The channel's H5 page with where to send the payer afterwards (WeChat Pay H5's ``redirect_url``)."""
    parts = urlsplit(h5_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("redirect_url", back)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def order_row(order: OnlineOrder, me: Person) -> dict[str, Any]:
    return {
        "number": order.number,
        "description": order.description,
        "institution": order.institution.name,
        "patient": "" if order.person_id == me.pk else order.person.name,
        "status": order.status,
        "status_label": localized_label(order.get_status_display()),
        "tone": tone(order.status),
        "total": fen_to_yuan(order.total_fen),
        "created_at": order.created_at,
        "expires_at": order.expires_at,
    }


def settlement_row(settlement: Settlement, me: Person) -> dict[str, Any]:
    return {
        "number": settlement.number,
        "institution": settlement.institution.name,
        "patient": "" if settlement.person_id == me.pk else settlement.person.name,
        "status": settlement.status,
        "status_label": localized_label(settlement.get_status_display()),
        "tone": tone(settlement.status),
        "total": fen_to_yuan(settlement.total_fen),
        "cash": fen_to_yuan(settlement.cash_fen),
        "created_at": settlement.created_at,
    }
