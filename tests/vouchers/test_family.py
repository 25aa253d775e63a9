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
    assert added.json()["consent_by"] == "sms"
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


def test_a_relative_without_a_phone_needs_the_counter(resident_api) -> None:
    holder, _ = resident_with_voucher()
    child = factories.person(phone="", insurance_type="resident")
    api = resident_api(holder)
    added = _add(api, child).json()
    assert added["consent_by"] == "staff"
    refused = api.post(f"/api/v1/vouchers/family/{added['id']}/consent", {"sms_code": "123456"})
    assert refused.json()["code"] == "consent_needs_staff"
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


def test_adding_the_same_relative_twice_or_oneself_or_a_wrong_name_is_refused(resident_api) -> None:
    holder, _ = resident_with_voucher()
    relative = factories.person(name="钱多多")
    api = resident_api(holder)
    assert _add(api, relative).status_code == 201
    assert _add(api, relative).json()["code"] == "holding_exists"
    assert _add(api, holder).json()["code"] == "holding_self"
    wrong = api.post(
        "/api/v1/vouchers/family", {"name": "钱少少", "id_number": person_id_number(relative)}, format="json"
    )
    assert wrong.status_code == 404 and wrong.json()["code"] == "relative_not_found"


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
