"""Binding relatives (家庭共济): who, how many, consent, review, unbinding, and every refusal."""

import datetime as dt
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.family.models import FamilyBinding, FamilyBindingEvent
from portal.family.services import binding_review, bindings_expire_overdue
from portal.people.services import person_id_number
from tests import factories
from tests.uploads import PDF, PNG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def proof(content: bytes = PNG, name: str = "hukou.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def initiator(**extra):
    return factories.person(insurance_type="employee", balance_fen=100_000, **extra)


def bind(api, relative, relation="spouse", upload=None):
    return api.post(
        "/api/v1/family/bindings",
        {
            "name": relative.name,
            "id_number": person_id_number(relative),
            "relation": relation,
            "proof": upload or proof(),
        },
        format="multipart",
    )


def adult(**extra):
    return factories.person(number=factories.id_number(birth=dt.date(1960, 1, 1)), **extra)


def test_a_spouse_consents_in_the_app_and_the_binding_is_active(resident_api) -> None:
    me, spouse = initiator(), adult(insurance_type="resident")
    response = bind(resident_api(me), spouse)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "awaiting_consent"
    consent = resident_api(spouse).post(f"/api/v1/family/bindings/{response.json()['id']}/consent")
    assert consent.json()["status"] == "active"
    listed = resident_api(me).get("/api/v1/family/bindings").json()
    assert listed["as_initiator"][0]["status"] == "active"
    assert listed["as_initiator"][0]["spent_from_my_account"] == {"fen": 0, "yuan": "0.00"}
    assert resident_api(spouse).get("/api/v1/family/bindings").json()["as_bound"][0]["role"] == "bound"
    moves = list(FamilyBindingEvent.objects.values_list("from_status", "to_status", "by"))
    assert moves == [("", "awaiting_consent", "initiator"), ("awaiting_consent", "active", "bound")]


def test_the_initiator_can_type_in_the_sms_code_the_relative_received(resident_api, sms_outbox) -> None:
    me, mother = initiator(), adult()
    binding_id = bind(resident_api(me), mother, relation="parent").json()["id"]
    sent = sms_outbox[-1]
    assert sent["phone"] == mother.phone and sent["purpose"] == "family_binding"
    response = resident_api(me).post(f"/api/v1/family/bindings/{binding_id}/consent", {"sms_code": sent["code"]})
    assert response.json()["status"] == "active"


def test_a_request_stands_when_the_consent_text_cannot_go_and_the_code_can_be_sent_again(
    resident_api, sms_outbox, settings
) -> None:
    me, mother = initiator(), adult()
    from portal.signin.models import OtpChallenge
    from portal.signin.services import otp_request

    otp_request(phone=mother.phone, purpose=OtpChallenge.Purpose.FAMILY_BINDING)  # a code a moment ago
    sent_before = len(sms_outbox)
    response = bind(resident_api(me), mother, relation="parent")
    assert response.status_code == 201 and response.json()["status"] == "awaiting_consent"  # not lost
    assert len(sms_outbox) == sent_before  # too soon for another text
    binding_id = response.json()["id"]
    too_soon = resident_api(me).post(f"/api/v1/family/bindings/{binding_id}/consent-code")
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "otp_too_soon"
    settings.OTP_RESEND_SECONDS = 0
    again = resident_api(me).post(f"/api/v1/family/bindings/{binding_id}/consent-code")
    assert again.status_code == 202 and len(sms_outbox) == sent_before + 1
    code = sms_outbox[-1]["code"]
    assert resident_api(mother).post(f"/api/v1/family/bindings/{binding_id}/consent-code").status_code == 404
    consent = resident_api(me).post(f"/api/v1/family/bindings/{binding_id}/consent", {"sms_code": code})
    assert consent.json()["status"] == "active"


def test_a_parent_binding_a_minor_child_consents_as_guardian(resident_api) -> None:
    me = initiator()
    child = factories.person(number=factories.id_number(birth=dt.date(2015, 6, 1)), phone="", insurance_type="resident")
    response = bind(resident_api(me), child, relation="child")
    assert response.json()["status"] == "active"
    assert FamilyBinding.objects.get().consent_method == "guardian"


def test_a_region_with_review_waits_for_staff(resident_api) -> None:
    me = initiator(region_code="340500")
    brother = adult(region_code="340500")
    binding_id = bind(resident_api(me), brother, relation="sibling").json()["id"]
    assert resident_api(brother).post(f"/api/v1/family/bindings/{binding_id}/consent").json()["status"] == (
        "awaiting_review"
    )
    assert binding_review(binding_id=binding_id, approve=True).status == "active"


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("resident initiator", "initiator_no_personal_account"),
        ("uninsured relative", "bound_not_insured"),
        ("other region", "bound_other_region"),
        ("sibling in 340600", "relation_not_allowed"),
        ("wrong name", "bound_person_not_found"),
        ("myself", "binding_self"),
    ],
)
def test_each_rule_refuses_with_its_own_reason(resident_api, setup, code) -> None:
    me = factories.person(insurance_type="resident") if setup == "resident initiator" else initiator()
    relative = adult(region_code="340500" if setup == "other region" else "340600")
    if setup == "uninsured relative":
        relative.insured = False
        relative.save()
    api = resident_api(me)
    if setup == "wrong name":
        response = api.post(
            "/api/v1/family/bindings",
            {"name": "不对", "id_number": person_id_number(relative), "relation": "spouse", "proof": proof()},
            format="multipart",
        )
    else:
        response = bind(api, me if setup == "myself" else relative, "sibling" if "sibling" in setup else "spouse")
    assert response.json()["code"] == code, response.json()
    assert not FamilyBinding.objects.exists()


def test_at_most_seven_bound_persons(resident_api) -> None:
    me = initiator()
    api = resident_api(me)
    for _ in range(7):
        assert bind(api, adult(), relation="parent").status_code == 201
    eighth = bind(api, adult(), relation="parent")
    assert eighth.status_code == 409 and eighth.json()["code"] == "binding_limit"


def test_binding_the_same_relative_twice_is_refused(resident_api) -> None:
    me, spouse = initiator(), adult()
    api = resident_api(me)
    bind(api, spouse)
    assert bind(api, spouse).json()["code"] == "already_bound"


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (proof(b"MZ\x90\x00 not a picture", "evil.png", "image/png"), "proof_invalid"),
        (proof(b"", "empty.pdf", "application/pdf"), "invalid_input"),
        (proof(b"%PDF-" + b"0" * (5 * 1024 * 1024), "huge.pdf", "application/pdf"), "proof_invalid"),
    ],
    ids=["wrong content", "empty", "over 5 MB"],
)
def test_proof_is_checked_by_content_and_size(resident_api, upload, code) -> None:
    response = bind(resident_api(initiator()), adult(), upload=upload)
    assert response.status_code == 400 and response.json()["code"] == code
    assert not FamilyBinding.objects.exists()


def test_a_pdf_proof_is_accepted_and_shown_only_to_the_two_people(resident_api) -> None:
    me, spouse, outsider = initiator(), adult(), adult()
    binding_id = bind(resident_api(me), spouse, upload=proof(PDF, "cert.pdf", "application/pdf")).json()["id"]
    mine = resident_api(me).get(f"/api/v1/family/bindings/{binding_id}/proof")
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert b"".join(mine.streaming_content) == PDF and "no-store" in mine["Cache-Control"]
    assert resident_api(spouse).get(f"/api/v1/family/bindings/{binding_id}/proof").status_code == 200
    assert resident_api(outsider).get(f"/api/v1/family/bindings/{binding_id}/proof").status_code == 404
    stored = FamilyBinding.objects.get().proof
    assert stored.name.startswith("family-proofs/") and "cert" not in stored.name
    with pytest.raises(ValueError):
        stored.url  # noqa: B018  (private files have no URL)


def test_consent_after_the_deadline_is_refused_and_the_binding_expires(resident_api) -> None:
    me, spouse = initiator(), adult()
    binding_id = bind(resident_api(me), spouse).json()["id"]
    FamilyBinding.objects.update(consent_expires_at=timezone.now() - timedelta(minutes=1))
    response = resident_api(spouse).post(f"/api/v1/family/bindings/{binding_id}/consent")
    assert response.json()["code"] == "consent_expired"
    assert FamilyBinding.objects.get().status == "expired"


def test_the_schedule_expires_bindings_nobody_consented_to(resident_api) -> None:
    bind(resident_api(initiator()), adult())
    FamilyBinding.objects.update(consent_expires_at=timezone.now() - timedelta(minutes=1))
    assert bindings_expire_overdue() == 1
    assert FamilyBinding.objects.get().status == "expired"


@pytest.mark.parametrize("side", ["initiator", "bound"])
def test_either_side_unbinds(resident_api, side) -> None:
    me, spouse = initiator(), adult()
    binding_id = bind(resident_api(me), spouse).json()["id"]
    resident_api(spouse).post(f"/api/v1/family/bindings/{binding_id}/consent")
    who = me if side == "initiator" else spouse
    assert resident_api(who).delete(f"/api/v1/family/bindings/{binding_id}").status_code == 204
    binding = FamilyBinding.objects.get()
    assert binding.status == "unbound" and binding.ended_by == side


def test_an_outsider_cannot_consent_or_unbind(resident_api) -> None:
    me, spouse, outsider = initiator(), adult(), adult()
    binding_id = bind(resident_api(me), spouse).json()["id"]
    api = resident_api(outsider)
    assert api.post(f"/api/v1/family/bindings/{binding_id}/consent").json()["code"] == "binding_not_found"
    assert api.delete(f"/api/v1/family/bindings/{binding_id}").json()["code"] == "binding_not_found"
    assert FamilyBinding.objects.get().status == "awaiting_consent"
