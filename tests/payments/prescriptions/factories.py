"""Factories and helpers for prescription tests: issuers, authorised doctors, uploads, signed multipart."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from payments.prescriptions.models import AuthorisedDoctor, Prescription
from payments.prescriptions.services import ItemInput, prescription_upload
from portal.institutions.models import Institution, Terminal
from portal.people.models import Person
from portal.people.services import person_id_number
from portal.signin.signing import sign_headers
from tests import factories
from tests.conftest import TerminalClient
from tests.uploads import jpeg

_numbers = itertools.count(1)


def number() -> str:
    return f"RX{next(_numbers):08d}"


def issuer(kind: str = "hospital", **extra: Any) -> Institution:
    level = "2" if kind == "hospital" else "unrated"
    return factories.institution(kind=kind, level=level, **extra)


def system(institution: Institution | None = None) -> TerminalClient:
    """A signed client for an issuer's system (a hospital unless told)."""
    terminal, secret = factories.terminal(of=institution or issuer(), kind=Terminal.Kind.SYSTEM)
    return TerminalClient(terminal, secret)


def doctor(institution: Institution, code: str = "D001", **flags: bool) -> AuthorisedDoctor:
    return AuthorisedDoctor.objects.create(
        institution=institution,
        code=code,
        name="李医生",
        specified_disease=flags.get("specified_disease", True),
        dual_channel=flags.get("dual_channel", False),
        active=flags.get("active", True),
    )


def item(**extra: Any) -> dict[str, Any]:
    return {"code": "XC09AA", "name": "缬沙坦胶囊", "quantity": 3, "days_supply": 30, "dual_channel": False, **extra}


def upload_body(person: Person, **extra: Any) -> dict[str, Any]:
    """The JSON an issuer sends; a specified-disease (hypertension) prescription unless told."""
    return {
        "number": number(),
        "patient_id_number": person_id_number(person),
        "doctor_code": "D001",
        "doctor_name": "李医生",
        "diagnosis_code": "I10.x00",
        "diagnosis_text": "原发性高血压",
        "specified_disease": True,
        "disease_code": "M03900",
        "issued_on": timezone.localdate().isoformat(),
        "items": [item()],
        **extra,
    }


def prescription(
    person: Person,
    *,
    institution: Institution | None = None,
    specified_disease: bool = True,
    issued_on: dt.date | None = None,
    codes: tuple[str, ...] = ("XC09AA",),
    doctor_code: str = "D001",
) -> Prescription:
    """An electronic prescription uploaded through the service (no HTTP)."""
    terminal, _ = factories.terminal(of=institution or issuer(), kind=Terminal.Kind.SYSTEM)
    created, _ = prescription_upload(
        terminal=terminal,
        person=person,
        number=number(),
        doctor_code=doctor_code,
        doctor_name="李医生",
        diagnosis_code="I10.x00",
        diagnosis_text="原发性高血压",
        specified_disease=specified_disease,
        disease_code="M03900" if specified_disease else "",
        issued_on=issued_on or timezone.localdate(),
        items=[ItemInput(code=code, name=f"药品{code}", quantity=1, days_supply=30) for code in codes],
    )
    return created


def photo(content: bytes | None = None, name: str = "rx.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg() if content is None else content, content_type=content_type)


def paper_form(issuer_code: str, **extra: Any) -> dict[str, Any]:
    import json

    items = extra.pop("items", [item()])
    return {
        "number": number(),
        "issuer_institution_code": issuer_code,
        "doctor_code": "D001",
        "doctor_name": "李医生",
        "diagnosis_code": "E11.900",
        "diagnosis_text": "2型糖尿病",
        "specified_disease": "true",
        "disease_code": "M04900",
        "issued_on": timezone.localdate().isoformat(),
        "items": json.dumps(items),
        **extra,
    }


def post_multipart(client: TerminalClient, path: str, form: dict[str, Any]) -> Any:
    """A signed multipart POST, as a pharmacy terminal sends it: the signature covers the encoded body."""
    body = encode_multipart(BOUNDARY, form)
    headers = sign_headers(key_id=client.terminal.key_id, secret=client.secret, method="POST", path=path, body=body)
    return client.client.generic("POST", path, data=body, content_type=MULTIPART_CONTENT, headers=headers)
