"""Issuers upload electronic prescriptions (电子处方流转) and cancel them."""

import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone

from payments.prescriptions.models import Prescription, PrescriptionEvent
from payments.prescriptions.services import ORDINARY_VALID_DAYS, prescription_claim
from payments.settlement.audit import add_months
from portal.audit.models import AuditEvent
from tests import factories
from tests.payments.prescriptions import factories as rx
from tests.payments.settlement_helpers import insured

pytestmark = pytest.mark.django_db

URL = "/api/v1/hospital/prescriptions"


def test_a_hospital_system_uploads_a_prescription_for_a_patient_named_by_identity_number() -> None:
    person = insured()
    hospital = rx.issuer()
    rx.doctor(hospital, "D001", specified_disease=True, dual_channel=True)
    client = rx.system(hospital)
    body = rx.upload_body(person)
    response = client.post(URL, body)
    assert response.status_code == 201, response.json()
    shown = response.json()
    today = timezone.localdate()
    assert shown["number"] == body["number"]
    assert shown["kind"] == "electronic"
    assert shown["status"] == "open"
    assert shown["person_id"] == person.pk
    assert shown["issuer"] == {"code": hospital.code, "name": hospital.name}
    assert shown["doctor"] == {"code": "D001", "name": "李医生", "specified_disease": True, "dual_channel": True}
    assert shown["diagnosis"] == {"code": "I10.x00", "text": "原发性高血压"}
    assert (shown["specified_disease"], shown["disease_code"]) == (True, "M03900")
    assert shown["valid_until"] == add_months(today, 3).isoformat()
    assert (shown["uses"], shown["max_uses"], shown["uses_left"]) == (0, 3, 3)
    assert shown["items"] == [
        {"line": 1, "code": "XC09AA", "name": "缬沙坦胶囊", "quantity": 3, "days_supply": 30, "dual_channel": False}
    ]
    assert "patient_id_number" not in shown and person.id_number_masked not in json.dumps(shown)
    # The patient was read by identity number the audited way, as for hospital bills.
    lookup = AuditEvent.objects.get(person=person, purpose="prescription upload")
    assert lookup.actor_terminal == client.terminal
    written = AuditEvent.objects.get(person=person, purpose="prescription upload: recorded")
    assert (written.action, written.actor_terminal) == ("create", client.terminal)
    # The signed request is kept for audit: key id and the hash of the very bytes that were signed.
    stored = Prescription.objects.get(pk=shown["id"])
    assert stored.signed_key_id == client.terminal.key_id
    assert stored.signed_body_sha256 == hashlib.sha256(json.dumps(body).encode()).hexdigest()
    assert stored.signature and stored.signed_nonce and stored.uploaded_by == client.terminal
    assert list(stored.events.values_list("to_status", flat=True)) == ["open"]


def test_an_internet_hospital_uploads_too_and_an_ordinary_prescription_is_used_once_within_days() -> None:
    person = insured()
    client = rx.system(rx.issuer("internet_hospital"))
    response = client.post(URL, rx.upload_body(person, specified_disease=False, disease_code=""))
    assert response.status_code == 201, response.json()
    shown = response.json()
    expected = timezone.localdate() + dt.timedelta(days=ORDINARY_VALID_DAYS)
    assert (shown["valid_until"], shown["max_uses"], shown["doctor"]["specified_disease"]) == (
        expected.isoformat(),
        1,
        False,  # no authorised doctor registered under that code
    )


def test_a_pharmacy_terminal_cannot_upload_a_prescription_nor_look_anyone_up() -> None:
    person = insured()
    pharmacy = rx.system(factories.institution(kind="pharmacy"))
    response = pharmacy.post(URL, rx.upload_body(person))
    assert response.status_code == 403
    assert response.json()["code"] == "not_an_issuer"
    assert not Prescription.objects.exists()
    assert not AuditEvent.objects.filter(purpose="prescription upload").exists()


def test_replaying_the_same_upload_returns_the_first() -> None:
    person = insured()
    client = rx.system()
    body = rx.upload_body(person)
    first = client.post(URL, body)
    again = client.post(URL, body)  # a new nonce and signature, the same content
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Prescription.objects.count() == 1


def test_the_same_number_with_other_content_is_a_conflict() -> None:
    person = insured()
    client = rx.system()
    body = rx.upload_body(person)
    assert client.post(URL, body).status_code == 201
    changed = client.post(URL, {**body, "items": [rx.item(quantity=9)]})
    assert changed.status_code == 409
    assert changed.json()["code"] == "prescription_conflict"
    other_patient = client.post(URL, rx.upload_body(insured(), number=body["number"]))
    assert other_patient.json()["code"] == "prescription_conflict"
    assert Prescription.objects.get().items.get().quantity == 3


def test_another_issuer_may_use_the_same_number() -> None:
    person = insured()
    body = rx.upload_body(person)
    assert rx.system().post(URL, body).status_code == 201
    assert rx.system().post(URL, body).status_code == 201
    assert Prescription.objects.filter(number=body["number"]).count() == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"specified_disease": True, "disease_code": ""}, "prescription_invalid"),
        ({"specified_disease": False, "disease_code": "M03900"}, "prescription_invalid"),
        ({"issued_on": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "prescription_invalid"),
        ({"issued_on": (dt.date.today() - dt.timedelta(days=200)).isoformat()}, "prescription_expired"),
        ({"items": []}, "invalid_input"),
        ({"number": "RX 1/2"}, "invalid_input"),
    ],
)
def test_an_upload_that_breaks_a_rule_is_refused_with_its_own_code(change, code) -> None:
    response = rx.system().post(URL, rx.upload_body(insured(), **change))
    assert response.json()["code"] == code
    assert response.status_code in (400, 409)
    assert not Prescription.objects.exists()


def test_a_patient_who_is_not_insured_is_not_found() -> None:
    person = insured()
    person.insured = False
    person.save(update_fields=["insured"])
    response = rx.system().post(URL, rx.upload_body(person))
    assert (response.status_code, response.json()["code"]) == (404, "person_unknown")


def test_the_issuer_cancels_an_unused_prescription_and_a_second_cancel_changes_nothing() -> None:
    person = insured()
    client = rx.system()
    number = client.post(URL, rx.upload_body(person)).json()["number"]
    response = client.post(f"{URL}/{number}/cancel")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert client.post(f"{URL}/{number}/cancel").json()["status"] == "cancelled"
    events = PrescriptionEvent.objects.filter(prescription__number=number)
    assert [(e.from_status, e.to_status) for e in events] == [("", "open"), ("open", "cancelled")]
    cancelled = AuditEvent.objects.get(person=person, purpose="prescription cancel")
    assert (cancelled.action, cancelled.actor_terminal) == ("update", client.terminal)


def test_only_the_issuer_can_cancel_and_not_once_it_was_used() -> None:
    person = insured()
    client = rx.system()
    shown = client.post(URL, rx.upload_body(person)).json()
    stranger = rx.system().post(f"{URL}/{shown['number']}/cancel")
    assert (stranger.status_code, stranger.json()["code"]) == (404, "prescription_not_found")
    prescription_claim(
        prescription_id=shown["id"],
        person_id=person.pk,
        institution=factories.institution(kind="pharmacy"),
        settlement_number="S1",
        on=timezone.localdate(),
    )
    used = client.post(f"{URL}/{shown['number']}/cancel")
    assert (used.status_code, used.json()["code"]) == (409, "prescription_in_use")
    assert Prescription.objects.get(pk=shown["id"]).status == "open"
