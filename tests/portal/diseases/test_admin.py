"""Staff work in the Django admin: review through actions that call the services, violations recorded from a
form, reinstatement decided, and an audit row for every opening of a person's record or document."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.diseases import services
from portal.diseases.models import Recognition, Reinstatement, Suspension, Violation
from tests import factories
from tests.portal.diseases import factories as make
from tests.portal.diseases.test_suspensions import GOOD, suspended

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    user = make.staff("reviewer")
    client.force_login(user)
    client.user = user
    return client


def act(client, model, action, ids, **fields):
    url = reverse(f"admin:diseases_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(i) for i in ids], "index": "0", **fields})


def test_opening_a_recognition_leaves_an_audit_row(staff_client) -> None:
    recognition = make.applied(person=factories.person(), of=make.disease())
    page = staff_client.get(reverse("admin:diseases_recognition_change", args=[recognition.pk]))
    assert page.status_code == 200
    audit = AuditEvent.objects.get(person=recognition.person, action="read")
    assert audit.actor_user == staff_client.user and audit.purpose == "admin: specified-disease recognition"
    assert staff_client.get(reverse("admin:diseases_recognition_changelist")).status_code == 200


def test_opening_a_document_is_audited_and_served_privately(staff_client) -> None:
    recognition = make.applied(person=factories.person(), of=make.disease())
    document = recognition.documents.get()
    response = staff_client.get(reverse("admin:disease_document_file", args=[document.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    audit = AuditEvent.objects.get(person=recognition.person, purpose="admin: specified-disease document")
    assert audit.fields == ["file"]


def test_staff_approve_with_an_end_date_and_reject_only_with_a_reason(staff_client) -> None:
    disease = make.disease()
    first = make.applied(person=factories.person(), of=disease)
    second = make.applied(person=factories.person(), of=disease)
    end = make.today() + dt.timedelta(days=365)
    act(staff_client, "recognition", "approve", [first.pk], valid_to="31/12/2027")
    assert Recognition.objects.get(pk=first.pk).status == "applied"  # a wrong date: nothing approved
    act(staff_client, "recognition", "approve", [first.pk], note="材料齐全", valid_to=end.isoformat())
    first.refresh_from_db()
    assert (first.status, first.valid_to, first.reviewer) == ("approved", end, staff_client.user)
    act(staff_client, "recognition", "reject", [second.pk])
    assert Recognition.objects.get(pk=second.pk).status == "applied"  # no reason given: refused, nothing moved
    act(staff_client, "recognition", "reject", [second.pk], note="非本统筹区诊断")
    assert Recognition.objects.get(pk=second.pk).review_note == "非本统筹区诊断"
    act(staff_client, "recognition", "revoke", [first.pk], note="复查不符")
    assert Recognition.objects.get(pk=first.pk).status == "revoked"


def test_staff_record_a_violation_from_a_form_in_yuan(staff_client) -> None:
    person = factories.person()
    recognition = make.approved(person=person, of=make.disease())
    url = reverse("admin:diseases_violation_add")
    form = {
        "person": str(person.pk),
        "disease": str(recognition.disease_id),
        "kind": Violation.Kind.PRESCRIPTION_REUSE,
        "recovered_yuan": "123.45",
        "reference": "S1",
        "note": "同一处方第4次使用",
    }
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    violation = Violation.objects.get()
    assert (violation.recovered_fen, violation.recorded_by) == (123_45, staff_client.user)
    assert Suspension.objects.get(violation=violation).status == "active"
    page = staff_client.get(reverse("admin:diseases_violation_change", args=[violation.pk]))
    assert page.status_code == 200
    assert AuditEvent.objects.filter(person=person, action="read", purpose__contains="violation").exists()


def test_the_violation_form_refuses_a_disease_the_person_was_never_recognised_for(staff_client) -> None:
    person = factories.person()
    form = {
        "person": str(person.pk),
        "disease": str(make.disease().pk),
        "kind": Violation.Kind.OTHER,
        "recovered_yuan": "0",
    }
    response = staff_client.post(reverse("admin:diseases_violation_add"), form)
    assert response.status_code == 200 and "没有该病种的认定" in response.content.decode()
    assert not Violation.objects.exists()


def test_staff_decide_reinstatement_and_lift_suspensions_from_the_admin(staff_client) -> None:
    person = factories.person()
    suspension, _ = suspended(person)
    application = services.reinstatement_apply(suspension_id=suspension.pk, by=person, **GOOD)
    page = staff_client.get(reverse("admin:diseases_reinstatement_change", args=[application.pk]))
    assert page.status_code == 200
    assert AuditEvent.objects.filter(person=person, purpose="admin: specified-disease reinstatement").exists()
    act(staff_client, "reinstatement", "approve", [application.pk])
    assert Reinstatement.objects.get(pk=application.pk).status == "approved"
    assert Suspension.objects.get(pk=suspension.pk).status == "reinstated"
    other, _ = suspended(factories.person())
    assert staff_client.get(reverse("admin:diseases_suspension_change", args=[other.pk])).status_code == 200
    act(staff_client, "suspension", "lift", [other.pk], note="违规认定撤销")
    assert Suspension.objects.get(pk=other.pk).status == "ended"


@pytest.mark.parametrize("model", ["disease", "diseasegroup", "diseasegrouprules", "diseasepolicy"])
def test_the_lists_and_rules_are_edited_as_data(staff_client, model) -> None:
    assert staff_client.get(reverse(f"admin:diseases_{model}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"admin:diseases_{model}_add")).status_code == 200
