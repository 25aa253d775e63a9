"""Counter settlements (刷码结算) at pharmacies and hospitals: my history and each receipt.

Read-only; mirrors ``MySettlementsView`` and ``MySettlementView`` in ``payments/settlement/views.py``: the
receipt as stored at settlement time, the status now, the reversal and the refunds.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payments.settlement.models import Settlement
from payments.settlement.services import SETTLEMENT_NOT_FOUND
from portal.errors import Bilingual, localized_label
from portal.money import fen_to_yuan
from portal.people.models import Person
from portal.web.access import resident_required
from portal.web.payments.shaping import Owner, Parts, not_found, settlement_row, visible_people


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


@resident_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    rows = Settlement.objects.filter(person_id__in=visible_people(me)).select_related("institution", "person")[:50]
    return render(request, "web/payments/settlements.html", {"settlements": [settlement_row(s, me) for s in rows]})


def _yuan(amount: Any) -> str:
    """A receipt amount (``{"fen": .., "yuan": ..}``) as yuan."""
    return fen_to_yuan(int(amount["fen"])) if isinstance(amount, dict) else "0.00"


def _items(settlement: Settlement) -> list[dict[str, Any]]:
    refunded = dict(settlement.items.values_list("line", "refunded_at"))
    return [
        {
            "line": item["line"],
            "name": item["name"],
            "code": item["code"],
            "quantity": item["quantity"],
            "amount": _yuan(item["amount"]),
            "fund": _yuan(item["fund"]),
            "assistance": _yuan(item["assistance"]) if item["assistance"]["fen"] else "",
            "resident": _yuan(item["resident"]),
            "refused": item["refused"],
            "refunded_at": refunded.get(item["line"]),
            "reasons": [
                (Bilingual(r["message_zh"], r["message_en"]).localized(), _yuan(r["amount"]))
                for r in item.get("reasons", [])
            ],
        }
        for item in settlement.receipt.get("items", [])
    ]


@resident_required
def settlement_detail(request: HttpRequest, number: str) -> HttpResponse:
    me = _me(request)
    settlement = (
        Settlement.objects.filter(number=number, person_id__in=visible_people(me))
        .select_related("institution", "person")
        .first()
    )
    if settlement is None:
        return not_found(request, SETTLEMENT_NOT_FOUND)
    totals = settlement.receipt.get("totals", {})
    names = {item["line"]: item["name"] for item in settlement.receipt.get("items", [])}
    parts = Parts(
        total=_yuan(totals.get("amount")),
        fund=_yuan(totals.get("fund")),
        assistance=_yuan(totals.get("assistance")),
        personal=_yuan(totals.get("personal_account")),
        cash=_yuan(totals.get("cash")),
        owners=[
            Owner(leg["name"], _yuan(leg["amount"]), leg["person_id"] != settlement.person_id)
            for leg in settlement.receipt.get("personal_account_by_owner", [])
        ],
        show_assistance=settlement.assistance_fen > 0,
    )
    refunds = [
        {
            "items": [names.get(line, str(line)) for line in r.lines],
            "total": fen_to_yuan(r.fund_fen + r.assistance_fen + r.personal_account_fen + r.cash_fen),
            "fund": fen_to_yuan(r.fund_fen) if r.fund_fen else "",
            "assistance": fen_to_yuan(r.assistance_fen) if r.assistance_fen else "",
            "personal": fen_to_yuan(r.personal_account_fen) if r.personal_account_fen else "",
            "cash": fen_to_yuan(r.cash_fen) if r.cash_fen else "",
            "at": r.created_at,
        }
        for r in settlement.refunds.all()
    ]
    flags = [
        Bilingual(f.rule.message_zh, f.rule.message_en).localized()
        for f in settlement.flags.select_related("rule").all()
    ]
    return render(
        request,
        "web/payments/settlement.html",
        {
            "settlement": settlement,
            "row": settlement_row(settlement, me),
            "items": _items(settlement),
            "parts": parts,
            "refunds": refunds,
            "flags": flags,
            "review_label": localized_label(settlement.get_review_display()),
        },
    )
