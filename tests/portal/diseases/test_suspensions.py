"""Violations suspend pharmacy settlement of the disease for a year; reinstatement needs the resident's written
application with a signed commitment, then staff approval. Every move has a history row."""

import datetime as dt

import pytest

from portal.audit.models import AuditEvent
from portal.diseases import services
from portal.diseases.common import add_months, period_end
from portal.diseases.models import (
    DiseasePolicy,
    Reinstatement,
    ReinstatementCommitment,
    ReinstatementEvent,
    Suspension,
    SuspensionEvent,
    Violation,
)
from portal.diseases.selectors import recognition_in_force
from portal.errors import DomainError
from tests import factories
from tests.portal.diseases import factories as make

pytestmark = pytest.mark.django_db
URL = "/api/v1/diseases/suspensions"
GOOD = {
    "application": "本人已认识到重复购药的错误，今后严格按处方购药，申请恢复定点药店结算。",
    "commitment_accepted": True,
    "commitment_version": "2026.1",
}


def suspended(person=None, *, served=True):
    """A recognised disease suspended at pharmacies; ``served``: the period is over (reinstatement possible)."""
    person = person or factories.person()
    recognition = make.approved(
        person=person, of=make.disease(), valid_from=make.today() - dt.timedelta(days=500) if served else None
    )
    start = add_months(make.today(), -13) if served else None
    make.violation(recognition=recognition, starts_on=start)
    return Suspension.objects.get(person=person, disease=recognition.disease), recognition


def suspension_history(suspension):
    return list(suspension.events.values_list("from_status", "to_status", "by"))


@pytest.mark.parametrize("kind", Violation.Kind.values)
def test_each_kind_of_violation_suspends_pharmacy_settlement_for_a_year(kind) -> None:
    person = factories.person()
    recognition = make.approved(person=person, of=make.disease())
    reviewer = make.staff()
    violation = services.violation_record(
        person_id=person.pk,
        disease_id=recognition.disease_id,
        kind=kind,
        recovered_fen=386_50,
        recorded_by=reviewer,
        note="查实",
        reference="S2026110100001",
    )
    assert (violation.recovered_fen, violation.recognition_id, violation.recorded_by) == (
        386_50,
        recognition.pk,
        reviewer,
    )
    suspension = Suspension.objects.get(violation=violation)
    today = make.today()
    assert (suspension.status, suspension.starts_on, suspension.ends_on) == ("active", today, period_end(today, 12))
    assert suspension_history(suspension) == [("", "active", "staff")]
    assert AuditEvent.objects.filter(person=person, action="create", purpose__contains="violation").exists()


def test_a_regions_policy_sets_the_suspension_period() -> None:
    DiseasePolicy.objects.create(region=factories.region("340600"), suspension_months=6)
    suspension, _ = suspended(served=False)
    assert suspension.ends_on == period_end(make.today(), 6)


def test_another_violation_while_suspended_extends_the_suspension() -> None:
    suspension, recognition = suspended(served=False)
    later = make.today() + dt.timedelta(days=30)
    make.violation(recognition=recognition, kind=Violation.Kind.SWITCHED_DRUGS, starts_on=later)
    suspension.refresh_from_db()
    assert suspension.ends_on == period_end(later, 12)
    assert Suspension.objects.filter(person=recognition.person).count() == 1
    assert suspension_history(suspension) == [("", "active", "staff"), ("active", "active", "staff")]
    assert "extended" in suspension.events.last().note


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("never recognised", "violation_not_recognised"),
        ("only applied", "violation_not_recognised"),
        ("unknown kind", "violation_invalid"),
        ("negative amount", "violation_invalid"),
        ("yuan as a float", "violation_invalid"),
        ("unknown disease", "disease_unknown"),
    ],
)
def test_a_violation_record_is_refused_clearly(case, code) -> None:
    person, disease = factories.person(), make.disease()
    if case != "never recognised":
        make.applied(person=person, of=disease) if case == "only applied" else make.approved(person=person, of=disease)
    fields = {
        "person_id": person.pk,
        "disease_id": disease.pk,
        "kind": Violation.Kind.FALSE_PRESCRIPTION,
        "recovered_fen": 100,
        "recorded_by": make.staff(),
    }
    fields.update(
        {
            "unknown kind": {"kind": "theft"},
            "negative amount": {"recovered_fen": -1},
            "yuan as a float": {"recovered_fen": 12.5},
            "unknown disease": {"disease_id": 999_999},
        }.get(case, {})
    )
    with pytest.raises(DomainError) as refused:
        services.violation_record(**fields)
    assert refused.value.code == code
    assert not Violation.objects.exists() and not Suspension.objects.exists()


def test_a_resident_and_their_holder_see_the_suspension_and_the_commitment_to_sign(resident_api) -> None:
    person, guardian, stranger = factories.person(), factories.person(), factories.person()
    make.holder_of(guardian, person)
    suspension, _ = suspended(person)
    body = resident_api(person).get(URL, headers={"Accept-Language": "en"}).json()
    assert [s["id"] for s in body["results"]] == [suspension.pk]
    row = body["results"][0]
    assert row["status"] == "active" and row["violation"]["kind"] == "repeated_purchase"
    assert row["violation"]["recovered"] == {"fen": 123_45, "yuan": "123.45"}
    assert row["may_apply_from"] == (suspension.ends_on + dt.timedelta(days=1)).isoformat()
    assert body["commitment"]["version"] == "2026.1" and "undertake" in body["commitment"]["text"]
    assert [s["id"] for s in resident_api(guardian).get(URL).json()["results"]] == [suspension.pk]
    assert resident_api(stranger).get(URL).json()["results"] == []


def test_the_resident_applies_for_reinstatement_once_the_year_is_over(resident_api) -> None:
    person = factories.person()
    suspension, _ = suspended(person)
    response = resident_api(person).post(f"{URL}/{suspension.pk}/reinstatement", GOOD, format="json")
    assert response.status_code == 201, response.json()
    application = response.json()["reinstatements"][0]
    assert (application["status"], application["commitment_version"]) == ("applied", "2026.1")
    reinstatement = Reinstatement.objects.get()
    assert reinstatement.applied_by == person and reinstatement.commitment_accepted_at is not None
    assert list(reinstatement.events.values_list("from_status", "to_status", "by")) == [("", "applied", "resident")]


def test_a_holder_applies_for_their_relative_and_a_stranger_cannot(resident_api) -> None:
    person, guardian, stranger = factories.person(phone=""), factories.person(), factories.person()
    make.holder_of(guardian, person)
    suspension, _ = suspended(person)
    refused = resident_api(stranger).post(f"{URL}/{suspension.pk}/reinstatement", GOOD, format="json")
    assert refused.status_code == 404 and refused.json()["code"] == "suspension_not_found"
    response = resident_api(guardian).post(f"{URL}/{suspension.pk}/reinstatement", GOOD, format="json")
    assert response.status_code == 201
    assert ReinstatementEvent.objects.get().by == "guardian"


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("too early", "reinstatement_too_early", 409),
        ("no application", "reinstatement_application_required", 400),
        ("commitment not signed", "reinstatement_commitment_required", 400),
        ("old wording", "reinstatement_commitment_outdated", 409),
        ("already pending", "reinstatement_pending", 409),
        ("already reinstated", "suspension_state_refused", 409),
        ("unknown suspension", "suspension_not_found", 404),
    ],
)
def test_a_reinstatement_application_is_refused_clearly(resident_api, case, code, status) -> None:
    person = factories.person()
    suspension, _ = suspended(person, served=case != "too early")
    body = dict(GOOD)
    if case == "no application":
        body["application"] = "请恢复"
    elif case == "commitment not signed":
        body["commitment_accepted"] = False
    elif case == "old wording":
        ReinstatementCommitment.objects.create(version="2027.1", text_zh="新承诺", text_en="new")
    elif case == "already pending":
        resident_api(person).post(f"{URL}/{suspension.pk}/reinstatement", GOOD, format="json")
    elif case == "already reinstated":
        Suspension.objects.filter(pk=suspension.pk).update(status="reinstated", lifted_on=make.today())
    target = 999_999 if case == "unknown suspension" else suspension.pk
    response = resident_api(person).post(f"{URL}/{target}/reinstatement", body, format="json")
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code and response.json()["message"]
    if case == "too early":
        assert (suspension.ends_on + dt.timedelta(days=1)).isoformat() in response.json()["message"]


def test_staff_approval_reinstates_pharmacy_settlement_from_today_with_history() -> None:
    person = factories.person()
    suspension, recognition = suspended(person)
    code = recognition.disease.code
    today = make.today()
    assert recognition_in_force(person_id=person.pk, disease_code=code, on=today).pharmacy_suspended
    reinstatement = services.reinstatement_apply(suspension_id=suspension.pk, by=person, **GOOD)
    reviewer = make.staff()
    approved = services.reinstatement_approve(reinstatement_id=reinstatement.pk, reviewer=reviewer, note="已承诺")
    assert (approved.status, approved.reviewer, approved.review_note) == ("approved", reviewer, "已承诺")
    suspension.refresh_from_db()
    assert (suspension.status, suspension.lifted_on) == ("reinstated", today)
    assert suspension_history(suspension)[-1] == ("active", "reinstated", "staff")
    assert list(approved.events.values_list("from_status", "to_status", "by")) == [
        ("", "applied", "resident"),
        ("applied", "approved", "staff"),
    ]
    assert not recognition_in_force(person_id=person.pk, disease_code=code, on=today).pharmacy_suspended
    # The days before the reinstatement stay suspended (a late check of an old settlement).
    assert recognition_in_force(
        person_id=person.pk, disease_code=code, on=today - dt.timedelta(days=1)
    ).pharmacy_suspended
    assert AuditEvent.objects.filter(person=person, purpose__contains="approve reinstatement").exists()
    with pytest.raises(DomainError) as refused:
        services.reinstatement_approve(reinstatement_id=reinstatement.pk, reviewer=reviewer)
    assert refused.value.code == "reinstatement_state_refused"


def test_a_rejected_application_may_be_made_again_and_a_rejection_needs_a_reason() -> None:
    person = factories.person()
    suspension, _ = suspended(person)
    first = services.reinstatement_apply(suspension_id=suspension.pk, by=person, **GOOD)
    with pytest.raises(DomainError) as refused:
        services.reinstatement_reject(reinstatement_id=first.pk, reviewer=make.staff(), note="")
    assert refused.value.code == "review_note_required"
    rejected = services.reinstatement_reject(reinstatement_id=first.pk, reviewer=make.staff(), note="承诺书未签名")
    assert rejected.status == "rejected"
    suspension.refresh_from_db()
    assert suspension.status == "active"
    again = services.reinstatement_apply(suspension_id=suspension.pk, by=person, **GOOD)
    assert again.status == "applied"
    with pytest.raises(DomainError) as refused:
        services.reinstatement_reject(reinstatement_id=999_999, reviewer=make.staff(), note="x")
    assert refused.value.code == "reinstatement_not_found"


def test_approval_waits_for_a_suspension_extended_after_the_application() -> None:
    person = factories.person()
    suspension, recognition = suspended(person)
    application = services.reinstatement_apply(suspension_id=suspension.pk, by=person, **GOOD)
    make.violation(recognition=recognition, kind=Violation.Kind.NO_PRESCRIPTION)
    with pytest.raises(DomainError) as refused:
        services.reinstatement_approve(reinstatement_id=application.pk, reviewer=make.staff())
    assert refused.value.code == "reinstatement_too_early"
    assert Suspension.objects.get(pk=suspension.pk).status == "active"


def test_staff_lift_a_suspension_recorded_in_error_and_its_pending_application_closes() -> None:
    person = factories.person()
    suspension, recognition = suspended(person)
    application = services.reinstatement_apply(suspension_id=suspension.pk, by=person, **GOOD)
    with pytest.raises(DomainError) as refused:
        services.suspension_end(suspension_id=suspension.pk, reviewer=make.staff(), note=" ")
    assert refused.value.code == "review_note_required"
    lifted = services.suspension_end(suspension_id=suspension.pk, reviewer=make.staff(), note="复核撤销违规认定")
    assert (lifted.status, lifted.lifted_on) == ("ended", make.today())
    assert suspension_history(lifted)[-1] == ("active", "ended", "staff")
    assert Reinstatement.objects.get(pk=application.pk).status == "rejected"
    assert not recognition_in_force(
        person_id=person.pk, disease_code=recognition.disease.code, on=make.today()
    ).pharmacy_suspended
    with pytest.raises(DomainError) as refused:
        services.suspension_end(suspension_id=suspension.pk, reviewer=make.staff(), note="again")
    assert refused.value.code == "suspension_state_refused"
    assert SuspensionEvent.objects.filter(suspension=suspension).count() == 2
