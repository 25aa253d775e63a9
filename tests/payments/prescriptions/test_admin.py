"""Staff audit a prescription in the admin: items, uses with their settlements, and the photo together."""

import pytest
from django.test import Client

from payments.prescriptions.models import AuthorisedDoctor, Prescription
from payments.prescriptions.services import prescription_claim
from payments.settlement.models import Settlement
from portal.audit.models import AuditEvent
from portal.people.models import User
from tests import factories
from tests.conftest import TerminalClient
from tests.payments.prescriptions import factories as rx
from tests.payments.settlement_helpers import drug, insured, scan, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> tuple[Client, User]:
    user = User.objects.create_superuser("ops", password="a-long-test-password")
    client = Client()
    client.force_login(user)
    return client, user


def test_staff_see_a_paper_prescription_with_its_items_uses_and_photo_and_each_look_is_audited(staff) -> None:
    client, user = staff
    person = insured(insurance_type="employee", balance_fen=100_000)
    hospital = rx.issuer()
    pharmacy = TerminalClient(*factories.terminal(of=factories.institution(kind="pharmacy")))
    form = {**rx.paper_form(hospital.code), "photo": rx.photo()}
    recorded = rx.post_multipart(
        pharmacy, f"/api/v1/scanner/sessions/{scan(pharmacy, person)}/paper-prescriptions", form
    )
    assert recorded.status_code == 201, recorded.json()
    prescription = Prescription.objects.get(pk=recorded.json()["id"])
    receipt = settle(pharmacy, scan(pharmacy, person), [drug()]).json()
    settlement = Settlement.objects.get(number=receipt["settlement"])
    prescription_claim(
        prescription_id=prescription.pk,
        person_id=person.pk,
        institution=pharmacy.terminal.institution,
        settlement_number=settlement.number,
        on=settlement.service_date,
    )
    page = client.get(f"/admin/prescriptions/prescription/{prescription.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "缬沙坦胶囊" in html  # the item
    assert f'href="/admin/payments/settlement/{settlement.pk}/change/"' in html  # the use, linked
    photo_url = f"/admin/prescriptions/prescription/{prescription.pk}/file/"
    assert f'<img src="{photo_url}"' in html
    event = AuditEvent.objects.get(person=person, purpose="admin: prescription page")
    assert (event.action, event.actor_user) == ("read", user)
    photo = client.get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "no-store" in photo["Cache-Control"]
    assert AuditEvent.objects.filter(person=person, purpose="admin: prescription photo", actor_user=user).exists()


def test_staff_filter_prescriptions_and_keep_the_authorised_doctors(staff) -> None:
    client, _ = staff
    person = insured()
    hospital = rx.issuer()
    rx.prescription(person, institution=hospital)
    for query in (
        "kind__exact=paper",
        "specified_disease__exact=1",
        "status__exact=open",
        f"institution__id__exact={hospital.pk}",
    ):
        assert client.get(f"/admin/prescriptions/prescription/?{query}").status_code == 200
    added = client.post(
        "/admin/prescriptions/authoriseddoctor/add/",
        {"institution": hospital.pk, "code": "D7", "name": "王医生", "specified_disease": "on", "active": "on"},
    )
    assert added.status_code == 302
    assert AuthorisedDoctor.objects.get(code="D7").specified_disease is True


def test_a_prescription_cannot_be_edited_or_deleted_in_the_admin(staff) -> None:
    client, _ = staff
    prescription = rx.prescription(insured())
    assert client.post(f"/admin/prescriptions/prescription/{prescription.pk}/change/", {"uses": 3}).status_code == 403
    assert client.get(f"/admin/prescriptions/prescription/{prescription.pk}/delete/").status_code == 403
    prescription.refresh_from_db()
    assert prescription.uses == 0
