"""Posting to the ledger. Every money movement in the project goes through :func:`ledger_post`."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When

from portal.concurrency import StaleBalanceRead
from portal.errors import DomainError, define
from portal.institutions.models import Institution, Region
from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from portal.localcache import LocalCache, local_cache
from portal.people.models import Person

logger = logging.getLogger(__name__)

INSUFFICIENT_BALANCE = define(
    "insufficient_balance", 409, "账户余额不足", "The account balance is not enough for this payment"
)
LEDGER_UNBALANCED = define("ledger_unbalanced", 400, "记账分录借贷不平", "The ledger legs do not sum to zero")
IDEMPOTENCY_CONFLICT = define(
    "idempotency_conflict",
    409,
    "该幂等键已用于另一笔不同的请求",
    "This idempotency key was already used for a different request",
)
ALREADY_REVERSED = define("already_reversed", 409, "该笔交易已冲正", "This transaction has already been reversed")


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: int  # fen: + credit, - debit


def _fingerprint(kind: str, legs: Sequence[Leg], reference: str, links: tuple[int | None, ...]) -> str:
    payload = {
        "kind": kind,
        "legs": sorted([leg.account_id, leg.amount] for leg in legs),
        "reference": reference,
        "links": links,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _validate(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise DomainError(LEDGER_UNBALANCED, details={"reason": "at least two legs"})
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool) or leg.amount == 0:
            raise DomainError(LEDGER_UNBALANCED, details={"reason": "amounts are non-zero integer fen"})
    if sum(leg.amount for leg in legs) != 0:
        raise DomainError(LEDGER_UNBALANCED, details={"reason": "legs must sum to zero"})


def ledger_post(
    *,
    kind: str,
    legs: Sequence[Leg],
    memo: str = "",
    reference: str = "",
    idempotency_key: str | None = None,
    reverses: LedgerTransaction | None = None,
    refund_of: LedgerTransaction | None = None,
    beneficiary: Person | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction, atomically.

    Accounts are locked in id order (no deadlocks between posters); a debit that would take a
    non-negative account below zero raises ``insufficient_balance`` and nothing is written.
    With an ``idempotency_key`` a retry returns the first transaction; the same key with
    different legs raises ``idempotency_conflict``.
    """
    _validate(legs)
    links = tuple(obj.pk if obj is not None else None for obj in (reverses, refund_of, beneficiary))
    fingerprint = _fingerprint(kind, legs, reference, links)
    fields = {
        "kind": kind,
        "memo": memo[:200],
        "reference": reference,
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "reverses": reverses,
        "refund_of": refund_of,
        "beneficiary": beneficiary,
    }
    with transaction.atomic():
        try:
            if idempotency_key is None and reverses is None:
                txn = LedgerTransaction.objects.create(**fields)  # nothing unique to collide on: no savepoint
            else:
                with transaction.atomic():
                    txn = LedgerTransaction.objects.create(**fields)
        except IntegrityError:
            if idempotency_key is not None:
                first = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
                if first is not None:
                    if first.fingerprint != fingerprint:
                        raise DomainError(IDEMPOTENCY_CONFLICT) from None
                    return first
            if reverses is not None and LedgerTransaction.objects.filter(reverses=reverses).exists():
                raise DomainError(ALREADY_REVERSED) from None
            raise

        by_account: dict[int, list[Leg]] = {}
        for leg in legs:
            by_account.setdefault(leg.account_id, []).append(leg)
        # Accounts that must not go negative are locked in id order and their balance kept; source
        # accounts are neither locked nor updated (their balance is the sum of their entries).
        sources = {
            a.pk: a for a in LedgerAccount.objects.filter(pk__in=by_account, allow_negative=True).only("pk", "code")
        }
        accounts = list(
            LedgerAccount.objects.select_for_update(no_key=True)
            .filter(pk__in=[pk for pk in by_account if pk not in sources])
            .order_by("pk")
        )
        if len(accounts) + len(sources) != len(by_account):
            raise DomainError(LEDGER_UNBALANCED, details={"reason": "unknown account"})
        entries = [
            LedgerEntry(transaction=txn, account_id=leg.account_id, amount=leg.amount, balance_after=None)
            for leg in legs
            if leg.account_id in sources
        ]
        for account in accounts:
            running = account.balance
            for leg in by_account[account.pk]:
                running += leg.amount
                entries.append(LedgerEntry(transaction=txn, account=account, amount=leg.amount, balance_after=running))
            if running < 0:
                raise DomainError(
                    INSUFFICIENT_BALANCE,
                    details={"account": account.code, "balance": account.balance, "needed": account.balance - running},
                )
            if running != account.balance:
                LedgerAccount.objects.filter(pk=account.pk).update(balance=running)
                account.balance = running
        LedgerEntry.objects.bulk_create(entries)
    return txn


@dataclass(frozen=True)
class Posting:
    """One balanced transaction to write with :func:`ledger_post_locked`."""

    kind: str
    legs: tuple[Leg, ...]
    memo: str = ""
    reference: str = ""
    beneficiary_id: int | None = None


def ledger_post_locked(postings: Sequence[Posting], *, balances: dict[int, int]) -> list[LedgerTransaction]:
    """Write several balanced transactions at once, for a caller that already holds the locks.

    ``balances`` holds the current balance of every balance-keeping account the legs touch, read under
    the caller's row locks (portal.concurrency: person, then accounts in id order); it is updated in
    place. Three statements whatever the number of legs: the transactions, their entries, the balances.
    A leg on an account not in ``balances`` must be a source account (no stored balance). A debit that
    would take an account below zero raises ``insufficient_balance`` before anything is written.
    """
    running = dict(balances)
    rows: list[tuple[LedgerTransaction, list[tuple[int, int, int | None]]]] = []
    for posting in postings:
        _validate(posting.legs)
        txn = LedgerTransaction(
            kind=posting.kind,
            memo=posting.memo[:200],
            reference=posting.reference,
            fingerprint=_fingerprint(
                posting.kind, posting.legs, posting.reference, (None, None, posting.beneficiary_id)
            ),
            beneficiary_id=posting.beneficiary_id,
        )
        legs: list[tuple[int, int, int | None]] = []
        for leg in posting.legs:
            after: int | None = None
            if leg.account_id in running:
                after = running[leg.account_id] + leg.amount
                if after < 0:
                    raise DomainError(
                        INSUFFICIENT_BALANCE,
                        details={"account": leg.account_id, "balance": running[leg.account_id], "needed": -leg.amount},
                    )
                running[leg.account_id] = after
            legs.append((leg.account_id, leg.amount, after))
        rows.append((txn, legs))
    if not rows:
        return []
    changed = {account: value - balances[account] for account, value in running.items() if value != balances[account]}
    with transaction.atomic(savepoint=False):
        if changed:
            _move_balances(changed, expected={account: running[account] for account in changed})
        created = LedgerTransaction.objects.bulk_create([txn for txn, _ in rows])
        LedgerEntry.objects.bulk_create(
            LedgerEntry(transaction_id=txn.pk, account_id=account, amount=amount, balance_after=after)
            for txn, (_, legs) in zip(created, rows, strict=True)
            for account, amount, after in legs
        )
    balances.update(running)
    return created


def _move_balances(deltas: dict[int, int], *, expected: dict[int, int]) -> None:
    """Move each balance by its delta (relative: the stored balance always moves by exactly the entries
    written). On PostgreSQL the new balances come back and are checked against what the caller computed
    from its locked read: a difference means the read was stale, and the whole transaction is retried
    (``StaleBalanceRead``) rather than written with a wrong ``balance_after`` or a missed overdraft."""
    if connection.vendor != "postgresql":
        LedgerAccount.objects.filter(pk__in=deltas).update(
            balance=F("balance") + Case(*(When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()))
        )
        return
    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(deltas))
    table = connection.ops.quote_name(LedgerAccount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET balance = a.balance + v.delta FROM (VALUES {values}) AS v(id, delta) "  # noqa: S608
            "WHERE a.id = v.id RETURNING a.id, a.balance",
            [number for pair in deltas.items() for number in pair],
        )
        found = dict(cursor.fetchall())
    stale = {
        account: (expected[account], found.get(account))
        for account in deltas
        if found.get(account) != expected[account]
    }
    if stale:
        logger.warning("ledger: balances read stale under a race, retrying: %s", stale)
        raise StaleBalanceRead(f"balances read stale: {stale}")


def ledger_reverse(*, transaction_id: int, memo: str = "", idempotency_key: str | None = None) -> LedgerTransaction:
    """Post the exact opposite of a transaction (冲正). A transaction is reversed at most once."""
    original = LedgerTransaction.objects.get(pk=transaction_id)
    legs = [Leg(e.account_id, -e.amount) for e in original.entries.all()]
    return ledger_post(
        kind=LedgerTransaction.Kind.REVERSAL,
        legs=legs,
        memo=memo or f"reversal of #{original.pk}",
        reference=original.reference,
        idempotency_key=idempotency_key,
        reverses=original,
        beneficiary=original.beneficiary,
    )


# --- Accounts -----------------------------------------------------------------------------


_account_ids: LocalCache[int] = local_cache(24 * 3600)  # accounts are never deleted; tests clear it


def region_account_id(*, region: Region, kind: str) -> int:
    """The id of :func:`region_account`, kept per process (one query the first time)."""
    return _cached_account_id(f"{kind}:{region.code}", lambda: region_account(region=region, kind=kind).pk)


def institution_account_id(*, institution: Institution) -> int:
    """The id of :func:`institution_account`, kept per process (one query the first time)."""
    return _cached_account_id(
        f"institution:{institution.code}", lambda: institution_account(institution=institution).pk
    )


def _cached_account_id(key: str, load: Callable[[], int]) -> int:
    """An account id, kept per process only once the account is committed: an account this transaction
    has just created is invisible to the other threads' transactions until then (a thread that took its id
    from the cache would find no row to lock and post to it as if it kept no balance)."""
    cached = _account_ids.get(key)
    if cached is not None:
        return cached
    account_id = load()
    transaction.on_commit(lambda: _account_ids.put(key, account_id))
    return account_id


def personal_account_open(*, person: Person) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(
        code=f"personal:{person.pk}",
        defaults={"kind": LedgerAccount.Kind.PERSONAL, "person": person, "region_id": person.region_id},
    )
    return account


def region_account(*, region: Region, kind: str) -> LedgerAccount:
    """The region's fund, assistance, allocation or cash-clearing account (created on first use)."""
    if kind not in (
        LedgerAccount.Kind.FUND,
        LedgerAccount.Kind.ASSISTANCE,
        LedgerAccount.Kind.HELD,
        LedgerAccount.Kind.ALLOCATION,
        LedgerAccount.Kind.CASH_CLEARING,
    ):
        raise ValueError(f"not a region account kind: {kind}")
    account, _ = LedgerAccount.objects.get_or_create(
        code=f"{kind}:{region.code}", defaults={"kind": kind, "region": region, "allow_negative": True}
    )
    return account


def institution_account(*, institution: Institution) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(
        code=f"institution:{institution.code}",
        defaults={
            "kind": LedgerAccount.Kind.INSTITUTION,
            "institution": institution,
            "region_id": institution.region_id,
        },
    )
    return account


def personal_account_allocate(
    *, person: Person, amount_fen: int, reference: str, idempotency_key: str | None = None
) -> LedgerTransaction:
    """Credit a personal account from the region's allocations (个人账户划入)."""
    account = personal_account_open(person=person)
    source = region_account(region=person.region, kind=LedgerAccount.Kind.ALLOCATION)
    return ledger_post(
        kind=LedgerTransaction.Kind.ALLOCATION,
        legs=[Leg(source.pk, -amount_fen), Leg(account.pk, amount_fen)],
        memo="personal account allocation",
        reference=reference,
        idempotency_key=idempotency_key,
    )
