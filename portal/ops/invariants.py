"""The money and entitlement invariants, checked read-only over one consistent snapshot.

Each check returns the violations it found (an empty list when the invariant holds). ``check_all``
runs them inside one read-only REPEATABLE READ transaction on PostgreSQL (one snapshot, so money moving
while it runs cannot produce a false alarm); on SQLite a read transaction gives the same.

What is checked (README, "Operations"):

- every ledger transaction has at least two legs and they sum to zero;
- every balance-keeping account's stored balance equals the sum of its entries, and none is negative;
- refunds never exceed payments: per account a payment drew on (and go only to those accounts), per
  part of an online order, per part of a counter settlement, and no item is refunded twice;
- year-to-date benefit usage is never negative (per person and year, and per settlement or order and
  scheme), stays within the region's caps, and equals, per settlement or order and per payer (fund,
  assistance), what the ledger moved from that payer (money held for an unpaid online order counts);
- each traceability code is sold at most once while its sale stands, and each scan nonce is redeemed
  at most once (a scan session settles at most one purchase, and exists while it is kept);
- each online order is settled (committed to the hospital) at most once, money held for orders is
  exactly what the held accounts carry, and every status history follows its declared transitions,
  each move starting where the previous ended, and ends at the current status.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

LIMIT = 50  # violations kept per check (the count is always exact)


@dataclass
class Result:
    name: str
    description: str
    checked: int = 0
    violations: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, **details: Any) -> None:
        self.count += 1
        if len(self.violations) < LIMIT:
            self.violations.append(details)

    @property
    def ok(self) -> bool:
        return self.count == 0


# --- The ledger ------------------------------------------------------------------------------------


def ledger_balanced() -> Result:
    from portal.ledger.models import LedgerTransaction

    result = Result("ledger_balanced", "every ledger transaction has two or more legs summing to zero")
    rows = LedgerTransaction.objects.annotate(total=Coalesce(Sum("entries__amount"), 0), legs=Count("entries"))
    result.checked = LedgerTransaction.objects.count()
    for txn in rows.filter(Q(legs__lt=2) | ~Q(total=0)).values("pk", "total", "legs", "reference"):
        result.add(transaction=txn["pk"], reference=txn["reference"], sum=txn["total"], legs=txn["legs"])
    return result


def balances_match() -> Result:
    from portal.ledger.models import LedgerAccount

    result = Result("balances_match", "stored balances equal their entries; no guarded account is negative")
    guarded = LedgerAccount.objects.filter(allow_negative=False)
    result.checked = guarded.count()
    for account in (
        guarded.annotate(total=Coalesce(Sum("entries__amount"), 0))
        .filter(~Q(total=F("balance")) | Q(balance__lt=0))
        .values("code", "balance", "total")
    ):
        result.add(account=account["code"], stored=account["balance"], entries=account["total"])
    return result


def refunds_within_payments() -> Result:
    """Per account a payment drew on, the refunds of that payment never give back more than was taken."""
    from portal.ledger.models import LedgerEntry, LedgerTransaction

    result = Result(
        "refunds_within_payments",
        "refunds never exceed payments: per account, per online-order part, per counter item",
    )
    taken: dict[tuple[int, int], int] = defaultdict(int)
    for row in (
        LedgerEntry.objects.filter(
            amount__lt=0,
            transaction_id__in=LedgerTransaction.objects.filter(refund_of__isnull=False).values("refund_of_id"),
        )
        .values("transaction_id", "account_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        taken[(row["transaction_id"], row["account_id"])] = -row["total"]
    given: dict[tuple[int, int], int] = defaultdict(int)
    for row in (
        LedgerEntry.objects.filter(amount__gt=0, transaction__refund_of__isnull=False)
        .values("transaction__refund_of_id", "account_id")
        .annotate(total=Sum("amount"))
    ):
        given[(row["transaction__refund_of_id"], row["account_id"])] += row["total"]
    result.checked += len(given)
    for (payment, account), amount in given.items():
        if (payment, account) not in taken:
            result.add(payment=payment, account=account, taken=0, given_back=amount, problem="never drawn on")
        elif amount > taken[(payment, account)]:
            result.add(payment=payment, account=account, taken=taken[(payment, account)], given_back=amount)
    _online_refund_parts(result)
    _counter_refund_items(result)
    return result


def _online_refund_parts(result: Result) -> None:
    from payments.online.models import OnlineOrder, OnlineRefund

    parts = ("fund", "assistance", "personal", "cash")
    # A refund whose cash part the channel refused still gave its other parts back (at request time).
    counted = {p: Sum(f"{p}_fen", filter=~Q(status=OnlineRefund.Status.FAILED) if p == "cash" else None) for p in parts}
    refunded = OnlineRefund.objects.values("order_id").annotate(**counted).order_by()
    paid = {
        o["pk"]: o
        for o in OnlineOrder.objects.filter(refunds__isnull=False)
        .values("pk", "number", *[f"{p}_fen" for p in parts])
        .distinct()
    }
    for row in refunded:
        order = paid[row["order_id"]]
        result.checked += 1
        for part in parts:
            if (row[part] or 0) > order[f"{part}_fen"]:
                result.add(order=order["number"], part=part, paid=order[f"{part}_fen"], refunded=row[part])


def _counter_refund_items(result: Result) -> None:
    from payments.settlement.models import Settlement, SettlementRefund

    parts = ("fund", "assistance", "cash")
    rows = (
        Settlement.objects.filter(refunds__isnull=False)
        .values("pk", "number", "fund_fen", "assistance_fen", "personal_account_fen", "cash_fen")
        .annotate(
            r_fund=Sum("refunds__fund_fen"),
            r_assistance=Sum("refunds__assistance_fen"),
            r_personal=Sum("refunds__personal_account_fen"),
            r_cash=Sum("refunds__cash_fen"),
        )
    )
    lines_refunded: dict[int, list[int]] = defaultdict(list)
    for settlement_id, lines in SettlementRefund.objects.values_list("settlement_id", "lines"):
        lines_refunded[settlement_id].extend(lines)
    for settlement_id, lines in lines_refunded.items():
        twice = sorted({line for line in lines if lines.count(line) > 1})
        if twice:
            result.add(settlement_id=settlement_id, lines_refunded_twice=twice)
    for row in rows:
        result.checked += 1
        for part in parts:
            if row[f"r_{part}"] > row[f"{part}_fen"]:
                result.add(settlement=row["number"], part=part, paid=row[f"{part}_fen"], refunded=row[f"r_{part}"])
        if row["r_personal"] > row["personal_account_fen"]:
            result.add(
                settlement=row["number"], part="personal", paid=row["personal_account_fen"], refunded=row["r_personal"]
            )


# --- Benefit usage -------------------------------------------------------------------------------


def _caps(year: int) -> dict[tuple[int, str, str], int]:
    """(region id, insurance type, scheme) -> the highest cap of any rule set in force during ``year``."""
    from payments.benefits.models import PolicyRuleSet

    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    caps: dict[tuple[int, str, str], int] = {}
    for rules in PolicyRuleSet.objects.filter(effective_from__lte=end).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=start)
    ):
        # An employee may retire during the year (the cap rises): employees are held to the higher one.
        employee_cap = max(rules.employee_cap_active_fen, rules.employee_cap_retired_fen)
        by_type = {
            ("employee", "outpatient"): employee_cap,
            ("retired", "outpatient"): employee_cap,
            ("resident", "outpatient"): rules.resident_annual_cap_fen,
            ("employee", "dual_channel"): rules.dual_cap_employee_fen,
            ("retired", "dual_channel"): rules.dual_cap_employee_fen,
            ("resident", "dual_channel"): rules.dual_cap_resident_fen,
        }
        for kind in ("employee", "retired", "resident"):
            by_type[(kind, "assistance")] = rules.assist_annual_cap_fen
        for (kind, scheme), cap in by_type.items():
            key = (rules.region_id, kind, scheme)
            caps[key] = max(caps.get(key, 0), cap)
    return caps


def usage_within_caps() -> Result:
    from payments.benefits.models import BenefitUsage

    result = Result("usage_within_caps", "year-to-date usage is never negative and stays within the caps")
    caps_by_year: dict[int, dict[tuple[int, str, str], int]] = {}
    rows = (
        BenefitUsage.objects.values("person_id", "person__region_id", "person__insurance_type", "year", "scheme")
        .annotate(deductible=Sum("deductible_fen"), paid=Sum("paid_fen"))
        .order_by()
    )
    for row in rows:
        result.checked += 1
        caps = caps_by_year.setdefault(row["year"], _caps(row["year"]))
        cap = caps.get((row["person__region_id"], row["person__insurance_type"], row["scheme"]))
        where = {"person": row["person_id"], "year": row["year"], "scheme": row["scheme"]}
        if row["deductible"] < 0 or row["paid"] < 0:
            result.add(**where, deductible=row["deductible"], paid=row["paid"], problem="negative")
        elif cap is not None and row["paid"] > cap:
            result.add(**where, paid=row["paid"], cap=cap, problem="above the cap")
    return result


HELD_STATES = ("awaiting_cash", "cash_paid")


def usage_matches_ledger() -> Result:
    """Per settlement or order: what the usage says the fund (and assistance) paid is what the ledger moved."""
    from payments.benefits.models import BenefitUsage
    from payments.online.models import OnlineOrder, OnlineRefund
    from payments.settlement.models import Settlement
    from portal.ledger.models import LedgerAccount, LedgerEntry

    result = Result(
        "usage_matches_ledger",
        "year-to-date usage equals the fund and assistance shares the ledger moved, per settlement or order",
    )
    assistance = Q(scheme="assistance")  # every other bucket is paid by the pooled fund
    usage: dict[str, list[int]] = {}
    for row in (
        BenefitUsage.objects.values("origin")
        .annotate(
            fund=Coalesce(Sum("paid_fen", filter=~assistance), 0),
            assistance=Coalesce(Sum("paid_fen", filter=assistance), 0),
        )
        .order_by()
    ):
        usage[row["origin"]] = [row["fund"], row["assistance"]]
    origin_of = dict(OnlineRefund.objects.values_list("number", "order__number"))
    moved: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        LedgerEntry.objects.filter(account__kind__in=[LedgerAccount.Kind.FUND, LedgerAccount.Kind.ASSISTANCE])
        .values("transaction__reference", "account__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        reference = row["transaction__reference"]
        origin = origin_of.get(reference, reference)
        slot = 0 if row["account__kind"] == LedgerAccount.Kind.FUND else 1
        moved[origin][slot] -= row["total"]  # money out of the source is what it paid
    held = dict(OnlineOrder.objects.filter(status__in=HELD_STATES).values_list("number", "fund_fen"))
    held_assistance = dict(OnlineOrder.objects.filter(status__in=HELD_STATES).values_list("number", "assistance_fen"))
    attention = set(OnlineOrder.objects.filter(status="needs_attention").values_list("number", flat=True))
    known = set(Settlement.objects.values_list("number", flat=True)) | set(
        OnlineOrder.objects.values_list("number", flat=True)
    )
    for row in (
        BenefitUsage.objects.values("origin", "scheme")
        .annotate(deductible=Sum("deductible_fen"), paid=Sum("paid_fen"))
        .filter(Q(deductible__lt=0) | Q(paid__lt=0))
        .order_by()
    ):
        result.add(
            origin=row["origin"],
            scheme=row["scheme"],
            deductible=row["deductible"],
            paid=row["paid"],
            problem="more given back to this scheme than the origin used",
        )
    for origin in set(usage) | set(moved):
        if origin in attention:
            continue  # staff are on it: its state is theirs to settle
        result.checked += 1
        used = usage.get(origin, [0, 0])
        paid = list(moved.get(origin, [0, 0]))
        if origin in held:
            paid = [paid[0] + held[origin], paid[1] + held_assistance[origin]]
        if used != paid:
            result.add(
                origin=origin,
                usage={"fund": used[0], "assistance": used[1]},
                ledger={"fund": paid[0], "assistance": paid[1]},
                known=origin in known,
            )
    return result


# --- Sold once, redeemed once, settled once -----------------------------------------------------


def sold_and_redeemed_once() -> Result:
    from payments.settlement.models import Settlement, TraceCode
    from vouchers.models import ScanSession

    result = Result(
        "sold_and_redeemed_once",
        "each trace code is sold once while its sale stands; each scan nonce is redeemed once",
    )
    result.checked = TraceCode.objects.count() + ScanSession.objects.count()
    for row in (
        TraceCode.objects.filter(status=TraceCode.Status.SOLD)
        .values("code")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by()
    ):
        result.add(trace_code=row["code"], sold=row["n"])
    standing = (Settlement.Status.SETTLED, Settlement.Status.PARTLY_REFUNDED)
    for code in (
        TraceCode.objects.filter(status=TraceCode.Status.SOLD)
        .filter(~Q(item__settlement__status__in=standing) | Q(item__refunded_at__isnull=False))
        .values("code", "item__settlement__number")
    ):
        result.add(
            trace_code=code["code"], settlement=code["item__settlement__number"], problem="sale no longer stands"
        )
    for row in ScanSession.objects.values("nonce").annotate(n=Count("pk")).filter(n__gt=1).order_by():
        result.add(nonce=row["nonce"], redeemed=row["n"])
    for row in (
        Settlement.objects.filter(scan_session__isnull=False)
        .values("scan_session_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by()
    ):
        result.add(scan_session=str(row["scan_session_id"]), settlements=row["n"])
    _settled_sessions_exist(result)
    return result


def _settled_sessions_exist(result: Result) -> None:
    """The settlement's scan session has no database foreign key (scan sessions are partitioned by month on
    PostgreSQL): it must exist unless its month was archived after RETENTION_SCAN_SESSION_DAYS."""
    from payments.settlement.models import Settlement
    from vouchers.models import ScanSession

    settled = Settlement.objects.filter(scan_session__isnull=False)
    if settings.RETENTION_SCAN_SESSION_DAYS:  # a session is at most minutes older than its settlement
        since = timezone.now() - dt.timedelta(days=settings.RETENTION_SCAN_SESSION_DAYS - 1)
        settled = settled.filter(created_at__gte=since)
    missing = settled.filter(~Exists(ScanSession.objects.filter(pk=OuterRef("scan_session_id"))))
    for number, session in missing.values_list("number", "scan_session_id").order_by("pk"):
        result.add(settlement=number, scan_session=str(session), problem="scan session missing")


def orders_settled_once() -> Result:
    from payments.online.models import OnlineOrder
    from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction

    result = Result(
        "orders_settled_once",
        "each online order is committed once; held money equals what unpaid orders hold",
    )
    orders = {o["number"]: o for o in OnlineOrder.objects.values("number", "status", "personal_fen", "fund_fen")}
    result.checked = len(orders)
    commits = (
        LedgerTransaction.objects.filter(
            kind=LedgerTransaction.Kind.SETTLEMENT, reference__in=OnlineOrder.objects.values("number")
        )
        .values("reference")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by()
    )
    for row in commits:
        result.add(order=row["reference"], commits=row["n"])
    held: dict[str, int] = defaultdict(int)
    for row in (
        LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.HELD)
        .values("transaction__reference")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        number = row["transaction__reference"].removesuffix(":release")
        held[number] += row["total"]
    for number, amount in held.items():
        order = orders.get(number)
        if order is None:
            if amount:
                result.add(reference=number, held=amount, problem="held money without an order")
            continue
        if order["status"] == "needs_attention":
            continue
        expected = order["personal_fen"] if order["status"] in HELD_STATES else 0
        if amount != expected:
            result.add(order=number, status=order["status"], held=amount, expected=expected)
    for order in orders.values():
        if order["status"] in HELD_STATES and order["personal_fen"] and order["number"] not in held:
            result.add(order=order["number"], status=order["status"], held=0, expected=order["personal_fen"])
    return result


def _histories() -> list[tuple[str, type[models.Model], str, str, dict[Any, Any], str]]:
    """(name, subject model, history relation, subject's field, transitions, history's subject field)."""
    from payments.online.models import OnlineOrder, OnlineRefund
    from payments.settlement.models import Settlement
    from portal.family.models import FamilyBinding
    from portal.offsite.models import OffsiteFiling
    from vouchers.models import FamilyHolding, Voucher

    return [
        ("online order", OnlineOrder, "events", "status", OnlineOrder.TRANSITIONS, "order"),
        ("online refund", OnlineRefund, "events", "status", OnlineRefund.TRANSITIONS, "refund"),
        ("settlement", Settlement, "events", "status", Settlement.TRANSITIONS, "settlement"),
        ("settlement review", Settlement, "review_events", "review", Settlement.REVIEW_TRANSITIONS, "settlement"),
        ("family binding", FamilyBinding, "events", "status", FamilyBinding.TRANSITIONS, "binding"),
        ("family holding", FamilyHolding, "events", "status", FamilyHolding.TRANSITIONS, "holding"),
        ("off-site filing", OffsiteFiling, "events", "status", OffsiteFiling.TRANSITIONS, "filing"),
        ("e-voucher", Voucher, "events", "status", Voucher.TRANSITIONS, "voucher"),
    ]


def histories_follow_transitions() -> Result:
    result = Result(
        "histories_follow_transitions",
        "every status history follows its declared transitions and ends at the current status",
    )
    for name, model, relation, status_field, transitions, subject_field in _histories():
        history: Any = model._meta.get_field(relation).related_model
        last: dict[Any, str] = {}
        for row in history._default_manager.order_by(subject_field, "id").values_list(
            f"{subject_field}_id", "from_status", "to_status"
        ):
            subject, old, new = row
            result.checked += 1
            if old and old != new and new not in transitions.get(old, ()):
                result.add(history=name, subject=str(subject), move=f"{old} -> {new}", problem="not a declared move")
            if subject in last and old and old != last[subject]:
                result.add(
                    history=name,
                    subject=str(subject),
                    move=f"{old} -> {new}",
                    after=last[subject],
                    problem="does not start where the previous move ended",
                )
            last[subject] = new
        current = dict(model._default_manager.filter(pk__in=list(last)).values_list("pk", status_field))
        for subject, status in last.items():
            if current.get(subject) != status:
                result.add(history=name, subject=str(subject), last=status, current=current.get(subject))
    return result


CHECKS: list[Callable[[], Result]] = [
    ledger_balanced,
    balances_match,
    refunds_within_payments,
    usage_within_caps,
    usage_matches_ledger,
    sold_and_redeemed_once,
    orders_settled_once,
    histories_follow_transitions,
]


def check_all(checks: Iterable[Callable[[], Result]] = CHECKS) -> list[Result]:
    """Every check over one read-only snapshot of the database."""
    outermost = not connection.in_atomic_block  # inside a caller's transaction, its snapshot is the one
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return [check() for check in checks]
