"""Family display: up to 5 relatives, each consenting (or registered by staff); either side may end it."""

import pytest

from portal.people.services import person_id_number
from tests import factories
from tests.vouchers.conftest import resident_with_voucher
from vouchers.models import FamilyHolding, Voucher

pytestmark = pytest.mark.django_db


def _add(api, relative):
    return api.post(
        "/api/v1/vouchers/family",
        {"name": relative.name, "id_number": person_id_number(relative)},
        format="json",
    )


def test_the_holder_adds_a_relative_who_consents_by_sms(resident_api, sms_outbox) -> None:
    holder, _ = resident_with_voucher()
    mother = factories.person(name="李秀英", insurance_type="retired")
    api = resident_api(holder)
    added = _add(api, mother)
    assert added.status_code == 201 and added.json()["status"] == "pending"
    assert added.json()["next"] == "consent"
    assert sms_outbox[-1]["phone"] == mother.phone and sms_outbox[-1]["purpose"] == "family_consent"
    consent = api.post(f"/api/v1/vouchers/family/{added.json()['id']}/consent", {"sms_code": sms_outbox[-1]["code"]})
    assert consent.status_code == 200 and consent.json()["status"] == "active"
    # The relative's own voucher was issued for the family display; benefits stay hers.
    assert Voucher.objects.get(person=mother).channel == "family"
    code = api.get(f"/api/v1/vouchers/code?person={mother.pk}").json()
    assert code["person"]["id"] == mother.pk and code["shown_by_holder"] is True


def test_the_relative_can_consent_in_the_app_and_sees_who_holds_their_code(resident_api) -> None:
    holder, _ = resident_with_voucher(name="赵一")
    relative, _ = resident_with_voucher(name="赵二")
    holding_id = _add(resident_api(holder), relative).json()["id"]
    relative_api = resident_api(relative)
    listed = relative_api.get("/api/v1/vouchers/family").json()
    assert [h["person"]["name"] for h in listed["shown_by"]] == ["赵一"]
    assert relative_api.post(f"/api/v1/vouchers/family/{holding_id}/consent").json()["status"] == "active"


def test_a_relative_without_a_phone_is_registered_at_the_counter(resident_api) -> None:
    holder, _ = resident_with_voucher()
    child = factories.person(phone="", insurance_type="resident")
    api = resident_api(holder)
    added = _add(api, child).json()
    assert added["status"] == "pending" and added["next"] == "consent"
    refused = api.post(f"/api/v1/vouchers/family/{added['id']}/consent", {"sms_code": "123456"})
    assert refused.json()["code"] == "otp_invalid"  # no code exists: it answers like a wrong code
    from vouchers.family import holding_register_by_staff

    assert holding_register_by_staff(holding_id=added["id"]).consent == "staff"


def test_at_most_five_relatives(resident_api) -> None:
    holder, _ = resident_with_voucher()
    api = resident_api(holder)
    for _ in range(5):
        assert _add(api, factories.person()).status_code == 201
    sixth = _add(api, factories.person())
    assert sixth.status_code == 409 and sixth.json()["code"] == "holding_limit"


def test_one_relative_may_be_added_by_several_holders(resident_api) -> None:
    grandmother = factories.person(phone="")
    for _ in range(3):
        holder, _ = resident_with_voucher()
        assert _add(resident_api(holder), grandmother).status_code == 201
    assert FamilyHolding.objects.filter(relative=grandmother).count() == 3


def test_adding_the_same_relative_twice_or_oneself_is_refused(resident_api) -> None:
    holder, _ = resident_with_voucher()
    relative = factories.person(name="钱多多")
    api = resident_api(holder)
    assert _add(api, relative).status_code == 201
    assert _add(api, relative).json()["code"] == "holding_exists"
    assert _add(api, holder).json()["code"] == "holding_self"


def test_probing_identity_numbers_learns_nothing_and_texts_nobody(resident_api, sms_outbox) -> None:
    """The attack: try names and numbers to learn who is insured (and text them). Real, wrong-name and
    unknown numbers all get the same answer; only the real relative is texted; probing is limited."""
    holder, _ = resident_with_voucher()
    real = factories.person(name="钱多多")
    api = resident_api(holder)
    sent_before = len(sms_outbox)
    answers = [
        api.post("/api/v1/vouchers/family", {"name": name, "id_number": number}, format="json")
        for name, number in [
            ("钱少少", person_id_number(real)),  # the right number, a wrong name
            ("无此人", factories.id_number()),  # a valid number nobody has
        ]
    ]
    shapes = [(a.status_code, sorted(a.json()), a.json()["status"], a.json()["person"]["id"]) for a in answers]
    assert (
        shapes[0]
        == shapes[1]
        == (201, ["consent", "created_at", "id", "next", "person", "role", "status"], "pending", None)
    )
    assert len(sms_outbox) == sent_before  # nobody was texted
    listed = api.get("/api/v1/vouchers/family").json()["i_show"]
    assert [h["person"] for h in listed] == [{"id": None, "name": "钱少少"}, {"id": None, "name": "无此人"}]
    # A code typed for them answers like any wrong code, counting down.
    wrong = api.post(f"/api/v1/vouchers/family/{answers[1].json()['id']}/consent", {"sms_code": "000000"}).json()
    assert wrong["code"] == "otp_invalid" and wrong["details"]["remaining_attempts"] == 4
    # Probing is limited per holder and day (10 requests), whatever the numbers.
    for _ in range(8):
        api.post("/api/v1/vouchers/family", {"name": "某某", "id_number": factories.id_number()}, format="json")
    limited = api.post("/api/v1/vouchers/family", {"name": "某某", "id_number": factories.id_number()}, format="json")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"


def test_requests_nobody_consents_to_expire_after_a_day(resident_api) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from vouchers.tasks import expire_pending_holdings

    holder, _ = resident_with_voucher()
    api = resident_api(holder)
    _add(api, factories.person())
    api.post("/api/v1/vouchers/family", {"name": "无此人", "id_number": factories.id_number()}, format="json")
    FamilyHolding.objects.update(created_at=timezone.now() - timedelta(days=1, seconds=1))
    assert expire_pending_holdings.delay().get() == 2
    assert api.get("/api/v1/vouchers/family").json()["i_show"] == []


def test_the_relative_removes_a_holder_who_then_cannot_show_the_code(resident_api) -> None:
    holder, _ = resident_with_voucher()
    relative, _ = resident_with_voucher()
    holding_id = _add(resident_api(holder), relative).json()["id"]
    relative_api = resident_api(relative)
    relative_api.post(f"/api/v1/vouchers/family/{holding_id}/consent")
    assert resident_api(holder).get(f"/api/v1/vouchers/code?person={relative.pk}").status_code == 200
    assert relative_api.delete(f"/api/v1/vouchers/family/{holding_id}").status_code == 204
    assert FamilyHolding.objects.get(pk=holding_id).removed_by == "relative"
    after = resident_api(holder).get(f"/api/v1/vouchers/code?person={relative.pk}")
    assert after.status_code == 404 and after.json()["code"] == "not_your_relative"


def test_an_outsider_can_neither_consent_nor_remove(resident_api) -> None:
    holder, _ = resident_with_voucher()
    relative, _ = resident_with_voucher()
    outsider, _ = resident_with_voucher()
    holding_id = _add(resident_api(holder), relative).json()["id"]
    outsider_api = resident_api(outsider)
    assert outsider_api.post(f"/api/v1/vouchers/family/{holding_id}/consent").json()["code"] == "holding_not_found"
    assert outsider_api.delete(f"/api/v1/vouchers/family/{holding_id}").json()["code"] == "holding_not_found"
    assert FamilyHolding.objects.get(pk=holding_id).status == "pending"
