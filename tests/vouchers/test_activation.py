"""Activation needs the person's own name, identity number and an SMS code; status moves are declared."""

import pytest

from portal.errors import DomainError
from portal.people.services import person_id_number
from tests import factories
from vouchers.models import Voucher, VoucherEvent
from vouchers.services import voucher_change_status, voucher_issue

pytestmark = pytest.mark.django_db


def _activate(api, person, sms_outbox, *, name=None, id_number=None, code=None, channel="wechat"):
    assert api.post("/api/v1/vouchers/activation/sms-code").status_code == 202
    sent = sms_outbox[-1]
    assert sent["purpose"] == "activation" and sent["phone"] == person.phone
    return api.post(
        "/api/v1/vouchers/activate",
        {
            "name": name or person.name,
            "id_number": id_number or person_id_number(person),
            "sms_code": code or sent["code"],
            "channel": channel,
        },
        format="json",
    )


def test_a_resident_activates_with_name_identity_number_and_sms_code(resident_api, sms_outbox) -> None:
    person = factories.person()
    api = resident_api(person)
    response = _activate(api, person, sms_outbox)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "active" and response.json()["channel"] == "wechat"
    assert api.get("/api/v1/vouchers/mine").json()["voucher"]["status"] == "active"
    voucher = Voucher.objects.get(person=person)
    assert [(e.from_status, e.to_status, e.note) for e in voucher.events.all()] == [("", "active", "wechat")]


@pytest.mark.parametrize("wrong", ["name", "id_number"])
def test_a_name_or_number_that_does_not_match_is_refused(resident_api, sms_outbox, wrong) -> None:
    person = factories.person(name="王小明")
    api = resident_api(person)
    other = {"name": "王大明"} if wrong == "name" else {"id_number": factories.id_number()}
    response = _activate(api, person, sms_outbox, **other)
    assert response.status_code == 400
    assert response.json()["code"] == "identity_mismatch"
    assert not Voucher.objects.exists()


def test_a_wrong_sms_code_is_refused(resident_api, sms_outbox) -> None:
    person = factories.person()
    api = resident_api(person)
    api.post("/api/v1/vouchers/activation/sms-code")
    wrong = "000000" if sms_outbox[-1]["code"] != "000000" else "111111"
    response = api.post(
        "/api/v1/vouchers/activate",
        {"name": person.name, "id_number": person_id_number(person), "sms_code": wrong, "channel": "app"},
        format="json",
    )
    assert response.json()["code"] == "otp_invalid"
    assert not Voucher.objects.exists()


def test_activating_twice_says_it_is_already_active(resident_api, sms_outbox) -> None:
    person = factories.person()
    api = resident_api(person)
    assert _activate(api, person, sms_outbox).status_code == 201
    from django.core.cache import cache

    cache.clear()  # past the resend interval
    assert _activate(api, person, sms_outbox).json()["code"] == "voucher_already_active"


def test_suspension_and_reinstatement_are_recorded() -> None:
    person = factories.person()
    voucher = voucher_issue(person=person, channel="app")
    voucher_change_status(voucher_id=voucher.pk, new_status="suspended", reason="misuse", actor=None)
    with pytest.raises(DomainError) as caught:
        voucher_issue(person=person, channel="app")
    assert caught.value.code == "voucher_suspended"
    voucher_change_status(voucher_id=voucher.pk, new_status="active", reason="review_cleared", actor=None)
    moves = list(VoucherEvent.objects.filter(voucher=voucher).values_list("from_status", "to_status"))
    assert moves == [("", "active"), ("active", "suspended"), ("suspended", "active")]


def test_a_revoked_voucher_never_comes_back() -> None:
    voucher = voucher_issue(person=factories.person(), channel="app")
    voucher_change_status(voucher_id=voucher.pk, new_status="revoked", reason="lost_phone", actor=None)
    with pytest.raises(DomainError) as caught:
        voucher_change_status(voucher_id=voucher.pk, new_status="active", reason="x", actor=None)
    assert caught.value.code == "status_transition_refused"


def test_after_a_lost_phone_the_resident_activates_again_with_a_new_reference() -> None:
    person = factories.person()
    first = voucher_issue(person=person, channel="app")
    voucher_change_status(voucher_id=first.pk, new_status="revoked", reason="lost_phone", actor=None)
    second = voucher_issue(person=person, channel="alipay")
    assert second.ref != first.ref and second.status == "active"


def test_after_a_fraud_revocation_only_the_bureau_can_reissue() -> None:
    from portal.people.models import User

    person = factories.person()
    first = voucher_issue(person=person, channel="app")
    voucher_change_status(voucher_id=first.pk, new_status="revoked", reason="fraud", actor=None)
    with pytest.raises(DomainError) as caught:
        voucher_issue(person=person, channel="app")
    assert caught.value.code == "reactivation_blocked"
    staff = User.objects.create_user("counter", password="a-long-test-password", is_staff=True)
    assert voucher_issue(person=person, channel="staff", actor=staff).status == "active"


def test_an_uninsured_person_cannot_activate(resident_api, sms_outbox) -> None:
    person = factories.person()
    person.insured = False
    person.save()
    api = resident_api(person)
    api.post("/api/v1/vouchers/activation/sms-code")
    response = api.post(
        "/api/v1/vouchers/activate",
        {"name": person.name, "id_number": person_id_number(person), "sms_code": "123456", "channel": "app"},
        format="json",
    )
    assert response.json()["code"] == "not_insured"


def test_before_activation_my_voucher_is_null_and_the_code_says_so(resident_api) -> None:
    from tests import factories

    api = resident_api(factories.person())
    mine = api.get("/api/v1/vouchers/mine")
    assert mine.status_code == 200 and mine.json() == {"voucher": None}
    assert api.get("/api/v1/vouchers/code").json()["code"] == "no_voucher"
