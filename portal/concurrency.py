"""The one lock order of every money path, and what happens when the database refuses a race anyway.

Lock order (README, "Operations"): every service that moves money or entitlement takes the rows it will
lock up front, in this order, and nothing else after:

1. the subject: the settlement or online order being changed (its row locked);
2. the person whose benefits are used or given back (:func:`lock_person`);
3. the ledger accounts that keep a balance (personal and institution accounts), in id order
   (:func:`lock_accounts`); source accounts (fund, assistance, allocations, held, clearing) keep no
   stored balance and are never locked;
4. traceability codes, claimed in sorted order.

A payment transaction row (``family_refund``) is locked only under its order's or settlement's lock.

Row locks are ``FOR NO KEY UPDATE``: they exclude other writers but not the key-share locks PostgreSQL
takes to check foreign keys when another transaction inserts a ledger entry or history row pointing at
the locked row, so a commit never waits on a row it only references.

PostgreSQL may still refuse a race (a deadlock between paths that had to discover a row late, or a
serialization failure). :func:`retry_on_conflict` runs the service again a bounded number of times and
then answers ``busy_retry`` (503, retryable, nothing written). It is applied to the outermost service
only; inside another transaction it does nothing, so the outermost caller retries the whole unit.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, transaction

from portal.errors import DomainError, define

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 4
BUSY = define(
    "busy_retry",
    503,
    "系统繁忙，本次操作未执行，请稍后重试",
    "The service is busy; nothing was done. Try again in a moment",
)

# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


class StaleBalanceRead(DatabaseError):
    """A balance moved between the locked read and the write (portal.ledger.services): run it all again."""


def is_retryable(error: BaseException) -> bool:
    """A lost race the database rolled back: safe to run the whole transaction again."""
    if isinstance(error, StaleBalanceRead):
        return True
    if not isinstance(error, DatabaseError):
        return False
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error) or "database table is locked" in str(error)  # SQLite


def retry_on_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` again after a deadlock or serialization failure; then refuse with ``busy_retry``."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)  # the outermost transaction's owner retries
        for attempt in range(ATTEMPTS):
            try:
                return func(*args, **kwargs)
            except DatabaseError as error:
                if not is_retryable(error):
                    raise
                if attempt == ATTEMPTS - 1:
                    raise DomainError(BUSY, details={"retry_after": 1}) from error
                time.sleep(random.uniform(0.005, 0.02) * 2**attempt)  # noqa: S311 (jitter, not a secret)
        raise AssertionError("unreachable")

    return wrapper


def lock_person(person_id: int) -> None:
    """Step 2: the person row (benefit usage and everything decided from it)."""
    from portal.people.models import Person

    list(Person.objects.select_for_update(no_key=True).filter(pk=person_id).values_list("pk", flat=True))


def lock_accounts(account_ids: Iterable[int]) -> dict[int, int]:
    """Step 3: the balance-keeping accounts among ``account_ids``, in id order. Returns their balances."""
    from portal.ledger.models import LedgerAccount

    ids = sorted(set(account_ids))
    if not ids:
        return {}
    return dict(
        LedgerAccount.objects.select_for_update(no_key=True)
        .filter(pk__in=ids, allow_negative=False)
        .order_by("pk")
        .values_list("pk", "balance")
    )
