"""A pharmacy records a paper prescription, with its photo, after scanning the resident."""

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from payments.prescriptions.models import Prescription
from payments.prescriptions.services import prescription_claim
from portal.audit.models import AuditEvent
from tests import factories
from tests.conftest import TerminalClient
from tests.payments.prescriptions import factories as rx
from tests.payments.settlement_helpers import insured, scan
from tests.uploads import PDF, png

pytestmark = pytest.mark.django_db


def _pharmacy() -> TerminalClient:
    return TerminalClient(*factories.terminal(of=factories.institution(kind="pharmacy")))


def _path(session: str) -> str:
    return f"/api/v1/scanner/sessions/{session}/paper-prescriptions"


def test_a_pharmacy_records_a_paper_prescription_with_its_photo_and_it_is_used_like_an_electronic_one() -> None:
    person = insured()
    hospital = rx.issuer()
    pharmacy = _pharmacy()
    session = scan(pharmacy, person)
    form = {**rx.paper_form(hospital.code), "photo": rx.photo()}
    response = rx.post_multipart(pharmacy, _path(session), form)
    assert response.status_code == 201, response.json()
    shown = response.json()
    assert (shown["kind"], shown["person_id"], shown["has_photo"]) == ("paper", person.pk, True)
    assert shown["issuer"]["code"] == hospital.code  # the issuer named on the paper, not the pharmacy
    assert (shown["specified_disease"], shown["disease_code"], shown["max_uses"]) == (True, "M04900", 3)
    stored = Prescription.objects.get(pk=shown["id"])
    assert stored.uploaded_by == pharmacy.terminal
    assert stored.photo_content_type == "image/jpeg"
    assert stored.photo.name.startswith("prescription-photos/") and stored.photo.name.endswith(".jpg")
    assert stored.signed_key_id == pharmacy.terminal.key_id and len(stored.signed_body_sha256) == 64
    written = AuditEvent.objects.get(person=person, purpose="scanner: paper prescription")
    assert (written.action, written.actor_terminal) == ("create", pharmacy.terminal)
    claimed = prescription_claim(
        prescription_id=stored.pk,
        person_id=person.pk,
        institution=pharmacy.terminal.institution,
        settlement_number="S-paper-1",
        on=timezone.localdate(),
    )
    assert (claimed.kind, claimed.use_number, claimed.uses_left) == ("paper", 1, 2)


def test_a_paper_prescription_without_a_photo_is_refused() -> None:
    person = insured()
    pharmacy = _pharmacy()
    response = rx.post_multipart(pharmacy, _path(scan(pharmacy, person)), rx.paper_form(rx.issuer().code))
    assert (response.status_code, response.json()["code"]) == (400, "prescription_photo_required")
    assert not Prescription.objects.exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [(PDF, "rx.pdf"), (b"GIF89a not a photo", "rx.gif"), (b"\xff\xd8\xff broken jpeg", "rx.jpg")],
)
def test_a_photo_that_is_not_a_readable_jpeg_or_png_is_refused(content, name) -> None:
    person = insured()
    pharmacy = _pharmacy()
    form = {**rx.paper_form(rx.issuer().code), "photo": rx.photo(content, name=name)}
    response = rx.post_multipart(pharmacy, _path(scan(pharmacy, person)), form)
    assert (response.status_code, response.json()["code"]) == (400, "prescription_photo_invalid")
    assert not Prescription.objects.exists()


def test_a_real_sized_photo_larger_than_the_json_limit_is_accepted(settings) -> None:
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert out.tell() > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    person = insured()
    pharmacy = _pharmacy()
    form = {**rx.paper_form(rx.issuer().code), "photo": rx.photo(out.getvalue(), "rx.png", "image/png")}
    response = rx.post_multipart(pharmacy, _path(scan(pharmacy, person)), form)
    assert response.status_code == 201, response.json()
    assert Prescription.objects.get().photo_content_type == "image/png"


def test_only_a_pharmacy_records_paper_and_only_with_its_own_scan() -> None:
    person = insured()
    hospital = rx.issuer()
    hospital_scanner = TerminalClient(*factories.terminal(of=hospital))
    session = scan(hospital_scanner, person, business_type="01301")
    form = {**rx.paper_form(hospital.code), "photo": rx.photo()}
    refused = rx.post_multipart(hospital_scanner, _path(session), form)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_a_pharmacy")
    pharmacy, other = _pharmacy(), _pharmacy()
    theirs = scan(other, person)
    response = rx.post_multipart(pharmacy, _path(theirs), {**rx.paper_form(hospital.code), "photo": rx.photo()})
    assert (response.status_code, response.json()["code"]) == (409, "scan_session_invalid")
    assert not Prescription.objects.exists()


def test_the_issuer_on_the_paper_must_be_a_designated_hospital() -> None:
    person = insured()
    pharmacy = _pharmacy()
    another_pharmacy = factories.institution(kind="pharmacy")
    for code in (another_pharmacy.code, "H000000UNKNOWN"):
        form = {**rx.paper_form(code), "photo": rx.photo()}
        response = rx.post_multipart(pharmacy, _path(scan(pharmacy, person)), form)
        assert (response.status_code, response.json()["code"]) == (400, "prescription_issuer_unknown")


def test_the_same_paper_recorded_again_for_the_same_person_returns_the_first_and_for_another_is_refused() -> None:
    person = insured()
    hospital = rx.issuer()
    pharmacy = _pharmacy()
    form = rx.paper_form(hospital.code)
    first = rx.post_multipart(pharmacy, _path(scan(pharmacy, person)), {**form, "photo": rx.photo()})
    # Another pharmacy, at a later use, photographs the same paper again: it finds the same prescription.
    later = _pharmacy()
    again = rx.post_multipart(later, _path(scan(later, person)), {**form, "photo": rx.photo(png(), "b.png")})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    someone_else = insured()
    conflict = rx.post_multipart(pharmacy, _path(scan(pharmacy, someone_else)), {**form, "photo": rx.photo()})
    assert (conflict.status_code, conflict.json()["code"]) == (409, "prescription_conflict")
    assert Prescription.objects.count() == 1


def test_an_electronic_prescription_cannot_be_recorded_again_on_paper() -> None:
    person = insured()
    electronic = rx.prescription(person)
    pharmacy = _pharmacy()
    form = {**rx.paper_form(electronic.institution.code, number=electronic.number), "photo": rx.photo()}
    response = rx.post_multipart(pharmacy, _path(scan(pharmacy, person)), form)
    assert (response.status_code, response.json()["code"]) == (409, "prescription_conflict")


def test_the_model_and_the_database_both_refuse_a_paper_prescription_without_a_photo() -> None:
    person = insured()
    electronic = rx.prescription(person)
    paper = Prescription(
        number="P1",
        kind="paper",
        institution=electronic.institution,
        doctor_code="D1",
        doctor_name="x",
        person=person,
        issued_on=electronic.issued_on,
        valid_until=electronic.valid_until,
        max_uses=1,
        uploaded_by=electronic.uploaded_by,
        request_hash="x",
    )
    with pytest.raises(ValidationError) as refused:
        paper.clean()
    assert "photo" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        paper.save()
