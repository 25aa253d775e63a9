"""Demo data for the specified-disease scheme in 马鞍山市 (340500), through the services; idempotent.

- the city's pharmacy becomes a designated specified-disease pharmacy;
- one resident has hypertension recognised, with the city hospital as the chosen institution;
- one has diabetes waiting for review;
- one has chemo/radiotherapy recognised (choice-exempt), and hypertension recognised but suspended at
  pharmacies after a violation more than a year ago: they may ask for reinstatement now.

Approvals and the violation need a staff user ("operator", created in the embedded mode); without one the
applications stay waiting for review.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from portal.diseases import services
from portal.diseases.common import add_months
from portal.diseases.models import Recognition, Violation
from portal.institutions.models import Institution
from portal.people.models import Person, User

REGION = "340500"
HOSPITAL = "H34050400017"
PHARMACY = "P34050400019"


def _document() -> SimpleUploadedFile:
    """A small real PNG standing for a scanned diagnosis certificate."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (240, 245, 250)).save(out, format="PNG")
    return SimpleUploadedFile("diagnosis.png", out.getvalue(), content_type="image/png")


def _recognise(
    person: Person, code: str, institution: Institution | None, reviewer: User | None, since: dt.date | None = None
) -> Recognition:
    existing = Recognition.objects.filter(person=person, disease__code=code, disease__region__code=REGION).first()
    if existing is not None:
        return existing
    recognition = services.recognition_apply(
        person=person,
        applied_by=person,
        disease_code=code,
        institution_id=institution.pk if institution else None,
        documents=[_document()],
    )
    if reviewer is not None and since is not None:
        recognition = services.recognition_approve(
            recognition_id=recognition.pk, reviewer=reviewer, valid_from=since, note="demo"
        )
    return recognition


def build_disease_demo(*, progress: Callable[[str], None] = print) -> list[tuple[str, str, str]]:
    """Returns demo logins (name, phone, what to see)."""
    hospital = Institution.objects.filter(code=HOSPITAL).first()
    residents = list(Person.objects.filter(region__code=REGION, insured=True).exclude(phone="").order_by("id")[:3])
    if hospital is None or len(residents) < 3:
        return []
    Institution.objects.filter(code=PHARMACY).update(specified_disease_pharmacy=True)
    reviewer = User.objects.filter(username="operator", is_staff=True).first()
    today = timezone.localdate()
    first, second, third = residents
    with transaction.atomic():
        _recognise(first, "hypertension", hospital, reviewer, since=today)
        _recognise(second, "diabetes", hospital, None)
        _recognise(third, "tumour_chemo_radiotherapy", None, reviewer, since=today)
        suspended = _recognise(third, "hypertension", hospital, reviewer, since=add_months(today, -14))
        if reviewer is not None and not Violation.objects.filter(person=third).exists():
            services.violation_record(
                person_id=third.pk,
                disease_id=suspended.disease_id,
                kind=Violation.Kind.REPEATED_PURCHASE,
                recovered_fen=386_50,
                recorded_by=reviewer,
                note="demo: bought amlodipine at two pharmacies within a week",
                starts_on=add_months(today, -13),
            )
    progress(f"  specified diseases: recognitions {Recognition.objects.filter(disease__region__code=REGION).count()}")
    return [
        (first.name, first.phone, "门诊规定病种：高血压已认定 / specified disease recognised"),
        (second.name, second.phone, "门诊规定病种：糖尿病待审核 / specified disease waiting for review"),
        (third.name, third.phone, "规定病种药店结算已暂停，可申请恢复 / pharmacy settlement suspended"),
    ]
