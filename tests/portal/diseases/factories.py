"""Factories for the specified-disease tests: groups with rules, diseases, institutions that may serve them,
recognitions moved along through the services, staff reviewers and family holdings."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.diseases import services
from portal.diseases.models import Disease, DiseaseGroup, DiseaseGroupRules, Recognition, Violation
from portal.institutions.models import Institution
from portal.people.models import Person, User
from tests import factories
from tests.uploads import PDF, PNG

_sequence = itertools.count(1)

RULES = {
    "deductible_fen": 200_00,
    "employee_rate_bp": 7500,
    "retiree_rate_bp": 8000,
    "resident_rate_bp": 6000,
    "employee_cap_fen": 4_000_00,
    "retiree_cap_fen": 5_000_00,
    "resident_cap_fen": 3_000_00,
}


def group(*, region_code: str = "340600", code: str | None = None, with_rules: bool = True) -> DiseaseGroup:
    created = DiseaseGroup.objects.create(
        region=factories.region(region_code),
        code=code or f"g{next(_sequence)}",
        name_zh="慢性病",
        name_en="Chronic diseases",
    )
    if with_rules:
        rules(created)
    return created


def rules(
    of: DiseaseGroup,
    *,
    effective_from: dt.date = dt.date(2024, 1, 1),
    effective_to: dt.date | None = None,
    **fields: Any,
) -> DiseaseGroupRules:
    return DiseaseGroupRules.objects.create(
        group=of, effective_from=effective_from, effective_to=effective_to, **{**RULES, **fields}
    )


def disease(
    *,
    region_code: str = "340600",
    code: str | None = None,
    of: DiseaseGroup | None = None,
    choice_exempt: bool = False,
    internet_hospital: bool = False,
    long_prescription: bool = False,
    active: bool = True,
) -> Disease:
    n = next(_sequence)
    return Disease.objects.create(
        region=factories.region(region_code),
        code=code or f"disease{n}",
        name_zh=f"病种{n}",
        name_en=f"Disease {n}",
        group=of or group(region_code=region_code),
        choice_exempt=choice_exempt,
        internet_hospital=internet_hospital,
        long_prescription=long_prescription,
        active=active,
    )


def hospital(*, region_code: str = "340600", kind: str = "hospital", designated: bool = True) -> Institution:
    level = "unrated" if kind == "pharmacy" else "2"
    created = factories.institution(kind=kind, level=level, region_code=region_code)
    if not designated:
        Institution.objects.filter(pk=created.pk).update(designated=False)
        created.refresh_from_db()
    return created


def pharmacy(*, region_code: str = "340600", specified: bool = True) -> Institution:
    created = factories.institution(kind="pharmacy", region_code=region_code)
    Institution.objects.filter(pk=created.pk).update(specified_disease_pharmacy=specified)
    created.refresh_from_db()
    return created


def png(name: str = "diagnosis.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name: str = "record.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def staff(username: str | None = None) -> User:
    return User.objects.create_user(
        username or f"staff{next(_sequence)}", password="a-long-test-password", is_staff=True, is_superuser=True
    )


def applied(
    *, person: Person, of: Disease, institution: Institution | None = None, by: Person | None = None
) -> Recognition:
    if institution is None and not of.choice_exempt:
        institution = hospital(region_code=of.region.code)
    return services.recognition_apply(
        person=person,
        applied_by=by or person,
        disease_code=of.code,
        institution_id=institution.pk if institution else None,
        documents=[png()],
    )


def approved(
    *,
    person: Person,
    of: Disease,
    institution: Institution | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    reviewer: User | None = None,
) -> Recognition:
    recognition = applied(person=person, of=of, institution=institution)
    return services.recognition_approve(
        recognition_id=recognition.pk, reviewer=reviewer or staff(), valid_from=valid_from, valid_to=valid_to
    )


def violation(
    *, recognition: Recognition, kind: str = Violation.Kind.REPEATED_PURCHASE, starts_on: dt.date | None = None
) -> Violation:
    return services.violation_record(
        person_id=recognition.person_id,
        disease_id=recognition.disease_id,
        kind=kind,
        recovered_fen=123_45,
        recorded_by=staff(),
        note="test",
        starts_on=starts_on,
    )


def holder_of(guardian: Person, relative: Person) -> None:
    """``guardian`` actively holds ``relative``'s e-voucher code (registered at the counter)."""
    from portal.people.services import person_id_number
    from vouchers.family import holding_register_by_staff, holding_request

    holding = holding_request(holder=guardian, name=relative.name, id_number=person_id_number(relative))
    holding_register_by_staff(holding_id=holding.pk)


def today() -> dt.date:
    return timezone.localdate()
