"""Off-site filings: each category's rules, the commitment path, review, sampling, revocation,
change and cancellation, expiry, and the benefit engine following filings."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from payments.benefits.engine import Item
from payments.benefits.services import benefit_estimate
from portal.offsite.models import FilingEvent, OffsiteFiling
from portal.offsite.services import (
    filing_create,
    filing_review,
    filings_expire,
    verification_decide,
    verification_sample,
)
from portal.people.models import Contribution
from tests import factories
from tests.uploads import PDF

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def file(api, person=None, **fields):
    body = {
        "category": "long_term_resident",
        "destination_code": "310100",
        "start_date": TODAY().isoformat(),
        "contact_address": "上海市浦东新区某路1号",
        "commitment_version": "2026.1",
        **fields,
    }
    if person is not None:
        body["person_id"] = person.pk
    return api.post("/api/v1/offsite/filings", {k: v for k, v in body.items() if v is not None}, format="json")


def test_a_commitment_filing_takes_effect_at_once_with_the_wording_version(resident_api) -> None:
    person = factories.person(insurance_type="employee")
    api = resident_api(person)
    categories = api.get("/api/v1/offsite/categories").json()
    assert categories["commitment"]["version"] == "2026.1" and "承诺" in categories["commitment"]["text"]
    response = file(api)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active" and body["basis"] == "commitment" and body["commitment_version"] == "2026.1"
    filing = OffsiteFiling.objects.get()
    assert filing.commitment_accepted_at is not None
    assert [(e["from"], e["to"], e["by"]) for e in body["history"]] == [("", "active", "resident")]


def test_documents_go_to_staff_review(resident_api) -> None:
    api = resident_api(factories.person(insurance_type="employee"))
    upload = SimpleUploadedFile("work.pdf", PDF, content_type="application/pdf")
    body = {
        "category": "stationed_worker",
        "destination_code": "440300",
        "start_date": TODAY().isoformat(),
        "contact_address": "深圳市南山区",
        "materials": upload,
    }
    response = api.post("/api/v1/offsite/filings", body, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending_review"
    assert filing_review(filing_id=response.json()["id"], approve=True).status == "active"


@pytest.mark.parametrize(
    ("insurance_type", "fields", "code"),
    [
        ("employee", {"category": "relocated_retiree"}, "filing_not_eligible"),
        ("resident", {"category": "stationed_worker"}, "filing_not_eligible"),
        ("employee", {"destination_code": "999900"}, "destination_invalid"),
        ("employee", {"destination_code": "310000"}, "destination_invalid"),
        ("employee", {"destination_code": "31010"}, "destination_invalid"),
        ("employee", {"destination_code": "340600"}, "destination_is_home"),
        ("employee", {"end_date": (TODAY() + timedelta(days=30)).isoformat()}, "filing_dates_invalid"),
        ("employee", {"category": "temporary_trip"}, "filing_dates_invalid"),
        (
            "employee",
            {"category": "temporary_trip", "end_date": (TODAY() - timedelta(days=1)).isoformat()},
            "filing_dates_invalid",
        ),
        (
            "employee",
            {"category": "temporary_trip", "end_date": (TODAY() + timedelta(days=200)).isoformat()},
            "filing_dates_invalid",
        ),
        ("employee", {"start_date": (TODAY() - timedelta(days=3)).isoformat()}, "filing_dates_invalid"),
        (
            "employee",
            {"category": "referral", "end_date": (TODAY() + timedelta(days=30)).isoformat()},
            "commitment_not_allowed",
        ),
        ("employee", {"commitment_version": "2025.9"}, "commitment_outdated"),
        ("employee", {"commitment_version": None}, "filing_basis_missing"),
    ],
    ids=[
        "retiree category by a worker",
        "stationed by a resident",
        "unknown region",
        "province level",
        "five digits",
        "home region",
        "end on a long-term filing",
        "no end on a temporary trip",
        "end before start",
        "longer than 6 months",
        "start in the past",
        "referral needs documents",
        "old commitment wording",
        "neither commitment nor documents",
    ],
)
def test_each_rule_refuses_with_a_clear_reason(resident_api, insurance_type, fields, code) -> None:
    response = file(resident_api(factories.person(insurance_type=insurance_type)), **fields)
    assert response.status_code in (400, 409), response.json()
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not OffsiteFiling.objects.exists()


def test_a_relocated_retiree_files_and_an_overlapping_filing_is_refused(resident_api) -> None:
    api = resident_api(factories.person(insurance_type="retired"))
    assert file(api, category="relocated_retiree").json()["status"] == "active"
    overlap = file(
        api, category="temporary_trip", destination_code="440100", end_date=(TODAY() + timedelta(days=10)).isoformat()
    )
    assert overlap.status_code == 409 and overlap.json()["code"] == "filing_overlaps"


def test_a_temporary_trip_may_start_back_at_an_admission_not_yet_settled(resident_api) -> None:
    api = resident_api(factories.person(insurance_type="resident"))
    admitted = TODAY() - timedelta(days=10)
    response = file(
        api,
        category="temporary_trip",
        start_date=admitted.isoformat(),
        admission_date=admitted.isoformat(),
        end_date=(TODAY() + timedelta(days=20)).isoformat(),
    )
    assert response.status_code == 201 and response.json()["start_date"] == admitted.isoformat()
    too_far = TODAY() - timedelta(days=45)
    refused = file(
        api,
        category="temporary_trip",
        destination_code="440100",
        start_date=too_far.isoformat(),
        admission_date=too_far.isoformat(),
        end_date=(TODAY() - timedelta(days=40)).isoformat(),
    )
    assert refused.json()["code"] == "filing_dates_invalid"


def test_a_long_term_filing_cannot_be_changed_or_cancelled_in_its_first_six_months(resident_api) -> None:
    api = resident_api(factories.person(insurance_type="employee"))
    filing_id = file(api).json()["id"]
    early = api.post(f"/api/v1/offsite/filings/{filing_id}/cancel")
    assert early.status_code == 409 and early.json()["code"] == "filing_change_too_early"
    OffsiteFiling.objects.update(start_date=TODAY() - timedelta(days=200))
    changed = api.patch(f"/api/v1/offsite/filings/{filing_id}", {"contact_address": "新地址"}, format="json")
    assert changed.json()["contact_address"] == "新地址"
    cancelled = api.post(f"/api/v1/offsite/filings/{filing_id}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["ended_on"] == TODAY().isoformat()


def test_a_temporary_trip_can_be_shortened_and_expires_by_schedule(resident_api) -> None:
    api = resident_api(factories.person(insurance_type="employee"))
    filing_id = file(api, category="temporary_trip", end_date=(TODAY() + timedelta(days=60)).isoformat()).json()["id"]
    shorter = (TODAY() + timedelta(days=5)).isoformat()
    assert (
        api.patch(f"/api/v1/offsite/filings/{filing_id}", {"end_date": shorter}, format="json").json()["end_date"]
        == shorter
    )
    assert filings_expire(today=TODAY() + timedelta(days=6)) == 1
    assert OffsiteFiling.objects.get().status == "expired"


def test_a_guardian_files_for_a_relative_whose_code_they_hold(resident_api) -> None:
    from portal.people.services import person_id_number
    from vouchers.family import holding_register_by_staff, holding_request

    guardian = factories.person(insurance_type="employee")
    mother = factories.person(insurance_type="retired", phone="")
    holding = holding_request(holder=guardian, name=mother.name, id_number=person_id_number(mother))
    holding_register_by_staff(holding_id=holding.pk)
    response = file(resident_api(guardian), person=mother, category="relocated_retiree")
    assert response.status_code == 201 and response.json()["person_id"] == mother.pk
    assert FilingEvent.objects.get().by == "guardian"
    stranger = factories.person()
    assert file(resident_api(guardian), person=stranger).status_code == 404


def test_sampling_picks_the_configured_share_once(resident_api) -> None:
    for _ in range(4):
        file(resident_api(factories.person(insurance_type="employee")))
    assert verification_sample(share=0.5, seed=1) == 2
    assert OffsiteFiling.objects.filter(verification="selected").count() == 2
    assert verification_sample(share=0.5, seed=1) == 0  # already considered


def test_a_false_commitment_revokes_from_a_date_records_the_consequence_and_tells_the_resident(
    resident_api, sms_outbox
) -> None:
    person = factories.person(insurance_type="employee", phone="13722223333")
    start = TODAY()
    file(resident_api(person), destination_code="340500")
    verification_sample(share=1.0, seed=1)
    revoke_from = start + timedelta(days=10)
    filing = verification_decide(
        filing_id=OffsiteFiling.objects.get().pk, truthful=False, reason="not living there", revoke_from=revoke_from
    )
    assert (filing.status, filing.verification, filing.ended_on) == ("revoked", "rejected", revoke_from)
    assert "追回" in filing.consequence and "recovered" in filing.consequence
    assert sms_outbox[-1]["phone"] == "13722223333" and "撤销" in sms_outbox[-1]["text"]
    # Covered before the revocation date, not from it on.
    from portal.offsite.selectors import coverage

    assert coverage(person=person, region_code="340500", on=start + timedelta(days=9)) == "filed"
    assert coverage(person=person, region_code="340500", on=revoke_from) == "not_filed"


def test_the_benefit_engine_follows_filings() -> None:
    employee = factories.person(insurance_type="employee")
    Contribution.objects.create(person=employee, year=TODAY().year, paid=True)
    clinic_elsewhere = factories.institution(kind="hospital", level="1", primary=True, region_code="340500")
    bill = [Item("F", "诊疗费", 30_000)]

    def reasons() -> set[str]:
        result = benefit_estimate(person=employee, institution=clinic_elsewhere, service_date=TODAY(), items=bill)
        return {r.code for line in result.lines for r in line.reasons}

    assert "offsite_not_filed" in reasons()
    temporary = filing_create(
        person=employee,
        filed_by=employee,
        category_code="temporary_trip",
        destination_code="340500",
        start_date=TODAY(),
        end_date=TODAY() + timedelta(days=30),
        contact_address="马鞍山",
        commitment_version="2026.1",
    )
    assert "temporary_offsite" in reasons()
    OffsiteFiling.objects.filter(pk=temporary.pk).update(status="cancelled", ended_on=TODAY())
    filing_create(
        person=employee,
        filed_by=employee,
        category_code="long_term_resident",
        destination_code="340500",
        start_date=TODAY(),
        end_date=None,
        contact_address="马鞍山",
        commitment_version="2026.1",
    )
    result = benefit_estimate(person=employee, institution=clinic_elsewhere, service_date=TODAY(), items=bill)
    assert result.fund_fen == 6_000  # covered there like at home: 300 - 200 deductible, 60%


def test_staff_see_filing_figures(api, resident_api) -> None:
    from portal.people.models import User

    file(resident_api(factories.person(insurance_type="employee")))
    file(
        resident_api(factories.person(insurance_type="retired")),
        category="relocated_retiree",
        destination_code="440100",
    )
    verification_sample(share=1.0, seed=2)
    verification_decide(filing_id=OffsiteFiling.objects.first().pk, truthful=True)
    api.force_login(User.objects.create_user("ops", password="a-long-test-password", is_staff=True))
    figures = api.get("/api/v1/staff/offsite/figures").json()
    assert figures["by_category"]["long_term_resident"]["received"] == 1
    assert sum(row["verified"] for row in figures["by_category"].values()) == 1
    assert set(figures["by_destination"]) == {"310100", "440100"}


def test_my_filings_come_a_page_at_a_time_newest_first_mine_only(resident_api) -> None:
    me = factories.person(insurance_type="employee")
    api = resident_api(me)
    ids = []
    for n in range(3):  # three trips that do not overlap
        start = TODAY() + timedelta(days=10 * n)
        trip = file(api, category="temporary_trip", start_date=start.isoformat(), end_date=start.isoformat())
        assert trip.status_code == 201, trip.json()
        ids.append(trip.json()["id"])
    file(resident_api(factories.person(insurance_type="employee")))  # someone else's
    first = api.get("/api/v1/offsite/filings", {"limit": 2}).json()
    assert [f["id"] for f in first["results"]] == ids[:0:-1] and first["previous"] is None
    assert first["results"][0]["history"][0]["to"] == "active"
    second = api.get(first["next"]).json()
    assert [f["id"] for f in second["results"]] == ids[:1] and second["next"] is None


@pytest.mark.parametrize(
    ("query", "field"), [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"cursor": "x"}, "cursor")]
)
def test_bad_paging_of_filings_is_invalid_input(resident_api, query, field) -> None:
    response = resident_api(factories.person()).get("/api/v1/offsite/filings", query)
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    assert set(response.json()["details"]["fields"]) == {field}
