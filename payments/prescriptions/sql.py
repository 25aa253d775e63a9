"""The two statements of a claimed use, on the settlement's hot path (PostgreSQL and SQLite 3.35+ alike).

1. :func:`take_use_sql`: the compare-and-set. ``UPDATE ... SET uses = uses + 1`` (and, at the last use,
   the status: archived for a specified disease, used otherwise) ``WHERE id AND person_id AND status =
   'open' AND uses < max_uses AND valid_until >= on`` and this settlement has not used it yet;
   ``RETURNING`` what the settlement needs, with the prescribing doctor's authorisations. No row: refused.
   On PostgreSQL a concurrent claim waits for the row lock and then re-checks the conditions against
   the row as the winner left it, so the last use goes to exactly one.
2. :func:`insert_use_sql`: the use row in the first slot (1..max_uses) no unreleased use holds, chosen
   inside the statement (a new snapshot, after the row lock, so it sees every committed use).

Every name comes from the models and every value is a bound parameter.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection, models

from payments.prescriptions.models import AuthorisedDoctor, Prescription, PrescriptionUse


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return _q(field.column)


# What the claim's UPDATE answers, in order.
TAKEN_COLUMNS = (
    "number",
    "kind",
    "institution",
    "doctor_code",
    "specified_disease",
    "disease_code",
    "issued_on",
    "uses",
    "max_uses",
    "status",
)


@lru_cache(maxsize=4)
def take_use_sql(vendor: str) -> str:
    p, u, d = (_q(m._meta.db_table) for m in (Prescription, PrescriptionUse, AuthorisedDoctor))
    uses, max_uses, status = (_col(Prescription, n) for n in ("uses", "max_uses", "status"))
    specified = _col(Prescription, "specified_disease")
    pid, institution, doctor_code = (_col(Prescription, n) for n in ("id", "institution", "doctor_code"))

    def doctor(flag: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {d} WHERE {d}.{_col(AuthorisedDoctor, 'institution')} = {p}.{institution} "  # noqa: S608
            f"AND {d}.{_col(AuthorisedDoctor, 'code')} = {p}.{doctor_code} AND {d}.{_col(AuthorisedDoctor, 'active')} "
            f"AND {d}.{_col(AuthorisedDoctor, flag)})"
        )

    returning = ", ".join(_col(Prescription, name) for name in TAKEN_COLUMNS)
    return (
        f"UPDATE {p} SET {uses} = {uses} + 1, {status} = CASE WHEN {uses} + 1 < {max_uses} THEN {status} "  # noqa: S608
        f"WHEN {specified} THEN %(archived)s ELSE %(used)s END "
        f"WHERE {pid} = %(id)s AND {_col(Prescription, 'person')} = %(person)s AND {status} = %(open)s "
        f"AND {uses} < {max_uses} AND {_col(Prescription, 'valid_until')} >= %(on)s "
        f"AND NOT EXISTS (SELECT 1 FROM {u} WHERE {u}.{_col(PrescriptionUse, 'prescription')} = {p}.{pid} "
        f"AND {u}.{_col(PrescriptionUse, 'settlement_number')} = %(settlement)s) "
        f"RETURNING {returning}, {doctor('specified_disease')}, {doctor('dual_channel')}"
    )


@lru_cache(maxsize=4)
def insert_use_sql(vendor: str) -> str:
    u = _q(PrescriptionUse._meta.db_table)
    n, prescription, released = (_col(PrescriptionUse, f) for f in ("n", "prescription", "released_at"))
    names = ("prescription", "n", "settlement_number", "institution", "service_date", "stamped", "archived", "at")
    columns = ", ".join(_col(PrescriptionUse, f) for f in names)
    held = f"SELECT {n} FROM {u} WHERE {prescription} = %(id)s AND {released} IS NULL"  # noqa: S608
    return (
        f"INSERT INTO {u} ({columns}, {released}) "  # noqa: S608
        "SELECT %(id)s, MIN(k), %(settlement)s, %(institution)s, %(on)s, %(stamped)s, %(archived)s, %(at)s, NULL "
        f"FROM (SELECT 1 AS k UNION ALL SELECT {n} + 1 FROM {u} WHERE {prescription} = %(id)s AND {released} IS NULL) "
        f"AS slots WHERE k NOT IN ({held})"
    )
