"""Turning a plain PostgreSQL table into one partitioned by month, and back (for the migrations).

Used by the migrations that partition the tables that grow for years (portal.ops.partitions). Change only
compatibly: old migrations call these functions. Each step runs inside the migration's transaction, so a
failure leaves the table as it was.

Forwards, on PostgreSQL (SQLite keeps its plain tables; nothing happens there):

1. lock the table; note its indexes, CHECK and FOREIGN KEY constraints and triggers;
2. create the partitioned twin (same columns, defaults and identity), one partition per month from the
   oldest row to ``months_ahead`` months ahead, and a DEFAULT partition;
3. copy the rows (``fill`` may compute a column, e.g. a new partition key from another table);
4. drop the old table (refused if another table still has a foreign key to it: such keys must have
   become ``db_constraint=False`` in an earlier migration) and give the twin its name;
5. primary key ``(id, key)``, the same indexes, constraints and triggers under the same names; a unique
   constraint without the partition key (impossible on a partitioned table) must be named in
   ``replace_unique`` with the index that takes its place (its uniqueness is kept elsewhere: see the
   calling migration); the identity continues after the highest id ever given.
"""

from __future__ import annotations

from typing import Any

from portal.ops.partitions import add_months, create_month_partition, local_month, months_between, partition_name

Cursor = Any
MONTHS_BACK = 120


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relkind(cursor: Cursor, table: str) -> str | None:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return None if row is None else str(row[0])


def _checks_keys_and_triggers(cursor: Cursor, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The table's own check and foreign-key constraints and triggers, as SQL to create them again (those a
    partition inherits from its parent are left out: they come back with the parent's)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('c', 'f') AND conparentid = 0 ORDER BY contype, conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "AND tgparentid = 0 ORDER BY tgname",
        [table],
    )
    return constraints, [row[0] for row in cursor.fetchall()]


def _columns(cursor: Cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _next_identity(cursor: Cursor, table: str, pk: str) -> int | None:
    """The next value the table's identity (or serial) would give, never below max(pk) + 1."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
    sequence = cursor.fetchone()[0]
    if sequence is None:
        return None
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - a name from the catalogue
    last, called = cursor.fetchone()
    cursor.execute(f"SELECT COALESCE(MAX({_q(pk)}), 0) FROM {_q(table)}")  # noqa: S608
    highest = cursor.fetchone()[0]
    return max(last + 1 if called else last, highest + 1)


def convert_to_partitioned(
    schema_editor: Any,
    *,
    table: str,
    key: str,
    pk: str = "id",
    replace_unique: dict[str, str | None] | None = None,
    fill: dict[str, str] | None = None,
    months_ahead: int = 3,
) -> None:
    """Partition ``table`` by month of ``key`` (see the module's docstring). Does nothing off PostgreSQL
    or when the table is partitioned already."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    replace_unique = dict(replace_unique or {})
    fill = dict(fill or {})
    twin = f"{table}__partitioned"
    with connection.cursor() as cursor:
        if _relkind(cursor, table) == "p":
            return
        cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = %s::regclass AND conrelid <> confrelid",
            [table],
        )
        referencing = cursor.fetchall()
        if referencing:
            raise RuntimeError(
                f"{table} is still referenced by foreign keys {referencing}: make them db_constraint=False "
                "in an earlier migration (a foreign key to a partitioned table must include its partition key)."
            )
        # What to recreate: indexes (not the primary key nor those behind unique constraints), constraints.
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, con.conname "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY c.relname",
            [table],
        )
        indexes: list[str] = []
        for name, definition, unique, constraint in cursor.fetchall():
            if not unique:
                indexes.append(definition)
                continue
            if (constraint or name) not in replace_unique:
                raise RuntimeError(
                    f"{table}: unique index {name} lacks the partition key {key}; say what replaces it "
                    "(replace_unique)."
                )
            replacement = replace_unique.pop(constraint or name)
            if replacement:
                indexes.append(replacement)
        if replace_unique:
            raise RuntimeError(f"{table}: no unique constraint named {sorted(replace_unique)}")
        constraints, triggers = _checks_keys_and_triggers(cursor, table)
        columns = _columns(cursor, table)
        next_id = _next_identity(cursor, table, pk)
        cursor.execute(f"SELECT MIN({fill.get(key, 'src.' + _q(key))}) FROM {_q(table)} src")  # noqa: S608
        oldest = cursor.fetchone()[0]

        cursor.execute(
            f"CREATE TABLE {_q(twin)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING IDENTITY "
            f"INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION) PARTITION BY RANGE ({_q(key)})"
        )
        last = local_month(None)
        # From the oldest row's month, but not more than MONTHS_BACK (a stray ancient timestamp would
        # otherwise make hundreds of partitions): older rows wait in DEFAULT, where archive_partitions
        # reports them.
        first = max(local_month(oldest) if oldest is not None else last, add_months(last, -MONTHS_BACK))
        for month in months_between(first, last, ahead=months_ahead):
            create_month_partition(cursor, parent=twin, month=month, name=partition_name(table, month))
        cursor.execute(f"CREATE TABLE {_q(table + '_default')} PARTITION OF {_q(twin)} DEFAULT")
        listed = ", ".join(_q(c) for c in columns)
        selected = ", ".join(fill.get(c, f"src.{_q(c)}") for c in columns)
        cursor.execute(
            f"INSERT INTO {_q(twin)} ({listed}) OVERRIDING SYSTEM VALUE "  # noqa: S608 - names from the catalogue
            f"SELECT {selected} FROM {_q(table)} src"
        )
        cursor.execute(f"DROP TABLE {_q(table)}")
        cursor.execute(f"ALTER TABLE {_q(twin)} RENAME TO {_q(table)}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        sequence = cursor.fetchone()[0]
        if sequence is not None:
            cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {_q(table + '_' + pk + '_seq')}")
        cursor.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(table + '_pkey')} PRIMARY KEY ({_q(pk)}, {_q(key)})"
        )
        for definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for definition in triggers:
            cursor.execute(definition)
        if next_id is not None and sequence is not None:
            cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN {_q(pk)} RESTART WITH {int(next_id)}")
        cursor.execute(f"ANALYZE {_q(table)}")


def convert_to_plain(
    schema_editor: Any,
    *,
    table: str,
    pk: str = "id",
    restore_unique: dict[str, str] | None = None,
    drop_indexes: tuple[str, ...] = (),
) -> None:
    """Backwards: the partitioned table back to a plain one with primary key ``pk`` and the unique
    constraints in ``restore_unique`` (name: column list), without the indexes in ``drop_indexes`` (those
    that stood in for them). Other indexes, constraints and triggers are recreated under their names."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    restore_unique = dict(restore_unique or {})
    plain = f"{table}__plain"
    with connection.cursor() as cursor:
        if _relkind(cursor, table) != "p":
            return
        cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY c.relname",
            [table],
        )
        indexes = cursor.fetchall()
        constraints, triggers = _checks_keys_and_triggers(cursor, table)
        columns = _columns(cursor, table)
        next_id = _next_identity(cursor, table, pk)
        cursor.execute(
            f"CREATE TABLE {_q(plain)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)"
        )
        listed = ", ".join(_q(c) for c in columns)
        cursor.execute(
            f"INSERT INTO {_q(plain)} ({listed}) OVERRIDING SYSTEM VALUE SELECT {listed} FROM {_q(table)}"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {_q(table)}")  # drops its partitions
        cursor.execute(f"ALTER TABLE {_q(plain)} RENAME TO {_q(table)}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        sequence = cursor.fetchone()[0]
        if sequence is not None:
            cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {_q(table + '_' + pk + '_seq')}")
        cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(table + '_pkey')} PRIMARY KEY ({_q(pk)})")
        for name, definition in indexes:
            if name not in drop_indexes:
                cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
        for name, column_list in restore_unique.items():
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} UNIQUE ({column_list})")
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for definition in triggers:
            cursor.execute(definition)
        if next_id is not None and sequence is not None:
            cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN {_q(pk)} RESTART WITH {int(next_id)}")
