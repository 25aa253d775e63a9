"""Paying a person's personal-account share with family sharing, and refunding it leg by leg.

Order (DOMAIN: family account sharing): the payer's own personal account first; then the accounts of
the initiators who bound the payer, in the order the bindings became active; all or nothing. Every leg
is a ledger entry on its real owner's account, so a refund returns each leg where it came from.
Only personal-account money moves here: pooled-fund benefits stay personal (payments/benefits).

Lock order everywhere in the project: the person row (benefit usage) first, then personal and
institution accounts in id order. Source accounts (fund, assistance) are never locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Sum

from portal.concurrency import StaleBalanceRead
from portal.errors import DomainError, define
from portal.family.models import FamilyBinding
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.ledger.services import INSUFFICIENT_BALANCE, Leg, ledger_post
from portal.people.models import Person

REFUND_TOO_LARGE = define(
    "refund_exceeds_payment",
    409,
    "退款金额超过可退金额 {left} 分",
    "The refund is more than the {left} fen left to refund",
)
NOT_A_FAMILY_PAYMENT = define("not_a_family_payment", 404, "未找到该笔支付", "No such payment")
AMOUNT_INVALID = define(
    "amount_invalid", 400, "金额须为正整数（分）", "The amount must be a positive whole number of fen"
)


@dataclass(frozen=True)
class Source:
    account_id: int
    owner_id: int


def payment_sources(*, payer: Person) -> list[Source]:
    """The accounts a payment for ``payer`` may draw on, in deduction order."""
    sources: list[Source] = []
    own = LedgerAccount.objects.filter(kind=LedgerAccount.Kind.PERSONAL, person=payer).values_list("pk", flat=True)
    sources += [Source(pk, payer.pk) for pk in own]
    bindings = (
        FamilyBinding.objects.filter(bound=payer, status=FamilyBinding.Status.ACTIVE)
        .order_by("activated_at", "id")
        .values_list("initiator_id", flat=True)
    )
    initiator_ids = list(bindings)
    accounts = dict(
        LedgerAccount.objects.filter(kind=LedgerAccount.Kind.PERSONAL, person_id__in=initiator_ids).values_list(
            "person_id", "pk"
        )
    )
    sources += [Source(accounts[i], i) for i in initiator_ids if i in accounts]
    return sources


@dataclass
class Wallet:
    """The accounts a payment for a payer may draw on, in deduction order, with their owners and balances,
    read and locked in two statements (:func:`family_wallet`). ``balances`` also holds the other locked
    accounts (e.g. the institution's receivable), ready for ``ledger_post_locked``."""

    payer_id: int
    sources: list[tuple[int, int, str]]  # (account id, owner id, owner name), in deduction order
    balances: dict[int, int]

    @property
    def available_fen(self) -> int:
        return sum(self.balances[account] for account, _, _ in self.sources)

    def draw(self, up_to_fen: int) -> list[Leg]:
        """Debit legs taking up to ``up_to_fen``: own account first, then initiators in binding order."""
        legs: list[Leg] = []
        left = up_to_fen
        for account, _, _ in self.sources:
            take = min(self.balances[account], left)
            if take > 0:
                legs.append(Leg(account, -take))
                left -= take
            if left == 0:
                break
        return legs

    def owner_names(self) -> dict[int, tuple[int, str]]:
        return {account: (owner, name) for account, owner, name in self.sources}


_WALLET_SQL = """
SELECT a.id, a.kind, a.person_id, p.name, b.activated_at, b.id, a.allow_negative
FROM ledger_ledgeraccount a
LEFT JOIN people_person p ON p.id = a.person_id
LEFT JOIN family_familybinding b ON b.initiator_id = a.person_id AND b.bound_id = %s AND b.status = 'active'
WHERE (a.allow_negative = %s AND a.kind = 'personal' AND (a.person_id = %s OR b.id IS NOT NULL)) OR a.id IN ({extra})
ORDER BY a.id
"""


def family_wallet(*, payer_id: int, also: Sequence[int] = ()) -> Wallet:
    """Lock and read, in id order, the payer's personal account, the accounts of the initiators who bound
    the payer (active bindings), and ``also`` (balance-keeping accounts only). Two statements: which
    accounts (with owners and binding order), then their rows locked and their balances read.

    The lock is taken on the account table alone: with ``FOR UPDATE`` over outer joins, PostgreSQL's
    re-check of a row updated concurrently can drop it from the result (seen under load: an institution's
    receivable missing, so its credit was written without moving its balance). Call inside the caller's
    transaction, after locking the payer (lock order: person, then accounts)."""
    extra = [int(account) for account in also] or [0]
    sql = _WALLET_SQL.format(extra=", ".join(["%s"] * len(extra)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [payer_id, False, payer_id, *extra])
        rows = cursor.fetchall()
        ids = [row[0] for row in rows if not row[6]]  # balance-keeping: locked; source accounts never are
        locked = "SELECT id, balance FROM ledger_ledgeraccount WHERE id IN ({}) ORDER BY id".format(  # noqa: S608
            ", ".join(["%s"] * len(ids)) or "NULL"
        )
        if connection.vendor == "postgresql":
            locked += " FOR NO KEY UPDATE"
        cursor.execute(locked, ids)
        balances = {account: int(balance) for account, balance in cursor.fetchall()}
    unseen = set(extra) - {0} - {row[0] for row in rows}
    if unseen:  # created by a transaction not committed yet: run again once it has (never post blind to it)
        raise StaleBalanceRead(f"accounts not visible yet: {sorted(unseen)}")
    own = [(row[0], row[2], row[3]) for row in rows if row[1] == "personal" and row[2] == payer_id]
    initiators = sorted(
        (row for row in rows if row[1] == "personal" and row[2] != payer_id and row[5] is not None),
        key=lambda row: (row[4], row[5]),
    )
    sources = own + [(row[0], row[2], row[3]) for row in initiators]
    return Wallet(payer_id=payer_id, sources=sources, balances=balances)


def family_deduct(
    *,
    payer: Person,
    amount_fen: int,
    to_account_id: int,
    reference: str,
    idempotency_key: str | None = None,
    kind: str = LedgerTransaction.Kind.PAYMENT,
) -> LedgerTransaction:
    """Take ``amount_fen`` for ``payer`` from their account, then their initiators' in binding order."""
    txn = _deduct(payer, amount_fen, to_account_id, reference, idempotency_key, kind, partial=False)
    assert txn is not None
    return txn


def family_deduct_available(
    *, payer: Person, up_to_fen: int, to_account_id: int, reference: str, kind: str = LedgerTransaction.Kind.PAYMENT
) -> LedgerTransaction | None:
    """Take as much as the family accounts hold, up to ``up_to_fen`` (the rest is paid in cash).

    Call inside the caller's transaction, after locking the payer (lock order: person, then accounts).
    Returns None when there is nothing to take.
    """
    return _deduct(payer, up_to_fen, to_account_id, reference, None, kind, partial=True)


def _deduct(
    payer: Person,
    amount_fen: int,
    to_account_id: int,
    reference: str,
    idempotency_key: str | None,
    kind: str,
    *,
    partial: bool,
) -> LedgerTransaction | None:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise DomainError(AMOUNT_INVALID)
    if idempotency_key is not None:
        first = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if first is not None:
            return _same_or_conflict(first, payer, amount_fen, to_account_id)
    with transaction.atomic():
        wallet = family_wallet(payer_id=payer.pk, also=[to_account_id])
        if idempotency_key is not None:  # a concurrent retry may have finished while we waited
            first = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if first is not None:
                return _same_or_conflict(first, payer, amount_fen, to_account_id)
        legs = wallet.draw(amount_fen)
        taken = -sum(leg.amount for leg in legs)
        if taken < amount_fen and not partial:
            raise DomainError(INSUFFICIENT_BALANCE, details={"needed": amount_fen, "available": taken})
        if taken == 0:
            return None
        legs.append(Leg(to_account_id, taken))
        return ledger_post(
            kind=kind,
            legs=legs,
            memo="personal account payment (family sharing)",
            reference=reference,
            idempotency_key=idempotency_key,
            beneficiary=payer,
        )


def _same_or_conflict(first: LedgerTransaction, payer: Person, amount: int, to_account_id: int) -> LedgerTransaction:
    from portal.ledger.services import IDEMPOTENCY_CONFLICT

    credit = first.entries.filter(account_id=to_account_id, amount=amount).exists()
    if first.beneficiary_id != payer.pk or not credit:
        raise DomainError(IDEMPOTENCY_CONFLICT)
    return first


def refundable_by_account(*, payment: LedgerTransaction) -> dict[int, int]:
    """What is left to give back to each account the payment drew on."""
    taken = {e.account_id: -e.amount for e in payment.entries.all() if e.amount < 0}
    returned = dict(
        LedgerEntry.objects.filter(transaction__refund_of=payment, account_id__in=taken, amount__gt=0)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    return {account: amount - returned.get(account, 0) for account, amount in taken.items()}


def family_refund(
    *,
    payment_id: int,
    amount_fen: int | None = None,
    reference: str,
    idempotency_key: str | None = None,
    from_account_id: int | None = None,
) -> LedgerTransaction:
    """Give money back to the accounts a payment drew on: the last one drawn gets its money back first.

    Refunds of one payment run one at a time (the payment row is locked) and never exceed what was paid.
    The money comes back from the account the payment credited, or ``from_account_id`` when it has moved
    on since (money held for an online order and then passed to the hospital).
    """
    with transaction.atomic():
        payment = (
            LedgerTransaction.objects.select_for_update(no_key=True)
            .filter(pk=payment_id, refund_of__isnull=True, reverses__isnull=True)
            .first()
        )
        if payment is None:
            raise DomainError(NOT_A_FAMILY_PAYMENT)
        if idempotency_key is not None:
            first = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if first is not None:
                return first
        debits = [e for e in payment.entries.order_by("id") if e.amount < 0]
        credit = next(e for e in payment.entries.all() if e.amount > 0)
        left = refundable_by_account(payment=payment)
        total_left = sum(left.values())
        if amount_fen is not None and (
            not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0
        ):
            raise DomainError(AMOUNT_INVALID)
        wanted = total_left if amount_fen is None else amount_fen
        if wanted > total_left or total_left == 0:
            raise DomainError(REFUND_TOO_LARGE, left=total_left)
        legs: list[Leg] = []
        remaining = wanted
        for entry in reversed(debits):  # last drawn, first repaid
            give = min(left[entry.account_id], remaining)
            if give > 0:
                legs.append(Leg(entry.account_id, give))
                remaining -= give
            if remaining == 0:
                break
        legs.append(Leg(from_account_id or credit.account_id, -wanted))
        return ledger_post(
            kind=LedgerTransaction.Kind.REFUND,
            legs=legs,
            memo=f"refund of #{payment.pk}",
            reference=reference,
            idempotency_key=idempotency_key,
            refund_of=payment,
            beneficiary=payment.beneficiary,
        )
