"""Pre-settlement audit (事前审核): rules as data, each refusing an item or flagging the settlement."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import translation

from payments.settlement.models import AuditRule, Settlement, SettlementItem, TraceCode
from portal.institutions.models import Institution
from portal.localcache import LocalCache, local_cache
from portal.people.models import Person


@dataclass(frozen=True)
class ItemInput:
    line: int
    code: str
    name: str
    kind: str
    quantity: int
    unit_price_fen: int
    in_catalogue: bool = True
    dual_channel: bool = False
    days_supply: int | None = None
    trace_codes: tuple[str, ...] = ()

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


@dataclass(frozen=True)
class Prescription:
    number: str
    issued_on: dt.date
    specified_disease: bool = False


@dataclass(frozen=True)
class Finding:
    rule: AuditRule
    line: int | None
    action: str

    def message(self) -> str:
        english = (translation.get_language() or "").startswith("en")
        return self.rule.message_en if english else self.rule.message_zh


@dataclass
class Findings:
    items: list[Finding] = field(default_factory=list)

    @property
    def refused_lines(self) -> set[int]:
        return {f.line for f in self.items if f.action == AuditRule.Action.REFUSE and f.line is not None}

    @property
    def needs_review(self) -> bool:
        return any(f.action == AuditRule.Action.REVIEW for f in self.items)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day (2026-11-30 + 3 months = 2027-02-28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last_day))


LIVE_SETTLEMENTS = (Settlement.Status.SETTLED, Settlement.Status.PARTLY_REFUNDED)


_rules: LocalCache[list[AuditRule]] = local_cache(60)


def rules_for(institution: Institution) -> list[AuditRule]:
    """Active rules of the institution's region, plus those for every region (kept a minute per process)."""
    return _rules.get_or_load(
        institution.region_id,
        lambda: list(
            AuditRule.objects.filter(active=True).filter(Q(region__isnull=True) | Q(region_id=institution.region_id))
        ),
    )


def forget_rules(**kwargs: object) -> None:
    _rules.forget()


def sold_trace_codes(codes: list[str]) -> set[str]:
    return set(TraceCode.objects.filter(code__in=codes, status=TraceCode.Status.SOLD).values_list("code", flat=True))


def evaluate(
    *,
    person: Person,
    institution: Institution,
    service_date: dt.date,
    items: list[ItemInput],
    prescription: Prescription | None,
) -> Findings:
    findings = Findings()
    all_codes = [code for item in items for code in item.trace_codes]
    sold = sold_trace_codes(all_codes) if all_codes else set()
    for rule in rules_for(institution):
        params = rule.params or {}
        for item in items:
            if _violates(rule, params, item, person, institution, service_date, prescription, sold):
                findings.items.append(Finding(rule, item.line, rule.action))
    return findings


def _violates(
    rule: AuditRule,
    params: dict,
    item: ItemInput,
    person: Person,
    institution: Institution,
    service_date: dt.date,
    prescription: Prescription | None,
    sold: set[str],
) -> bool:
    kind = rule.kind
    if kind == AuditRule.Kind.MAX_DAYS_SUPPLY:
        if item.days_supply is None:
            return False
        if params.get("unless_specified_disease") and prescription is not None and prescription.specified_disease:
            return False
        return item.days_supply > int(params.get("max_days", 90))
    if kind == AuditRule.Kind.REPEAT_BEFORE_RUNOUT:
        if item.kind != SettlementItem.Kind.DRUG:
            return False
        last = (
            SettlementItem.objects.filter(
                settlement__person=person,
                settlement__status__in=LIVE_SETTLEMENTS,
                code=item.code,
                refunded_at__isnull=True,
                days_supply__isnull=False,
            )
            .order_by("-settlement__service_date")
            .values_list("settlement__service_date", "days_supply")
            .first()
        )
        if last is None:
            return False
        runs_out = last[0] + dt.timedelta(days=int(last[1] or 0) - int(params.get("tolerance_days", 7)))
        return service_date < runs_out
    if kind == AuditRule.Kind.SPECIFIED_DISEASE_PRESCRIPTION:
        if prescription is None or not prescription.specified_disease:
            return False
        uses = (
            Settlement.objects.filter(
                person=person, prescription_number=prescription.number, status__in=LIVE_SETTLEMENTS
            )
            .values("id")
            .count()
        )
        too_late = service_date > add_months(prescription.issued_on, int(params.get("valid_months", 3)))
        return uses >= int(params.get("max_uses", 3)) or too_late
    if kind == AuditRule.Kind.INSTITUTION_KIND:
        return institution.kind in params.get("institution_kinds", []) and item.kind in params.get("item_kinds", [])
    if kind == AuditRule.Kind.DUPLICATE_TRACE_CODE:
        return any(code in sold for code in item.trace_codes)
    return False
