"""The settlement receipt: what a pre-settlement answers, and the record kept with each settlement (the
receipt as first returned, answered again to idempotent retries and shown on the residents' pages).

The services work out a :class:`Quote` (the plan, the personal-account legs, cash, review); this module
writes it down in the receipt's long-standing shape. ``payments.settlement.serializers`` documents that
shape and renders it for the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.money import money

if TYPE_CHECKING:
    from payments.settlement.audit import Findings
    from payments.settlement.services import Plan


@dataclass(frozen=True)
class OwnerLeg:
    """What one personal account (the payer's own, or a family initiator's) paid; the name masked."""

    person_id: int
    name: str
    amount_fen: int


@dataclass(frozen=True)
class Quote:
    """A worked-out settlement: settled (``number``) or only previewed (``number`` None)."""

    number: str | None
    status: str
    plan: Plan
    personal_legs: list[OwnerLeg]
    personal_fen: int
    cash_fen: int
    review: bool


def findings_body(findings: Findings) -> dict[str, Any]:
    """The audit's findings (also the details of ``all_items_refused``)."""
    return {
        "findings": [
            {"rule": f.rule.kind, "line": f.line, "action": f.action, "message": f.message()} for f in findings.items
        ]
    }


def receipt_body(quote: Quote) -> dict[str, Any]:
    """The receipt of a quote, in the shape stored in ``Settlement.receipt``."""
    from payments.benefits.engine import REASONS

    plan = quote.plan
    breakdown = plan.breakdown
    lines = iter(breakdown.lines)
    items = []
    for item in plan.items:
        refused = item.line in plan.findings.refused_lines
        line = None if refused else next(lines)
        items.append(
            {
                "line": item.line,
                "code": item.code,
                "name": item.name,
                "quantity": item.quantity,
                "amount": money(item.amount_fen),
                "refused": refused,
                "fund": money(line.fund_fen if line else 0),
                "assistance": money(line.assistance_fen if line else 0),
                "resident": money(line.resident_fen if line else item.amount_fen),
                "reasons": [
                    {
                        "code": r.code,
                        "amount": money(r.amount_fen),
                        "message_zh": REASONS[r.code].zh,
                        "message_en": REASONS[r.code].en,
                    }
                    for r in (line.reasons if line else [])
                ],
                "trace_codes": list(item.trace_codes),
            }
        )
    return {
        "settlement": quote.number,
        "status": quote.status,
        "person": {
            "id": plan.person.pk,
            "name": plan.person.name,
            "id_number_masked": plan.person.id_number_masked,
        },
        "items": items,
        "totals": {
            "amount": money(breakdown.total_fen),
            "fund": money(breakdown.fund_fen),
            "assistance": money(breakdown.assistance_fen),
            "personal_account": money(quote.personal_fen),
            "cash": money(quote.cash_fen),
        },
        "personal_account_by_owner": [
            {"person_id": leg.person_id, "name": leg.name, "amount": money(leg.amount_fen)}
            for leg in quote.personal_legs
        ],
        "review": "flagged" if quote.review else "none",
        "assumed": breakdown.assumed,  # priced with rule figures marked as assumed (not published)
        **findings_body(plan.findings),
    }
