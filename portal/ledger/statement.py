"""The personal-account statement (消费明细): entries in words, with filters by month and kind.

A raw ledger entry says "payment -920.50" also while that money only waits in the region's held account
for a bill's cash part (payments/online/pay.py: ``_hold_insurance``). Here each entry is read in its
context, from the ledger alone:

- a *hold*: a payment whose other leg credits a held account (在途冻结). While no settlement has taken
  the money on to the hospital and nothing was given back, it is *frozen* (冻结中); given back before a
  settlement, it was *released* (已解冻); settled, it is an ordinary payment;
- a *release*: the refund that gives held money back (its leg debits the held account);
- *family sharing* (家庭共济): an entry of a transaction made for someone else (``beneficiary``).

Reads only the owner's own account; residents reading their own data leave no audit row (as
``account_entries``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from portal.errors import Bilingual
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction

Kind = LedgerTransaction.Kind

# The filters a resident can choose, in the order shown.
CATEGORIES: dict[str, Bilingual] = {
    "payment": Bilingual("支付", "Payments"),
    "hold": Bilingual("冻结与解冻", "On hold and released"),
    "refund": Bilingual("退款", "Refunds"),
    "allocation": Bilingual("个人账户划入", "Paid into the account"),
    "family": Bilingual("家庭共济（为亲属支付）", "Family sharing (paid for a relative)"),
    "other": Bilingual("冲正与调整", "Corrections"),
}


@dataclass(frozen=True)
class StatementFilter:
    year: int | None = None
    month: int | None = None
    category: str = ""


@dataclass(frozen=True)
class StatementLine:
    """One entry as the resident reads it. ``state``: ``frozen`` (still on hold), ``released`` (held, then
    given back), or ``done``. ``bill`` is the online order or counter settlement number the entry belongs
    to (empty if none); ``bill_kind`` is ``order`` or ``settlement``."""

    id: int
    at: dt.datetime
    amount_fen: int
    balance_after_fen: int | None
    category: str
    state: str
    title: Bilingual
    bill: str
    bill_kind: str
    for_person_id: int | None
    for_person_name: str


def _annotated(account_id: int) -> QuerySet[LedgerEntry]:
    held = LedgerAccount.Kind.HELD
    into_held = LedgerEntry.objects.filter(transaction=OuterRef("transaction"), account__kind=held, amount__gt=0)
    out_of_held = LedgerEntry.objects.filter(transaction=OuterRef("transaction"), account__kind=held, amount__lt=0)
    # The settlement that passed the held money on to the hospital carries the hold's reference (the order).
    passed_on = LedgerEntry.objects.filter(
        transaction__kind=Kind.SETTLEMENT,
        transaction__reference=OuterRef("transaction__reference"),
        account__kind=held,
        amount__lt=0,
    )
    given_back = LedgerTransaction.objects.filter(refund_of=OuterRef("transaction"))
    return (
        LedgerEntry.objects.filter(account_id=account_id)
        .select_related("transaction", "transaction__beneficiary", "transaction__refund_of", "transaction__reverses")
        .annotate(
            is_hold=Exists(into_held),
            is_release=Exists(out_of_held),
            hold_passed_on=Exists(passed_on),
            hold_given_back=Exists(given_back),
        )
    )


def _category_q(category: str, owner_id: int) -> Q:
    family = Q(transaction__beneficiary__isnull=False) & ~Q(transaction__beneficiary_id=owner_id)
    open_hold = Q(is_hold=True, hold_passed_on=False)
    if category == "family":
        return family
    if category == "allocation":
        return Q(transaction__kind=Kind.ALLOCATION)
    if category == "hold":
        return ~family & (open_hold | Q(is_release=True))
    if category == "payment":
        return ~family & Q(amount__lt=0, transaction__kind__in=[Kind.PAYMENT, Kind.SETTLEMENT]) & ~open_hold
    if category == "refund":
        return ~family & Q(transaction__kind=Kind.REFUND, is_release=False)
    if category == "other":
        return ~family & Q(transaction__kind__in=[Kind.REVERSAL, Kind.ADJUSTMENT])
    raise ValueError(f"unknown statement category {category!r}")


def month_range(year: int, month: int | None) -> tuple[dt.datetime, dt.datetime]:
    """The local-time bounds of a year or a month (entries are filtered on their own time, the ledger's
    partition key on PostgreSQL, so a month reads one partition)."""
    tz = timezone.get_current_timezone()
    if month is None:
        return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return dt.datetime(year, month, 1, tzinfo=tz), end


def statement_entries(
    *, account: LedgerAccount, filters: StatementFilter, before_id: int | None = None, limit: int = 20
) -> list[LedgerEntry]:
    """Newest first, at most ``limit``; page with ``before_id`` (the last id of the previous page)."""
    assert account.kind == LedgerAccount.Kind.PERSONAL and account.person_id is not None
    qs = _annotated(account.pk)
    if filters.year is not None:
        start, end = month_range(filters.year, filters.month)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if filters.category:
        qs = qs.filter(_category_q(filters.category, account.person_id))
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return list(qs.order_by("-id")[:limit])


def _hold_state(entry: LedgerEntry) -> str:
    if entry.is_hold and not entry.hold_passed_on:  # type: ignore[attr-defined]
        return "released" if entry.hold_given_back else "frozen"  # type: ignore[attr-defined]
    return "done"


def statement_lines(*, entries: list[LedgerEntry], owner_id: int) -> list[StatementLine]:
    """The entries in words (see the module's notes). Bills are looked up once for the page."""
    from payments.online.models import OnlineOrder
    from payments.settlement.models import Settlement

    def bill_of(txn: LedgerTransaction) -> str:
        source = txn.refund_of or txn.reverses or txn
        return source.reference.split(":", 1)[0]

    numbers = {bill_of(e.transaction) for e in entries} - {""}
    orders = set(OnlineOrder.objects.filter(number__in=numbers).values_list("number", flat=True))
    settlements = set(Settlement.objects.filter(number__in=numbers).values_list("number", flat=True))
    lines = []
    for entry in entries:
        txn = entry.transaction
        bill = bill_of(txn)
        bill_kind = "order" if bill in orders else "settlement" if bill in settlements else ""
        beneficiary = txn.beneficiary
        family = beneficiary is not None and beneficiary.pk != owner_id
        state = _hold_state(entry)
        category, title = _title(entry, state, bill if bill_kind else "", family)
        lines.append(
            StatementLine(
                id=entry.pk,
                at=entry.created_at,
                amount_fen=entry.amount,
                balance_after_fen=entry.balance_after,
                category="family" if family else category,
                state=state,
                title=title,
                bill=bill if bill_kind else "",
                bill_kind=bill_kind,
                for_person_id=beneficiary.pk if family and beneficiary else None,
                for_person_name=beneficiary.name if family and beneficiary else "",
            )
        )
    return lines


def _title(entry: LedgerEntry, state: str, bill: str, family: bool) -> tuple[str, Bilingual]:
    kind = entry.transaction.kind
    on_bill = (f"（订单 {bill}）", f" (bill {bill})") if bill else ("", "")
    if state == "frozen":
        if bill:
            return "hold", Bilingual(f"冻结中（待支付订单 {bill}）", f"On hold for bill {bill}")
        return "hold", Bilingual("冻结中（待支付订单）", "On hold for a bill")
    if state == "released":
        return "hold", Bilingual(f"冻结后已退回{on_bill[0]}", f"Held, then given back{on_bill[1]}")
    if entry.is_release:  # type: ignore[attr-defined]
        return "hold", Bilingual(f"解冻退回{on_bill[0]}", f"Hold released{on_bill[1]}")
    if kind == Kind.ALLOCATION:
        return "allocation", Bilingual("个人账户划入", "Paid into the account")
    if kind in (Kind.PAYMENT, Kind.SETTLEMENT) and entry.amount < 0:
        if family:
            return "family", Bilingual(
                f"家庭共济：为亲属支付{on_bill[0]}", f"Family sharing: paid for a relative{on_bill[1]}"
            )
        return "payment", Bilingual(f"支付{on_bill[0]}", f"Payment{on_bill[1]}")
    if kind == Kind.REFUND:
        if family:
            return "family", Bilingual(f"家庭共济退款{on_bill[0]}", f"Family sharing refund{on_bill[1]}")
        return "refund", Bilingual(f"退款{on_bill[0]}", f"Refund{on_bill[1]}")
    if kind == Kind.REVERSAL:
        return "other", Bilingual(f"冲正{on_bill[0]}", f"Correction{on_bill[1]}")
    return "other", Bilingual(f"调整{on_bill[0]}", f"Adjustment{on_bill[1]}")


def statement_years(*, account: LedgerAccount) -> list[int]:
    """The years the account has entries in, newest first (for the year chooser)."""
    first = LedgerEntry.objects.filter(account=account).order_by("id").values_list("created_at", flat=True).first()
    if first is None:
        return [timezone.localdate().year]
    start = timezone.localtime(first).year
    return list(range(timezone.localdate().year, start - 1, -1))
