"""PostgreSQL: run one hot statement as a prepared statement (parsed and planned once per connection).

Django's cursors bind parameters on the client and never prepare (Django sets psycopg's
``prepare_threshold`` to None by default, so that connection poolers keep working). For the scan, the
hottest write of the project, parsing and planning its statement were about half of PostgreSQL's work on
it (server CPU per scan 0.42 ms unprepared, 0.19 ms prepared, on the 2-core bench machine), so
:func:`fetch_one` runs it through a cursor that binds on the server and asks psycopg to prepare it (the
extended protocol's Parse/Bind/Execute; psycopg keeps the statement per connection and prepares it again
after a rollback). The cursor is wrapped like Django's own, so errors are Django's (``IntegrityError``
...) and the statement is logged where queries are (``CaptureQueriesContext``, ``DEBUG``). Django's other
cursors are untouched.

A pooler that does not keep prepared statements per client (PgBouncer in transaction mode before 1.21, or
without ``max_prepared_statements``) answers "prepared statement does not exist" or "already exists": then
this process stops preparing, logs it once, and runs the statement unprepared. ``DB_BEHIND_PGBOUNCER=true``
turns preparing off from the start.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from psycopg import errors

logger = logging.getLogger(__name__)

_enabled = True


class _PreparingCursor(psycopg.Cursor):
    """Binds parameters on the server and prepares every statement it runs."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, **options: Any) -> Any:
        return super().execute(query, params, prepare=True, **options)

    def _send_query_prepared(self, name: bytes, pgq: Any, **options: Any) -> None:
        # psycopg records the statement it sent (what Django's debug cursor logs, through
        # ``last_executed_query``) only when it sends it unprepared; record it here too.
        self._query = pgq
        super()._send_query_prepared(name, pgq, **options)


def _lost_statement(error: DatabaseError) -> bool:
    return isinstance(error.__cause__, errors.InvalidSqlStatementName | errors.DuplicatePreparedStatement)


def _savepoint() -> AbstractContextManager[Any]:
    """Inside a caller's transaction, a savepoint: a failing statement (a replayed code) must leave the
    caller's transaction usable. Outside one, nothing: a single statement is atomic by itself."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _fetch_prepared(sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
    # What connection.cursor() does before it wraps a cursor of the connection's own kind.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    assert raw is not None
    threshold = raw.prepare_threshold
    if threshold is None:
        raw.prepare_threshold = sys.maxsize  # psycopg prepares nothing unless asked (only this cursor asks)
    try:
        inner: Any = _PreparingCursor(raw)
        wrapped = connection.make_debug_cursor(inner) if connection.queries_logged else connection.make_cursor(inner)
        with wrapped as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    finally:
        raw.prepare_threshold = threshold  # Django's other cursors go on exactly as configured


def _fetch_unprepared(sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_one(sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
    """Run one statement (named ``%(name)s`` parameters), prepared on PostgreSQL; its first row, if any."""
    global _enabled
    if connection.vendor == "postgresql" and _enabled and not getattr(settings, "DB_BEHIND_PGBOUNCER", False):
        try:
            with _savepoint():
                return _fetch_prepared(sql, params)
        except DatabaseError as error:
            if not _lost_statement(error):
                raise
            _enabled = False
            logger.warning("Prepared statements are not kept on this database connection (a pooler?): not preparing")
    with _savepoint():
        return _fetch_unprepared(sql, params)
