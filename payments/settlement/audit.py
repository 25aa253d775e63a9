"""Pre-settlement audit (事前审核): rules as data, each refusing an item or flagging the settlement."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import translation

from payments.settlement.models import AuditRule, Settlement, SettlementItem
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
    category: str = ""  # the benefit category (payments.benefits.engine.Item); empty: by kind

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


@dataclass(frozen=True)
class Prescription:
    number: str
    issued_on: dt.date
    specified_disease: bool = False
    prescription_id: int | None = None  # a recorded prescription (payments.prescriptions): its items are known


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


@dataclass
class History:
    """What the rules need from the past, read in one statement before evaluating (see :func:`history`)."""

    sold: set[str] = field(default_factory=set)
    last: dict[str, tuple[dt.date, int]] = field(default_factory=dict)  # drug code -> (service date, days)
    prescription_uses: int = 0
    prescribed: set[str] | None = None  # the drug codes of the recorded prescription, if one backs the sale


_LIVE = "('settled', 'partly_refunded')"


def _marks(values: list[str]) -> str:
    return ", ".join(["%s"] * len(values))


def history(
    *, person_id: int, rules: list[AuditRule], items: list[ItemInput], prescription: Prescription | None, today: dt.date
) -> History:
    """One statement (or none) for every rule that looks at the past: codes already sold, the last
    purchase of each drug, and the uses of the prescription."""
    kinds = {rule.kind for rule in rules}
    # Only placeholders and constants are put into the text; every value goes as a parameter.
    parts: list[str] = []
    params: list[Any] = []
    codes = sorted({code for item in items for code in item.trace_codes})
    if AuditRule.Kind.DUPLICATE_TRACE_CODE in kinds and codes:
        parts.append(
            "SELECT 'sold', code, CAST(NULL AS DATE), CAST(NULL AS INTEGER) FROM payments_tracecode "  # noqa: S608
            f"WHERE status = 'sold' AND code IN ({_marks(codes)})"
        )
        params += codes
    drugs = sorted({item.code for item in items if item.kind == SettlementItem.Kind.DRUG})
    if AuditRule.Kind.REPEAT_BEFORE_RUNOUT in kinds and drugs:
        parts.append(
            "SELECT 'last', i.code, s.service_date, i.days_supply FROM payments_settlementitem i "  # noqa: S608
            "JOIN payments_settlement s ON s.id = i.settlement_id "
            f"WHERE s.person_id = %s AND s.status IN {_LIVE} AND i.refunded_at IS NULL "
            f"AND i.days_supply IS NOT NULL AND s.service_date >= %s AND i.code IN ({_marks(drugs)})"
        )
        params += [person_id, today - dt.timedelta(days=400), *drugs]
    if AuditRule.Kind.SPECIFIED_DISEASE_PRESCRIPTION in kinds and prescription is not None:
        parts.append(
            "SELECT 'uses', '', CAST(NULL AS DATE), COUNT(*) FROM payments_settlement "  # noqa: S608
            f"WHERE person_id = %s AND prescription_number = %s AND status IN {_LIVE}"
        )
        params += [person_id, prescription.number]
    if AuditRule.Kind.NOT_ON_PRESCRIPTION in kinds and prescription is not None and prescription.prescription_id:
        parts.append(
            "SELECT 'rx', code, CAST(NULL AS DATE), CAST(NULL AS INTEGER) FROM prescriptions_prescriptionitem "
            "WHERE prescription_id = %s"
        )
        params.append(prescription.prescription_id)
    found = History()
    if prescription is not None and prescription.prescription_id and AuditRule.Kind.NOT_ON_PRESCRIPTION in kinds:
        found.prescribed = set()
    if not parts:
        return found
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for tag, code, day, number in cursor.fetchall():
            if tag == "sold":
                found.sold.add(code)
            elif tag == "rx" and found.prescribed is not None:
                found.prescribed.add(code)
            elif tag == "uses":
                found.prescription_uses = int(number or 0)
            else:
                day = dt.date.fromisoformat(day) if isinstance(day, str) else day
                if code not in found.last or day > found.last[code][0]:
                    found.last[code] = (day, int(number or 0))
    return found


def evaluate(
    *,
    person: Person,
    institution: Institution,
    service_date: dt.date,
    items: list[ItemInput],
    prescription: Prescription | None,
) -> Findings:
    rules = rules_for(institution)
    past = history(person_id=person.pk, rules=rules, items=items, prescription=prescription, today=service_date)
    findings = Findings()
    for rule in rules:
        params = rule.params or {}
        for item in items:
            if _violates(rule, params, item, institution, service_date, prescription, past):
                findings.items.append(Finding(rule, item.line, rule.action))
    return findings


def _violates(
    rule: AuditRule,
    params: dict,
    item: ItemInput,
    institution: Institution,
    service_date: dt.date,
    prescription: Prescription | None,
    past: History,
) -> bool:
    kind = rule.kind
    if kind == AuditRule.Kind.MAX_DAYS_SUPPLY:
        if item.days_supply is None:
            return False
        if params.get("unless_specified_disease") and prescription is not None and prescription.specified_disease:
            return False
        return item.days_supply > int(params.get("max_days", 90))
    if kind == AuditRule.Kind.REPEAT_BEFORE_RUNOUT:
        if item.kind != SettlementItem.Kind.DRUG or item.code not in past.last:
            return False
        day, days_supply = past.last[item.code]
        runs_out = day + dt.timedelta(days=days_supply - int(params.get("tolerance_days", 7)))
        return service_date < runs_out
    if kind == AuditRule.Kind.SPECIFIED_DISEASE_PRESCRIPTION:
        if prescription is None or not prescription.specified_disease:
            return False
        too_late = service_date > add_months(prescription.issued_on, int(params.get("valid_months", 3)))
        return past.prescription_uses >= int(params.get("max_uses", 3)) or too_late
    if kind == AuditRule.Kind.INSTITUTION_KIND:
        return institution.kind in params.get("institution_kinds", []) and item.kind in params.get("item_kinds", [])
    if kind == AuditRule.Kind.DUPLICATE_TRACE_CODE:
        return any(code in past.sold for code in item.trace_codes)
    if kind == AuditRule.Kind.NOT_ON_PRESCRIPTION:
        # 串换药品: a drug sold against a recorded prescription that the prescription does not name.
        return (
            item.kind == SettlementItem.Kind.DRUG and past.prescribed is not None and item.code not in past.prescribed
        )
    return False
