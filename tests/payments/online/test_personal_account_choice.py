"""The payer may leave the personal accounts out (that part is paid in cash instead): through the service
(``use_personal_account``) and the resident API (``{"use_personal_account": false}`` when authorising;
without it, the accounts pay first as before). The authorisation keeps the choice, so paying keeps it."""

from __future__ import annotations

from typing import Any

import pytest

from payments.online import pay
from payments.online.models import OnlineOrder
from portal.ledger.selectors import account_balance, personal_account
from portal.ops.invariants import check_all
from tests.payments.online_helpers import authorize_and_pay, deductible_met, hospital_client, patient, upload, wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def invariants_hold() -> None:
    broken = [(r.name, r.violations) for r in check_all() if not r.ok]
    assert not broken, broken


def fen(split: dict[str, Any], part: str) -> int:
    return int(split[part]["fen"])


def test_the_split_without_the_personal_account_moves_that_part_to_cash() -> None:
    person = patient(insurance_type="employee", balance_fen=10_000)
    deductible_met(person)
    number = upload(hospital_client(), person, amounts=(30_000,)).json()["order"]
    order = OnlineOrder.objects.get(number=number)
    usual = pay.order_split(order=order)
    without = pay.order_split(order=order, use_personal_account=False)
    assert (usual.fund_fen, usual.personal_fen, usual.cash_fen) == (15_000, 10_000, 5_000)
    assert (without.fund_fen, without.personal_fen, without.cash_fen) == (15_000, 0, 15_000)
    assert without.personal_by_owner == () and without.total_fen == usual.total_fen


def test_authorising_without_the_personal_account_over_the_api_pays_it_all_in_cash(standin, resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=10_000)
    deductible_met(person)
    number = upload(hospital_client(), person, amounts=(30_000,)).json()["order"]
    api = resident_api(person)
    auth = api.post(f"/api/v1/payments/orders/{number}/authorize", {"use_personal_account": False}, format="json")
    assert auth.status_code == 201, auth.json()
    split = auth.json()["split"]
    assert (fen(split, "fund"), fen(split, "personal_account"), fen(split, "cash")) == (15_000, 0, 15_000)
    assert split["personal_account_by_owner"] == []
    paid = api.post(f"/api/v1/payments/orders/{number}/pay", {"pay_auth_no": auth.json()["pay_auth_no"]}, format="json")
    assert paid.status_code == 200, paid.json()
    body = paid.json()
    assert body["status"] == "awaiting_cash" and body["pay_mode"] == "CASH_AND_INSURANCE"
    assert (fen(body["split"], "personal_account"), fen(body["split"], "cash")) == (0, 15_000)
    assert account_balance(account_id=personal_account(person=person).pk) == 10_000  # nothing held
    assert standin.orders[number].total == 15_000
    invariants_hold()
    standin.pay(number)
    wait_for(lambda: OnlineOrder.objects.get(number=number).status == "settled")
    assert account_balance(account_id=personal_account(person=person).pk) == 10_000  # still untouched
    invariants_hold()


def test_without_the_choice_the_personal_account_pays_first_as_before(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person, amounts=(30_000,)).json()["order"]
    api = resident_api(person)
    auth = api.post(f"/api/v1/payments/orders/{number}/authorize")  # no body: the old call
    assert auth.status_code == 201 and fen(auth.json()["split"], "personal_account") == 30_000
    explicit = api.post(f"/api/v1/payments/orders/{number}/authorize", {"use_personal_account": True}, format="json")
    assert fen(explicit.json()["split"], "personal_account") == 30_000
    assert authorize_and_pay(api, number).json()["status"] == "settled"
    assert account_balance(account_id=personal_account(person=person).pk) == 70_000
    invariants_hold()


def test_an_authorisation_keeps_the_choice_it_was_given(resident_api) -> None:
    """An authorisation without the personal account cannot be turned into one with it (or back): paying
    recomputes the split the same way and finds it unchanged."""
    person = patient(insurance_type="employee", balance_fen=100_000)
    order = OnlineOrder.objects.get(number=upload(hospital_client(), person, amounts=(30_000,)).json()["order"])
    _, auth, split = pay.order_authorize(order=order, payer=person, use_personal_account=False)
    assert auth.split[pay.NO_PERSONAL_ACCOUNT] is False and split.personal_fen == 0
    _, usual, _ = pay.order_authorize(order=order, payer=person)
    assert pay.NO_PERSONAL_ACCOUNT not in usual.split  # the stored form of the old authorisations
    bad = resident_api(person).post(
        f"/api/v1/payments/orders/{order.number}/authorize", {"use_personal_account": "perhaps"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"


def test_a_second_confirm_is_refused_in_plain_words(standin, resident_api) -> None:
    person = patient(insurance_type="resident")  # all cash
    number = upload(hospital_client(), person, amounts=(8_800,)).json()["order"]
    api = resident_api(person)
    assert authorize_and_pay(api, number).json()["status"] == "awaiting_cash"
    again = api.post(f"/api/v1/payments/orders/{number}/authorize", headers={"Accept-Language": "zh-hans"})
    assert again.status_code == 409
    assert again.json()["code"] == "order_state_refused" and again.json()["details"] == {"status": "awaiting_cash"}
    assert "待付款" in again.json()["message"] and "awaiting_cash" not in again.json()["message"]
    english = api.post(f"/api/v1/payments/orders/{number}/authorize", headers={"Accept-Language": "en"})
    assert "Waiting for your payment" in english.json()["message"]
    invariants_hold()
