"""Settling a purchase at the counter after a scan: pre-settlement, settlement, reversal, item refunds.

Money: the pooled fund's and medical assistance's shares go from the region's source accounts to the
institution's receivable; the resident's share comes from personal accounts (own first, then family
initiators in binding order, see portal.family.deduction) as far as they hold, and the rest is cash
paid at the counter. Everything of one settlement commits together or not at all.

Lock order (portal.concurrency): the settlement row (reversal, refunds), the person (benefit usage),
the personal and institution accounts in id order, then traceability codes sorted. Each service takes
them all up front and is retried on a deadlock, then refused with ``busy_retry``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Subquery, Sum
from django.utils import timezone

from payments.benefits.engine import Breakdown, Item
from payments.benefits.models import BenefitUsage
from payments.benefits.selectors import benefit_facts, with_first_self_pay
from payments.benefits.services import UsageReturn, benefit_commit, benefit_estimate, benefit_release, benefit_return
from payments.prescriptions.services import prescription_release
from payments.settlement.audit import Findings, ItemInput, Prescription, evaluate, rules_for
from payments.settlement.entitlement import Backing, backing
from payments.settlement.models import (
    AuditRule,
    Settlement,
    SettlementEvent,
    SettlementFlag,
    SettlementItem,
    SettlementRefund,
    SettlementReviewEvent,
    TraceCode,
    new_settlement_number,
)
from payments.settlement.receipts import OwnerLeg, Quote, findings_body, receipt_body
from portal.concurrency import lock_accounts, lock_person, retry_on_conflict
from portal.errors import DomainError, define
from portal.family.deduction import family_refund, family_wallet, payment_sources, refundable_by_account
from portal.institutions.models import Terminal
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.ledger.services import (
    IDEMPOTENCY_CONFLICT,
    Leg,
    Posting,
    institution_account,
    institution_account_id,
    ledger_post,
    ledger_post_locked,
    ledger_reverse,
    region_account,
    region_account_id,
)
from portal.observability import metrics
from portal.people.models import Person
from portal.transitions import transition
from vouchers.models import ScanSession
from vouchers.scanning import SCAN_SESSION_MINUTES, scan_session_valid

SCAN_SESSION_INVALID = define(
    "scan_session_invalid",
    409,
    "扫码会话无效或已过期，请重新扫码",
    "The scan session is unknown, expired or of another institution; scan the code again",
)
SCAN_SESSION_USED = define(
    "scan_session_used",
    409,
    "该次扫码已完成结算，请重新扫码",
    "This scan was already used for a settlement; scan again",
)
ALL_ITEMS_REFUSED = define(
    "all_items_refused", 422, "所有费用项目均未通过审核", "Every item was refused by the pre-settlement audit"
)
TRACE_CODE_SOLD = define(
    "trace_code_sold", 409, "追溯码已被销售：{codes}", "These traceability codes were already sold: {codes}"
)
SETTLEMENT_NOT_FOUND = define("settlement_not_found", 404, "未找到该结算", "No such settlement")
REVERSAL_REFUSED = define(
    "reversal_refused",
    409,
    "只能由原终端在结算当日冲正未退费的结算",
    "Only the same terminal can reverse a settlement, on the same day, before any refund",
)
REFUND_LINES_INVALID = define(
    "refund_lines_invalid", 400, "退费项目无效或已退费：{lines}", "These items cannot be refunded: {lines}"
)


@dataclass
class Plan:
    """What a settlement would do: the benefit split and the audit findings."""

    person: Person
    items: list[ItemInput]
    accepted: list[ItemInput]
    findings: Findings
    breakdown: Breakdown
    personal_available_fen: int


def request_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _session(*, terminal: Terminal, scan_session_id: str) -> ScanSession:
    try:
        uuid.UUID(str(scan_session_id))
    except ValueError:
        raise DomainError(SCAN_SESSION_INVALID) from None
    session = scan_session_valid(session_id=scan_session_id, terminal=terminal)
    if session is None or session.business_type not in ("02121", "01301"):
        raise DomainError(SCAN_SESSION_INVALID)
    return session


def _available(person: Person) -> int:
    ids = [s.account_id for s in payment_sources(payer=person)]
    return int(LedgerAccount.objects.filter(pk__in=ids).aggregate(t=Sum("balance"))["t"] or 0)


@dataclass(frozen=True)
class Backed:
    """What the terminal says backs the bill: the prescription it settles against (its id, from
    payments.prescriptions), the disease (hospitals, without a prescription), an emergency."""

    prescription_id: int | None = None
    disease_code: str = ""
    emergency: bool = False


def plan(
    *,
    person: Person,
    terminal: Terminal,
    service_date: dt.date,
    items: list[ItemInput],
    prescription: Prescription | None,
    backed: Backed = Backed(),
    with_available: bool = True,
) -> Plan:
    institution = terminal.institution
    checked = backing(
        person=person,
        institution=institution,
        on=service_date,
        prescription_id=backed.prescription_id,
        disease_code=backed.disease_code,
        emergency=backed.emergency,
    )
    findings = evaluate(
        person=person,
        institution=institution,
        service_date=service_date,
        items=items,
        prescription=_audit_prescription(prescription, checked),
    )
    accepted = [item for item in items if item.line not in findings.refused_lines]
    breakdown = benefit_estimate(
        person=person,
        institution=institution,
        service_date=service_date,
        items=_engine_items(accepted, institution, service_date),
        visit=checked.visit,
    )
    return Plan(person, items, accepted, findings, breakdown, _available(person) if with_available else 0)


def _audit_prescription(given: Prescription | None, checked: Backing) -> Prescription | None:
    """The prescription the audit rules look at: the claimed one, else what the terminal typed in."""
    claim = checked.prescription
    if claim is None:
        return given
    return Prescription(claim.number, claim.issued_on, claim.specified_disease, claim.prescription_id)


def _engine_items(accepted: list[ItemInput], institution: Any, service_date: dt.date) -> list[Item]:
    items = [_engine_item(item) for item in accepted]
    return with_first_self_pay(items=items, region_id=institution.region_id, on=service_date)


def _engine_item(item: ItemInput) -> Item:
    category = item.category or ("drug" if item.kind == SettlementItem.Kind.DRUG else "treatment")
    return Item(item.code, item.name, item.amount_fen, item.in_catalogue, item.dual_channel, category)


def presettle(
    *,
    terminal: Terminal,
    scan_session_id: str,
    items: list[ItemInput],
    prescription: Prescription | None,
    use_personal_account: bool = True,
    backed: Backed = Backed(),
) -> Quote:
    """The split and the audit findings, without moving money or using the scan (the receipt is
    payments.settlement.receipts.receipt_body of the answer)."""
    session = _session(terminal=terminal, scan_session_id=scan_session_id)
    result = plan(
        person=session.person,
        terminal=terminal,
        service_date=timezone.localdate(),
        items=items,
        prescription=prescription,
        backed=backed,
    )
    resident = result.breakdown.resident_fen
    personal = min(resident, result.personal_available_fen) if use_personal_account else 0
    return Quote(
        number=None,
        status="preview",
        plan=result,
        personal_legs=[],
        personal_fen=personal,
        cash_fen=resident - personal,
        review=result.findings.needs_review,
    )


@metrics.counts_at_terminal(metrics.SETTLEMENTS, replayed=lambda answer: not answer[1])
@retry_on_conflict
def settle(
    *,
    terminal: Terminal,
    scan_session_id: str,
    idempotency_key: str,
    items: list[ItemInput],
    prescription: Prescription | None,
    use_personal_account: bool,
    body_hash: str,
    backed: Backed = Backed(),
) -> tuple[Settlement, bool]:
    """Move the money. The same key with the same request returns the first settlement.

    Returns the settlement and whether this call created it. About a dozen statements whatever the bill:
    the scan session (with the key's earlier settlement, if any), the person's lock, the family wallet's
    accounts (locked, in id order), the year's usage, the audit's history, then the writes in bulk.
    """
    institution = terminal.institution
    service_date = timezone.localdate()
    # The institution's receivable, created and committed before the money moves (the first settlement of
    # a new institution): a receivable created inside one settlement is invisible to the concurrent ones.
    institution_account_id(institution=institution)
    try:
        with transaction.atomic():
            session = _session_for_settling(terminal, scan_session_id, idempotency_key)  # 1st lock: the person
            if session is None or session.first_id is not None:  # type: ignore[attr-defined]
                raise DomainError(SCAN_SESSION_INVALID)  # unless this key was settled: below
            if session.used:  # type: ignore[attr-defined]
                raise DomainError(SCAN_SESSION_USED)
            settlement = _settle_locked(
                terminal,
                session,
                session.person,
                service_date,
                items,
                prescription,
                use_personal_account,
                (idempotency_key, body_hash),
                backed,
            )
    except (DomainError, IntegrityError) as refusal:
        # Before refusing: was this key settled already? By an earlier call (first_id), or by a concurrent
        # twin that committed while this call waited for the person's lock. The session's query ran before
        # the lock was granted and could not see the twin; the twin's sold traceability codes (the audit)
        # or its unique key and session (the insert) stopped this one, and it answers as the twin did.
        first = Settlement.objects.filter(institution=institution, idempotency_key=idempotency_key).first()
        if first is not None:
            return _same_or_conflict(first, body_hash), False
        if isinstance(refusal, IntegrityError):
            raise DomainError(SCAN_SESSION_USED) from None
        raise
    return settlement, True


def _session_for_settling(terminal: Terminal, scan_session_id: str, idempotency_key: str) -> ScanSession | None:
    """The scan session (a payment one, of this institution, not expired) with its person and region,
    whether a settlement already used it, and the id of an earlier settlement with this key; the person's
    row locked (lock order step 2; there is no subject). One query.

    Both annotations come from the statement's snapshot, taken before the lock was granted: a concurrent
    settlement with the same key or session that commits while this one waits is not seen here, but its
    unique constraints stop this one's insert (IntegrityError, answered in ``settle``)."""
    try:
        uuid.UUID(str(scan_session_id))
    except ValueError:
        return None
    now = timezone.now()
    earlier = Settlement.objects.filter(institution_id=terminal.institution_id, idempotency_key=idempotency_key)
    return (
        ScanSession.objects.select_related("person__region")
        .select_for_update(no_key=True, of=("person",))
        .filter(
            pk=scan_session_id,
            institution_id=terminal.institution_id,
            expires_at__gt=now,
            # Only the months a live session can be in (the table is partitioned by created_at).
            created_at__gt=now - dt.timedelta(minutes=SCAN_SESSION_MINUTES),
            business_type__in=("02121", "01301"),
        )
        .annotate(
            used=Exists(Settlement.objects.filter(scan_session_id=OuterRef("pk"))),
            first_id=Subquery(earlier.values("id")[:1]),
        )
        .first()
    )


def _settle_locked(
    terminal: Terminal,
    session: ScanSession,
    person: Person,
    service_date: dt.date,
    items: list[ItemInput],
    prescription: Prescription | None,
    use_personal_account: bool,
    request: tuple[str, str],
    backed: Backed,
) -> Settlement:
    institution = terminal.institution
    idempotency_key, body_hash = request
    receivable = institution_account_id(institution=institution)
    wallet = family_wallet(payer_id=person.pk, also=[receivable])  # 2nd: the accounts, in id order
    number = new_settlement_number()
    checked = backing(
        person=person,
        institution=institution,
        on=service_date,
        prescription_id=backed.prescription_id,
        disease_code=backed.disease_code,
        emergency=backed.emergency,
        settlement_number=number,
    )
    findings = evaluate(
        person=person,
        institution=institution,
        service_date=service_date,
        items=items,
        prescription=_audit_prescription(prescription, checked),
    )
    accepted = [item for item in items if item.line not in findings.refused_lines]
    if not accepted:
        raise DomainError(ALL_ITEMS_REFUSED, details=findings_body(findings))
    facts = benefit_facts(person_id=person.pk, on=service_date)
    breakdown = benefit_estimate(
        person=person,
        institution=institution,
        service_date=service_date,
        items=_engine_items(accepted, institution, service_date),
        facts=facts,
        visit=checked.visit,
    )
    result = Plan(person, items, accepted, findings, breakdown, wallet.available_fen)
    region = person.region
    fund_legs = []
    if breakdown.fund_fen:
        fund_legs.append(Leg(region_account_id(region=region, kind=LedgerAccount.Kind.FUND), -breakdown.fund_fen))
    if breakdown.assistance_fen:
        assistance = region_account_id(region=region, kind=LedgerAccount.Kind.ASSISTANCE)
        fund_legs.append(Leg(assistance, -breakdown.assistance_fen))
    personal_legs = wallet.draw(breakdown.resident_fen) if use_personal_account and breakdown.resident_fen else []
    personal_fen = -sum(leg.amount for leg in personal_legs)
    postings = []
    if fund_legs:
        insured_share = breakdown.fund_fen + breakdown.assistance_fen
        postings.append(
            Posting(
                LedgerTransaction.Kind.SETTLEMENT,
                (*fund_legs, Leg(receivable, insured_share)),
                "fund and assistance shares",
                number,
                person.pk,
            )
        )
    if personal_legs:
        postings.append(
            Posting(
                LedgerTransaction.Kind.SETTLEMENT,
                (*personal_legs, Leg(receivable, personal_fen)),
                "personal account payment (family sharing)",
                number,
                person.pk,
            )
        )
    txns = ledger_post_locked(postings, balances=wallet.balances)
    fund_txn = txns[0] if fund_legs else None
    personal_txn = txns[-1] if personal_legs else None
    review = findings.needs_review  # codes sold before are the audit's duplicate_trace_code rule
    owners = wallet.owner_names()
    legs_by_owner = [
        OwnerLeg(owner, _masked(name), -leg.amount) for leg in personal_legs for owner, name in [owners[leg.account_id]]
    ]
    audited = _audit_prescription(prescription, checked)
    settlement = Settlement.objects.create(
        number=number,
        institution=institution,
        terminal=terminal,
        scan_session=session,
        person=person,
        idempotency_key=idempotency_key,
        request_hash=body_hash,
        service_date=service_date,
        prescription_number=audited.number if audited else "",
        prescription_issued_on=audited.issued_on if audited else None,
        specified_disease=bool(audited and audited.specified_disease),
        prescription_id=checked.prescription.prescription_id if checked.prescription else None,
        disease_code=checked.disease_code,
        emergency=checked.emergency,
        total_fen=breakdown.total_fen,
        fund_fen=breakdown.fund_fen,
        assistance_fen=breakdown.assistance_fen,
        personal_account_fen=personal_fen,
        cash_fen=breakdown.resident_fen - personal_fen,
        fund_transaction=fund_txn,
        personal_transaction=personal_txn,
        review=Settlement.Review.FLAGGED if review else Settlement.Review.NONE,
        receipt=receipt_body(
            Quote(
                number=number,
                status=Settlement.Status.SETTLED,
                plan=result,
                personal_legs=legs_by_owner,
                personal_fen=personal_fen,
                cash_fen=breakdown.resident_fen - personal_fen,
                review=review,
            )
        ),
    )
    SettlementEvent.objects.create(
        settlement=settlement, to_status=Settlement.Status.SETTLED, note=f"terminal {terminal.key_id}"
    )
    saved = _save_items(settlement, result, breakdown)
    benefit_commit(
        person=person,
        institution=institution,
        service_date=service_date,
        items=[],
        reference=number,
        computed_under_lock=breakdown,
    )
    if _claim_trace_codes(settlement, result, saved, institution.region_id) and not review:
        # Sold by a concurrent sale since the audit looked (in a region that flags rather than refuses).
        settlement.review = Settlement.Review.FLAGGED
        settlement.receipt = {**settlement.receipt, "review": "flagged"}
        Settlement.objects.filter(pk=settlement.pk).update(review=settlement.review, receipt=settlement.receipt)
    if findings.items:
        SettlementFlag.objects.bulk_create(
            SettlementFlag(settlement=settlement, rule=f.rule, line=f.line, action=f.action, message=f.message())
            for f in findings.items
        )
    return settlement


def _same_or_conflict(first: Settlement, body_hash: str) -> Settlement:
    if first.request_hash != body_hash:
        raise DomainError(IDEMPOTENCY_CONFLICT)
    return first


def _masked(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1)


def _save_items(settlement: Settlement, result: Plan, breakdown: Breakdown) -> dict[int, int]:
    """The items, in one statement; returns their ids by line."""
    lines = iter(breakdown.lines)
    rows = []
    for item in result.items:
        refused = item.line in result.findings.refused_lines
        line = None if refused else next(lines)
        rows.append(
            SettlementItem(
                settlement=settlement,
                line=item.line,
                code=item.code,
                name=item.name,
                kind=item.kind,
                quantity=item.quantity,
                unit_price_fen=item.unit_price_fen,
                amount_fen=0 if refused else item.amount_fen,
                in_catalogue=item.in_catalogue,
                dual_channel=item.dual_channel,
                days_supply=item.days_supply,
                scheme=(line.scheme or "") if line else "",
                deductible_fen=line.deductible_fen if line else 0,
                fund_fen=line.fund_fen if line else 0,
                assistance_fen=line.assistance_fen if line else 0,
                resident_fen=line.resident_fen if line else 0,
                reasons=[{"code": r.code, "amount_fen": r.amount_fen} for r in line.reasons] if line else [],
                refunded_at=None,
            )
        )
    return {row.line: row.pk for row in SettlementItem.objects.bulk_create(rows)}


_CLAIM_SQL = (
    "INSERT INTO payments_tracecode (code, item_id, status, created_at) VALUES {rows} "
    "ON CONFLICT (code) WHERE status = 'sold' DO NOTHING RETURNING code"
)


def _claim_trace_codes(settlement: Settlement, result: Plan, item_ids: dict[int, int], region_id: int) -> list[str]:
    """Record each package's code: sold once. A code already sold is refused or, per region, flagged.

    Claimed in one statement, in sorted order (the lock order's last step): two sales sharing codes wait
    for each other on the first shared code instead of deadlocking. Returns the codes found sold."""
    claims = sorted((code, item.line) for item in result.accepted for code in item.trace_codes)
    if not claims:
        return []
    now = timezone.now()
    params: list[Any] = []
    for code, line in claims:
        params += [code, item_ids[line], now]
    sql = _CLAIM_SQL.format(rows=", ".join(["(%s, %s, 'sold', %s)"] * len(claims)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        sold_now = {row[0] for row in cursor.fetchall()}
    duplicates = [(code, line) for code, line in claims if code not in sold_now]
    if not duplicates:
        return []
    review_duplicates = any(
        rule.kind == AuditRule.Kind.DUPLICATE_TRACE_CODE
        and rule.action == AuditRule.Action.REVIEW
        and rule.region_id == region_id
        for rule in rules_for(settlement.institution)
    )
    if not review_duplicates:
        codes = [code for code, _ in duplicates]
        raise DomainError(TRACE_CODE_SOLD, codes=",".join(codes), details={"codes": codes})
    TraceCode.objects.bulk_create(
        TraceCode(code=code, item_id=item_ids[line], status=TraceCode.Status.DUPLICATE) for code, line in duplicates
    )
    return [code for code, _ in duplicates]


# --- Reversal and refunds ------------------------------------------------------------------------


def _move(settlement: Settlement, new: str, *, note: str = "", **fields: Any) -> None:
    transition(
        settlement,
        new,
        transitions=Settlement.TRANSITIONS,
        refused=lambda old: DomainError(REVERSAL_REFUSED),
        history=lambda old, to: SettlementEvent.objects.create(
            settlement=settlement, from_status=old, to_status=to, note=note[:200]
        ),
        **fields,
    )


@retry_on_conflict
def reverse(*, terminal: Terminal, number: str) -> Settlement:
    """冲正: the same terminal, the same day, nothing refunded yet: every leg and benefit goes back."""
    with transaction.atomic():
        settlement = (
            Settlement.objects.select_for_update(no_key=True)
            .filter(number=number, institution=terminal.institution)
            .first()
        )
        if settlement is None:
            raise DomainError(SETTLEMENT_NOT_FOUND)
        if (
            settlement.terminal_id != terminal.pk
            or settlement.status != Settlement.Status.SETTLED
            or settlement.service_date != timezone.localdate()
        ):
            raise DomainError(REVERSAL_REFUSED)
        lock_person(settlement.person_id)
        lock_accounts(_accounts_of(settlement))
        for txn in (settlement.personal_transaction, settlement.fund_transaction):
            if txn is not None:
                ledger_reverse(transaction_id=txn.pk, memo=f"reversal of {settlement.number}")
        benefit_release(reference=settlement.number)
        prescription_release(settlement_number=settlement.number)
        TraceCode.objects.filter(item__settlement=settlement, status=TraceCode.Status.SOLD).update(
            status=TraceCode.Status.RELEASED
        )
        _move(settlement, Settlement.Status.REVERSED, note=f"reversed by {terminal.key_id}", reversed_at=timezone.now())
    return settlement


REVIEW_REFUSED = define(
    "review_refused", 409, "该结算不在待审核状态（{review}）", "This settlement is not waiting for review ({review})"
)


def settlement_review(*, settlement_id: int, outcome: str, by: Any, note: str = "") -> Settlement:
    """Staff decide a flagged settlement: cleared, or a violation confirmed. Recorded with who decided."""
    settlement = Settlement.objects.get(pk=settlement_id)
    return transition(
        settlement,
        outcome,
        field="review",
        transitions=Settlement.REVIEW_TRANSITIONS,
        refused=lambda old: DomainError(REVIEW_REFUSED, review=old),
        history=lambda old, to: SettlementReviewEvent.objects.create(
            settlement=settlement, from_status=old, to_status=to, by=by, note=note[:200]
        ),
    )


def _accounts_of(settlement: Settlement) -> list[int]:
    """Every account a reversal or refund of the settlement may touch: the institution's and the
    personal accounts its payment drew on."""
    txn_ids = [t for t in (settlement.personal_transaction_id, settlement.fund_transaction_id) if t is not None]
    return list(LedgerEntry.objects.filter(transaction_id__in=txn_ids).values_list("account_id", flat=True))


@retry_on_conflict
def refund_items(*, terminal: Terminal, number: str, lines: list[int], idempotency_key: str) -> SettlementRefund:
    """Refund whole items later (any terminal of the institution): fund and assistance back to their
    sources, the resident's share back to the personal accounts it came from (the rest in cash), the
    items' benefit usage restored, their traceability codes released."""
    with transaction.atomic():
        settlement = (
            Settlement.objects.select_for_update(no_key=True)
            .filter(number=number, institution=terminal.institution)
            .first()
        )
        if settlement is None:
            raise DomainError(SETTLEMENT_NOT_FOUND)
        first = settlement.refunds.filter(idempotency_key=idempotency_key).first()
        if first is not None:
            if sorted(first.lines) != sorted(lines):
                raise DomainError(IDEMPOTENCY_CONFLICT)
            return first
        items = {i.line: i for i in settlement.items.all()}
        bad = [
            line
            for line in lines
            if line not in items or items[line].amount_fen == 0 or items[line].refunded_at is not None
        ]
        live = settlement.status in (Settlement.Status.SETTLED, Settlement.Status.PARTLY_REFUNDED)
        if bad or not lines or len(set(lines)) != len(lines) or not live:
            raise DomainError(REFUND_LINES_INVALID, lines=",".join(map(str, bad or lines)))
        lock_person(settlement.person_id)
        receivable = institution_account(institution=settlement.institution)
        lock_accounts([*_accounts_of(settlement), receivable.pk])
        chosen = [items[line] for line in lines]
        fund = sum(i.fund_fen for i in chosen)
        assistance = sum(i.assistance_fen for i in chosen)
        resident = sum(i.resident_fen for i in chosen)
        region = settlement.person.region
        if fund or assistance:
            legs = [Leg(receivable.pk, -(fund + assistance))]
            if fund:
                legs.append(Leg(region_account(region=region, kind=LedgerAccount.Kind.FUND).pk, fund))
            if assistance:
                legs.append(Leg(region_account(region=region, kind=LedgerAccount.Kind.ASSISTANCE).pk, assistance))
            ledger_post(
                kind=LedgerTransaction.Kind.REFUND,
                legs=legs,
                reference=settlement.number,
                refund_of=settlement.fund_transaction,
                beneficiary=settlement.person,
            )
        personal_back = 0
        if settlement.personal_transaction is not None and resident:
            left = sum(refundable_by_account(payment=settlement.personal_transaction).values())
            personal_back = min(resident, left)
            if personal_back:
                family_refund(
                    payment_id=settlement.personal_transaction.pk,
                    amount_fen=personal_back,
                    reference=settlement.number,
                )
        for item in chosen:
            _release_item_benefits(settlement, item)
        SettlementItem.objects.filter(pk__in=[i.pk for i in chosen]).update(refunded_at=timezone.now())
        TraceCode.objects.filter(item__in=chosen, status=TraceCode.Status.SOLD).update(status=TraceCode.Status.RELEASED)
        remaining = settlement.items.filter(refunded_at__isnull=True, amount_fen__gt=0).exists()
        _move(settlement, Settlement.Status.PARTLY_REFUNDED if remaining else Settlement.Status.REFUNDED)
        if not remaining:
            prescription_release(settlement_number=settlement.number)  # nothing bought on it in the end
        return SettlementRefund.objects.create(
            settlement=settlement,
            idempotency_key=idempotency_key,
            lines=lines,
            fund_fen=fund,
            assistance_fen=assistance,
            personal_account_fen=personal_back,
            cash_fen=resident - personal_back,
        )


def _release_item_benefits(settlement: Settlement, item: SettlementItem) -> None:
    """Give back what this item used of the year's deductible, fund and assistance."""
    assistance_deductible = sum(r["amount_fen"] for r in item.reasons if r["code"] == "assistance_deductible")
    benefit_return(
        origin=settlement.number,
        reference=f"{settlement.number}#{item.line}",
        parts=[
            UsageReturn(item.scheme or BenefitUsage.Scheme.OUTPATIENT, item.deductible_fen, item.fund_fen),
            UsageReturn(BenefitUsage.Scheme.ASSISTANCE, assistance_deductible, item.assistance_fen),
        ],
    )
