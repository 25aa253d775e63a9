"""Who sees which prescriptions: the pharmacy that scanned the resident; the resident and their holder."""

import uuid

import pytest
from django.utils import timezone

from payments.prescriptions.models import Prescription
from payments.prescriptions.services import prescription_claim
from portal.audit.models import AuditEvent
from portal.people.services import person_id_number
from tests import factories
from tests.conftest import TerminalClient
from tests.payments.prescriptions import factories as rx
from tests.payments.settlement_helpers import insured, scan
from vouchers.family import holding_register_by_staff, holding_request

pytestmark = pytest.mark.django_db


def _pharmacy() -> TerminalClient:
    return TerminalClient(*factories.terminal(of=factories.institution(kind="pharmacy")))


def _listed(client: TerminalClient, session: str):
    return client.get(f"/api/v1/scanner/sessions/{session}/prescriptions")


def test_a_pharmacy_that_scanned_the_resident_sees_their_open_prescriptions_and_the_read_is_audited() -> None:
    person, other = insured(), insured()
    hospital = rx.issuer()
    rx.doctor(hospital, "D001", specified_disease=True)
    usable = rx.prescription(person, institution=hospital, codes=("A1", "B2"))
    once = rx.prescription(person, specified_disease=False)
    used = rx.prescription(person, specified_disease=False)
    prescription_claim(
        prescription_id=used.pk,
        person_id=person.pk,
        institution=factories.institution(kind="pharmacy"),
        settlement_number="S1",
        on=timezone.localdate(),
    )
    cancelled = rx.prescription(person)
    Prescription.objects.filter(pk=cancelled.pk).update(status="cancelled")
    rx.prescription(other)
    pharmacy = _pharmacy()
    session = scan(pharmacy, person)
    response = _listed(pharmacy, session)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert sorted(r["id"] for r in results) == sorted([usable.pk, once.pk])
    shown = next(r for r in results if r["id"] == usable.pk)
    assert shown["issuer"] == {"code": hospital.code, "name": hospital.name}
    assert shown["doctor"]["specified_disease"] is True
    assert (shown["uses"], shown["uses_left"], shown["valid_until"]) == (0, 3, usable.valid_until.isoformat())
    assert [i["code"] for i in shown["items"]] == ["A1", "B2"]
    event = AuditEvent.objects.get(person=person, purpose="scanner: open prescriptions")
    assert (event.action, event.actor_terminal) == ("read", pharmacy.terminal)


def test_another_institution_cannot_use_the_scan_session_and_nothing_is_read() -> None:
    person = insured()
    rx.prescription(person)
    pharmacy, other = _pharmacy(), _pharmacy()
    session = scan(pharmacy, person)
    for session_id in (session, str(uuid.uuid4()), "not-a-uuid"):
        response = _listed(other, session_id)
        assert (response.status_code, response.json()["code"]) == (409, "scan_session_invalid")
    assert not AuditEvent.objects.filter(purpose="scanner: open prescriptions").exists()


def test_a_registration_scan_does_not_show_prescriptions() -> None:
    person = insured()
    rx.prescription(person)
    hospital = TerminalClient(*factories.terminal(of=rx.issuer()))
    refused = _listed(hospital, scan(hospital, person, business_type="01101"))
    assert refused.json()["code"] == "scan_session_invalid"
    allowed = _listed(hospital, scan(hospital, person, business_type="01302"))  # drug collection
    assert allowed.status_code == 200 and len(allowed.json()["results"]) == 1


def test_a_resident_cannot_call_the_scanner_list() -> None:
    person = insured()
    pharmacy = _pharmacy()
    session = scan(pharmacy, person)
    from rest_framework.test import APIClient

    from portal.people.services import person_user

    client = APIClient()
    client.force_login(person_user(person=person))
    response = client.get(f"/api/v1/scanner/sessions/{session}/prescriptions")
    assert (response.status_code, response.json()["code"]) == (403, "not_a_terminal")


def test_a_resident_sees_their_own_prescriptions_and_one_with_its_uses(resident_api) -> None:
    person = insured()
    prescription = rx.prescription(person)
    pharmacy = factories.institution(kind="pharmacy")
    prescription_claim(
        prescription_id=prescription.pk,
        person_id=person.pk,
        institution=pharmacy,
        settlement_number="S1",
        on=timezone.localdate(),
    )
    client = resident_api(person)
    listed = client.get("/api/v1/prescriptions").json()["results"]
    assert [r["id"] for r in listed] == [prescription.pk]
    detail = client.get(f"/api/v1/prescriptions/{prescription.pk}")
    assert detail.status_code == 200
    uses = detail.json()["uses"]
    assert [(u["n"], u["settlement_number"], u["stamped"], u["archived"]) for u in uses] == [(1, "S1", True, False)]
    assert uses[0]["institution"] == {"code": pharmacy.code, "name": pharmacy.name}
    assert detail.json()["prescription"]["uses_left"] == 2


def test_a_holder_sees_the_prescriptions_of_a_relative_whose_code_they_hold(resident_api) -> None:
    guardian, child = insured(), insured(phone="")
    holding = holding_request(holder=guardian, name=child.name, id_number=person_id_number(child))
    holding_register_by_staff(holding_id=holding.pk)
    mine, theirs = rx.prescription(guardian), rx.prescription(child)
    client = resident_api(guardian)
    listed = client.get("/api/v1/prescriptions").json()["results"]
    assert sorted(r["id"] for r in listed) == sorted([mine.pk, theirs.pk])
    assert client.get(f"/api/v1/prescriptions/{theirs.pk}").json()["prescription"]["person_id"] == child.pk
    # The relative does not see the guardian's.
    child_view = resident_api(child).get("/api/v1/prescriptions").json()["results"]
    assert [r["id"] for r in child_view] == [theirs.pk]


def test_an_outsider_sees_nothing_of_anyone_elses(resident_api) -> None:
    person, outsider = insured(), insured()
    prescription = rx.prescription(person)
    client = resident_api(outsider)
    assert client.get("/api/v1/prescriptions").json()["results"] == []
    response = client.get(f"/api/v1/prescriptions/{prescription.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "prescription_not_found")
    assert client.get("/api/v1/prescriptions/99999999").json()["code"] == "prescription_not_found"
