"""Recognitions (认定): applying with documents for myself or a relative whose code I hold, every refusal,
withdrawal, staff review, revocation, changing the chosen institution, expiry, and the history of every move."""

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from portal.audit.models import AuditEvent
from portal.diseases import services
from portal.diseases.common import period_end
from portal.diseases.models import DiseasePolicy, Recognition, RecognitionDocument, RecognitionEvent
from portal.diseases.tasks import expire_recognitions
from portal.errors import DomainError
from portal.people.models import Person
from tests import factories
from tests.conftest import needs_postgres
from tests.portal.diseases import factories as make
from tests.uploads import pdf

pytestmark = pytest.mark.django_db
URL = "/api/v1/diseases/recognitions"


def apply(api, *, disease, institution=None, person=None, documents=None, **extra):
    body = {"disease_code": disease.code, **extra}
    if institution is not None:
        body["institution_code"] = institution.code
    if person is not None:
        body["person_id"] = person.pk
    body["documents"] = [make.png()] if documents is None else documents
    if not body["documents"]:
        del body["documents"]
    return api.post(URL, body, format="multipart")


def history(recognition_id):
    return list(
        RecognitionEvent.objects.filter(recognition_id=recognition_id).values_list("from_status", "to_status", "by")
    )


def test_a_resident_applies_with_documents_and_the_chosen_institution(resident_api) -> None:
    person = factories.person()
    disease, hospital = make.disease(), make.hospital()
    response = apply(resident_api(person), disease=disease, institution=hospital, documents=[make.png(), make.pdf()])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "applied" and body["person_id"] == person.pk and body["applied_by_id"] == person.pk
    assert body["institution"]["code"] == hospital.code and body["disease"]["code"] == disease.code
    assert sorted(d["content_type"] for d in body["documents"]) == ["application/pdf", "image/png"]
    assert [(e["from_status"], e["to_status"], e["by"]) for e in body["history"]] == [("", "applied", "resident")]
    stored = RecognitionDocument.objects.filter(recognition_id=body["id"]).order_by("id")
    assert [d.file.name.rsplit(".", 1)[1] for d in stored] == ["png", "pdf"]  # named by content, not by client


def test_a_choice_exempt_disease_is_applied_for_without_an_institution(resident_api) -> None:
    disease = make.disease(choice_exempt=True)
    response = apply(resident_api(factories.person()), disease=disease)
    assert response.status_code == 201 and response.json()["institution"] is None


def test_an_internet_hospital_may_be_chosen_for_an_internet_hospital_disease(resident_api) -> None:
    disease = make.disease(internet_hospital=True)
    online = make.hospital(kind="internet_hospital")
    response = apply(resident_api(factories.person()), disease=disease, institution=online)
    assert response.status_code == 201 and response.json()["institution"]["kind"] == "internet_hospital"


def test_a_guardian_applies_for_a_relative_whose_code_they_hold(resident_api) -> None:
    guardian, mother = factories.person(), factories.person(insurance_type="retired", phone="")
    make.holder_of(guardian, mother)
    response = apply(resident_api(guardian), disease=make.disease(), institution=make.hospital(), person=mother)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["person_id"] == mother.pk and body["applied_by_id"] == guardian.pk
    assert history(body["id"]) == [("", "applied", "guardian")]


def test_nobody_applies_for_a_stranger(resident_api) -> None:
    stranger = factories.person()
    response = apply(
        resident_api(factories.person()), disease=make.disease(), institution=make.hospital(), person=stranger
    )
    assert response.status_code == 404 and response.json()["code"] == "recognition_not_found"
    assert not Recognition.objects.exists()


def test_the_service_itself_refuses_an_applicant_who_does_not_act_for_the_person() -> None:
    with pytest.raises(DomainError) as refused:
        make.applied(person=factories.person(), of=make.disease(), by=factories.person())
    assert refused.value.code == "recognition_not_found"


def _big_png() -> SimpleUploadedFile:
    return SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), content_type="image/png")


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("unknown disease", "disease_unknown", 400),
        ("another region's disease", "disease_unknown", 400),
        ("inactive disease", "disease_unknown", 400),
        ("no institution", "recognition_institution_required", 400),
        ("institution for an exempt disease", "recognition_institution_not_needed", 400),
        ("unknown institution", "recognition_institution_not_eligible", 400),
        ("a pharmacy", "recognition_institution_not_eligible", 400),
        ("not designated", "recognition_institution_not_eligible", 400),
        ("another region's hospital", "recognition_institution_not_eligible", 400),
        ("internet hospital for an offline disease", "recognition_institution_not_eligible", 400),
        ("no documents", "recognition_documents_missing", 400),
        ("six documents", "recognition_documents_too_many", 400),
        ("a text file", "recognition_document_invalid", 400),
        ("a file over 5 MB", "recognition_document_invalid", 400),
        ("a PDF with JavaScript", "proof_unsafe", 400),
        ("not insured", "recognition_not_insured", 409),
    ],
)
def test_each_rule_refuses_an_application_with_a_clear_reason(resident_api, case, code, status) -> None:
    person = factories.person()
    disease, hospital = make.disease(), make.hospital()
    fields: dict = {"disease": disease, "institution": hospital}
    if case == "unknown disease":
        fields["disease"] = type("D", (), {"code": "no-such-disease"})()
    elif case == "another region's disease":
        fields["disease"] = make.disease(region_code="340500")
    elif case == "inactive disease":
        fields["disease"] = make.disease(active=False)
    elif case == "no institution":
        fields["institution"] = None
    elif case == "institution for an exempt disease":
        fields["disease"] = make.disease(choice_exempt=True)
    elif case == "unknown institution":
        fields["institution"] = type("I", (), {"code": "H00000000000"})()
    elif case == "a pharmacy":
        fields["institution"] = make.pharmacy()
    elif case == "not designated":
        fields["institution"] = make.hospital(designated=False)
    elif case == "another region's hospital":
        fields["institution"] = make.hospital(region_code="340500")
    elif case == "internet hospital for an offline disease":
        fields["institution"] = make.hospital(kind="internet_hospital")
    elif case == "no documents":
        fields["documents"] = []
    elif case == "six documents":
        fields["documents"] = [make.png(f"{n}.png") for n in range(6)]
    elif case == "a text file":
        fields["documents"] = [SimpleUploadedFile("note.png", b"just text", content_type="image/png")]
    elif case == "a file over 5 MB":
        fields["documents"] = [_big_png()]
    elif case == "a PDF with JavaScript":
        fields["documents"] = [SimpleUploadedFile("x.pdf", pdf(javascript=True), content_type="application/pdf")]
    elif case == "not insured":
        Person.objects.filter(pk=person.pk).update(insured=False)
    response = apply(resident_api(person), **fields)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code and response.json()["message"]
    assert not Recognition.objects.exists()


def test_an_ineligible_institution_says_why_in_both_languages(resident_api) -> None:
    api = resident_api(factories.person())
    response = api.post(
        URL,
        {"disease_code": make.disease().code, "institution_code": make.pharmacy().code, "documents": [make.png()]},
        format="multipart",
        headers={"Accept-Language": "en"},
    )
    assert response.json()["details"]["reason"] == "pharmacy"
    assert "pharmacy cannot be the chosen institution" in response.json()["message"]


def test_a_second_live_application_for_the_same_disease_is_refused(resident_api) -> None:
    person = factories.person()
    disease, hospital = make.disease(), make.hospital()
    api = resident_api(person)
    assert apply(api, disease=disease, institution=hospital).status_code == 201
    again = apply(api, disease=disease, institution=hospital)
    assert again.status_code == 409 and again.json()["code"] == "recognition_exists"
    # Another disease is fine.
    assert apply(api, disease=make.disease(), institution=hospital).status_code == 201


def test_the_database_keeps_one_live_recognition_per_person_and_disease() -> None:
    first = make.applied(person=factories.person(), of=make.disease())
    with pytest.raises(IntegrityError), transaction.atomic():
        Recognition.objects.create(
            person=first.person, disease=first.disease, applied_by=first.person, institution=first.institution
        )
    Recognition.objects.filter(pk=first.pk).update(status="rejected")
    Recognition.objects.create(
        person=first.person, disease=first.disease, applied_by=first.person, institution=first.institution
    )


def test_the_database_refuses_an_approved_recognition_without_dates() -> None:
    recognition = make.applied(person=factories.person(), of=make.disease())
    with pytest.raises(IntegrityError), transaction.atomic():
        Recognition.objects.filter(pk=recognition.pk).update(status="approved")


def test_one_may_apply_again_after_a_rejection_a_withdrawal_or_an_expiry() -> None:
    person, disease = factories.person(), make.disease()
    reviewer = make.staff()
    first = make.applied(person=person, of=disease)
    services.recognition_reject(recognition_id=first.pk, reviewer=reviewer, note="病历不全")
    second = make.applied(person=person, of=disease)
    services.recognition_withdraw(recognition_id=second.pk, by=person)
    third = make.approved(person=person, of=disease)
    Recognition.objects.filter(pk=third.pk).update(
        valid_from=make.today() - dt.timedelta(days=800), valid_to=make.today() - dt.timedelta(days=1)
    )
    fourth = make.applied(person=person, of=disease)  # the stale approval expires on the way
    third.refresh_from_db()
    assert (third.status, third.ended_on) == ("expired", make.today())
    assert fourth.status == "applied"


def test_the_list_shows_mine_and_my_held_relatives_but_nobody_elses(resident_api) -> None:
    me, child, stranger = factories.person(), factories.person(phone=""), factories.person()
    make.holder_of(me, child)
    disease = make.disease()
    mine = make.applied(person=me, of=disease)
    childs = make.applied(person=child, of=disease, by=me)
    make.applied(person=stranger, of=disease)
    api = resident_api(me)
    listed = api.get(URL).json()["results"]
    assert {r["id"] for r in listed} == {mine.pk, childs.pk}
    only_child = api.get(URL, {"person_id": child.pk}).json()["results"]
    assert [r["id"] for r in only_child] == [childs.pk]
    assert api.get(URL, {"person_id": stranger.pk}).json()["results"] == []
    assert [r["id"] for r in resident_api(child).get(URL).json()["results"]] == [childs.pk]


def test_a_recognition_is_read_by_its_person_and_their_holder_and_by_nobody_else(resident_api) -> None:
    person, guardian, stranger = factories.person(), factories.person(), factories.person()
    make.holder_of(guardian, person)
    recognition = make.applied(person=person, of=make.disease())
    url = f"{URL}/{recognition.pk}"
    assert resident_api(person).get(url).json()["id"] == recognition.pk
    assert resident_api(guardian).get(url).json()["person_id"] == person.pk
    refused = resident_api(stranger).get(url)
    assert refused.status_code == 404 and refused.json()["code"] == "recognition_not_found"
    assert resident_api(person).get(f"{URL}/999999999").status_code == 404


def test_the_api_needs_a_signed_in_resident(api) -> None:
    assert api.get(URL).status_code == 401
    assert api.get("/api/v1/diseases/suspensions").status_code == 401


def test_an_application_is_withdrawn_by_its_person_or_their_holder_but_not_by_a_stranger(resident_api) -> None:
    person, guardian, stranger = factories.person(), factories.person(), factories.person()
    make.holder_of(guardian, person)
    disease = make.disease()
    mine = make.applied(person=person, of=disease)
    refused = resident_api(stranger).post(f"{URL}/{mine.pk}/withdraw")
    assert refused.status_code == 404 and refused.json()["code"] == "recognition_not_found"
    response = resident_api(person).post(f"{URL}/{mine.pk}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert history(mine.pk) == [("", "applied", "resident"), ("applied", "withdrawn", "resident")]
    theirs = make.applied(person=person, of=disease)
    assert resident_api(guardian).post(f"{URL}/{theirs.pk}/withdraw").json()["status"] == "withdrawn"
    assert history(theirs.pk)[-1] == ("applied", "withdrawn", "guardian")


def test_an_approved_recognition_cannot_be_withdrawn(resident_api) -> None:
    person = factories.person()
    recognition = make.approved(person=person, of=make.disease())
    response = resident_api(person).post(f"{URL}/{recognition.pk}/withdraw", headers={"Accept-Language": "en"})
    assert response.status_code == 409 and response.json()["code"] == "recognition_state_refused"
    assert "approved" in response.json()["message"]


def test_approval_sets_the_regions_default_period_and_leaves_history_and_an_audit_row() -> None:
    person, reviewer = factories.person(), make.staff()
    recognition = make.applied(person=person, of=make.disease())
    approved = services.recognition_approve(recognition_id=recognition.pk, reviewer=reviewer)
    today = make.today()
    assert (approved.status, approved.valid_from, approved.valid_to) == ("approved", today, period_end(today, 24))
    assert approved.reviewer == reviewer and approved.decided_at is not None
    last = RecognitionEvent.objects.filter(recognition=recognition).last()
    assert (last.from_status, last.to_status, last.by, last.by_user) == ("applied", "approved", "staff", reviewer)
    audit = AuditEvent.objects.filter(person=person, actor_user=reviewer).get()
    assert audit.action == "update" and "approve" in audit.purpose


def test_a_regions_policy_sets_another_default_period_and_the_reviewer_may_set_the_dates() -> None:
    DiseasePolicy.objects.create(region=factories.region("340600"), recognition_valid_months=12)
    today = make.today()
    short = make.approved(person=factories.person(), of=make.disease())
    assert short.valid_to == period_end(today, 12)
    chosen = make.approved(
        person=factories.person(),
        of=make.disease(),
        valid_from=today - dt.timedelta(days=10),
        valid_to=today + dt.timedelta(days=90),
    )
    assert (chosen.valid_from, chosen.valid_to) == (today - dt.timedelta(days=10), today + dt.timedelta(days=90))


def test_two_years_from_the_first_of_march_end_on_the_last_day_of_february() -> None:
    assert period_end(dt.date(2026, 3, 1), 24) == dt.date(2028, 2, 29)
    assert period_end(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 27)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "reason"),
    [(10, 5, "end_before_start"), (-30, -1, "end_in_past")],
)
def test_approval_refuses_impossible_dates(valid_from, valid_to, reason) -> None:
    recognition = make.applied(person=factories.person(), of=make.disease())
    today = make.today()
    with pytest.raises(DomainError) as refused:
        services.recognition_approve(
            recognition_id=recognition.pk,
            reviewer=make.staff(),
            valid_from=today + dt.timedelta(days=valid_from),
            valid_to=today + dt.timedelta(days=valid_to),
        )
    assert (refused.value.code, refused.value.details["reason"]) == ("recognition_dates_invalid", reason)
    recognition.refresh_from_db()
    assert recognition.status == "applied"


def test_approval_refuses_a_chosen_institution_that_lost_its_designation() -> None:
    hospital = make.hospital()
    recognition = make.applied(person=factories.person(), of=make.disease(), institution=hospital)
    hospital.designated = False
    hospital.save()
    with pytest.raises(DomainError) as refused:
        services.recognition_approve(recognition_id=recognition.pk, reviewer=make.staff())
    assert (refused.value.code, refused.value.details["reason"]) == (
        "recognition_institution_not_eligible",
        "not_designated",
    )


def test_rejection_and_revocation_need_a_reason_which_the_resident_reads(resident_api) -> None:
    person, reviewer = factories.person(), make.staff()
    disease = make.disease()
    recognition = make.applied(person=person, of=disease)
    with pytest.raises(DomainError) as refused:
        services.recognition_reject(recognition_id=recognition.pk, reviewer=reviewer, note="  ")
    assert refused.value.code == "review_note_required"
    services.recognition_reject(recognition_id=recognition.pk, reviewer=reviewer, note="缺少诊断证明")
    body = resident_api(person).get(f"{URL}/{recognition.pk}").json()
    assert (body["status"], body["review_note"]) == ("rejected", "缺少诊断证明")
    approved = make.approved(person=person, of=disease)
    with pytest.raises(DomainError) as refused:
        services.recognition_revoke(recognition_id=approved.pk, reviewer=reviewer, note="")
    assert refused.value.code == "review_note_required"
    revoked = services.recognition_revoke(recognition_id=approved.pk, reviewer=reviewer, note="复查不符")
    assert (revoked.status, revoked.ended_on, revoked.review_note) == ("revoked", make.today(), "复查不符")
    assert history(approved.pk)[-1] == ("approved", "revoked", "staff")
    assert AuditEvent.objects.filter(person=person, purpose__contains="revoke").exists()


@pytest.mark.parametrize(
    ("start", "move"),
    [
        ("applied", "revoke"),
        ("approved", "approve"),
        ("approved", "reject"),
        ("rejected", "approve"),
        ("withdrawn", "approve"),
        ("revoked", "revoke"),
        ("expired", "reject"),
    ],
)
def test_only_declared_transitions_happen(start, move) -> None:
    person = factories.person()
    recognition = make.applied(person=person, of=make.disease())
    if start == "approved":
        recognition = services.recognition_approve(recognition_id=recognition.pk, reviewer=make.staff())
    elif start != "applied":
        Recognition.objects.filter(pk=recognition.pk).update(
            status=start, valid_from=make.today(), valid_to=make.today()
        )
    events = RecognitionEvent.objects.count()
    call = {
        "approve": lambda: services.recognition_approve(recognition_id=recognition.pk, reviewer=make.staff()),
        "reject": lambda: services.recognition_reject(recognition_id=recognition.pk, reviewer=make.staff(), note="x"),
        "revoke": lambda: services.recognition_revoke(recognition_id=recognition.pk, reviewer=make.staff(), note="x"),
    }[move]
    with pytest.raises(DomainError) as refused:
        call()
    assert refused.value.code == "recognition_state_refused"
    assert RecognitionEvent.objects.count() == events
    assert Recognition.objects.get(pk=recognition.pk).status == start


def test_staff_services_refuse_an_unknown_recognition() -> None:
    with pytest.raises(DomainError) as refused:
        services.recognition_approve(recognition_id=999_999, reviewer=make.staff())
    assert refused.value.code == "recognition_not_found"


def test_the_resident_or_their_holder_changes_the_chosen_institution_with_history(resident_api) -> None:
    person, guardian = factories.person(), factories.person()
    make.holder_of(guardian, person)
    first, second, third = make.hospital(), make.hospital(), make.hospital()
    recognition = make.approved(person=person, of=make.disease(), institution=first)
    url = f"{URL}/{recognition.pk}/institution"
    response = resident_api(person).post(url, {"institution_code": second.code}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["institution"]["code"] == second.code and response.json()["status"] == "approved"
    event = RecognitionEvent.objects.filter(recognition=recognition).last()
    assert (event.from_status, event.to_status, event.by) == ("approved", "approved", "resident")
    assert event.note == f"institution: {first.code} -> {second.code}"
    assert resident_api(guardian).post(url, {"institution_code": third.code}, format="json").status_code == 200
    assert RecognitionEvent.objects.filter(recognition=recognition).last().by == "guardian"


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("stranger", "recognition_not_found", 404),
        ("not approved yet", "recognition_state_refused", 409),
        ("same institution", "recognition_institution_unchanged", 409),
        ("exempt disease", "recognition_institution_not_needed", 400),
        ("a pharmacy", "recognition_institution_not_eligible", 400),
        ("unknown code", "recognition_institution_not_eligible", 400),
    ],
)
def test_changing_the_institution_is_refused_clearly(resident_api, case, code, status) -> None:
    person = factories.person()
    hospital = make.hospital()
    if case == "exempt disease":
        recognition = make.approved(person=person, of=make.disease(choice_exempt=True))
    elif case == "not approved yet":
        recognition = make.applied(person=person, of=make.disease(), institution=hospital)
    else:
        recognition = make.approved(person=person, of=make.disease(), institution=hospital)
    target = {
        "same institution": hospital.code,
        "a pharmacy": make.pharmacy().code,
        "unknown code": "H99999999999",
    }.get(case, make.hospital().code)
    api = resident_api(factories.person() if case == "stranger" else person)
    response = api.post(f"{URL}/{recognition.pk}/institution", {"institution_code": target}, format="json")
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code


def test_recognitions_past_their_end_expire_once_by_schedule() -> None:
    recognition = make.approved(person=factories.person(), of=make.disease())
    end = make.today() - dt.timedelta(days=3)
    Recognition.objects.filter(pk=recognition.pk).update(valid_from=end - dt.timedelta(days=30), valid_to=end)
    assert expire_recognitions() == 1
    assert expire_recognitions() == 0
    recognition.refresh_from_db()
    assert (recognition.status, recognition.ended_on) == ("expired", end + dt.timedelta(days=1))
    assert history(recognition.pk)[-1] == ("approved", "expired", "system")


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_applications_for_one_disease_give_one_recognition() -> None:
    person, disease, hospital = factories.person(), make.disease(), make.hospital()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go() -> None:
        try:
            barrier.wait()
            make.applied(person=person, of=disease, institution=hospital)
            outcomes.append("applied")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["applied", "recognition_exists"]
    assert Recognition.objects.filter(person=person).count() == 1
