"""Factories for test data. Identity numbers are valid GB 11643 numbers."""

from __future__ import annotations

import datetime as dt
import itertools

from portal.identity import make_id_number
from portal.institutions.models import Institution, Region, Terminal
from portal.institutions.services import terminal_create
from portal.ledger.services import personal_account_allocate
from portal.people.models import Person
from portal.people.services import person_create

_sequence = itertools.count(1)


def region(code: str = "340600", name: str = "淮北市") -> Region:
    obj, _ = Region.objects.get_or_create(code=code, defaults={"name": name})
    return obj


def institution(
    *,
    code: str | None = None,
    kind: str = "pharmacy",
    level: str = "unrated",
    primary: bool = False,
    region_code: str = "340600",
    **flags: bool,
) -> Institution:
    """``flags``: ``designated``, ``dual_channel``, ``specified_disease_pharmacy``."""
    n = next(_sequence)
    return Institution.objects.create(
        code=code or f"X{region_code}{n:05d}",
        name=f"测试机构{n}",
        kind=kind,
        level=level,
        is_primary_level=primary,
        region=region(region_code),
        **flags,
    )


def terminal(*, of: Institution | None = None, kind: str = Terminal.Kind.SCANNER) -> tuple[Terminal, str]:
    return terminal_create(institution=of or institution(), name="测试终端", kind=kind)


def id_number(*, birth: dt.date = dt.date(1980, 5, 17), division: str = "340602") -> str:
    return make_id_number(division_code=division, birth_date=birth, sequence=next(_sequence) % 1000)


def person(
    *,
    name: str = "张三",
    insurance_type: str = Person.InsuranceType.EMPLOYEE,
    phone: str | None = None,
    region_code: str = "340600",
    balance_fen: int = 0,
    number: str | None = None,
    **extra: object,
) -> Person:
    region(region_code)
    n = next(_sequence)
    created = person_create(
        name=name,
        id_number=number or id_number(),
        region_code=region_code,
        insurance_type=insurance_type,
        phone=phone if phone is not None else f"138{n:08d}",
        **extra,  # type: ignore[arg-type]
    )
    if balance_fen:
        personal_account_allocate(person=created, amount_fen=balance_fen, reference="test")
    return created


def bound_to(payer: Person, initiators: list[Person], *, start: dt.datetime | None = None) -> None:
    """Active family-sharing bindings: ``payer`` may spend the initiators' accounts, bound in list order."""
    from django.utils import timezone

    from portal.family.models import FamilyBinding

    start = start or timezone.now() - dt.timedelta(days=10)
    for n, initiator in enumerate(initiators):
        FamilyBinding.objects.create(
            initiator=initiator,
            bound=payer,
            relation="parent",
            status="active",
            consent_expires_at=start,
            activated_at=start + dt.timedelta(days=n),
        )
