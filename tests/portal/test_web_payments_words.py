"""The bill pages speak the resident's words: every order status has zh and en words and no page shows a
raw status value; cancelling what cannot be cancelled is refused in words; an outsider finds nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from payments.online.models import OnlineOrder
from payments.online.words import STATUS_WORDS
from portal.ops.invariants import check_all
from portal.people.models import Person
from portal.people.services import person_user
from tests.payments.online_helpers import hospital_client, patient, upload

pytestmark = pytest.mark.django_db


def signed_in(person: Person, language: str = "zh-hans") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(person_user(person=person))
    return client


def test_every_status_has_words_in_both_languages() -> None:
    assert set(STATUS_WORDS) == set(OnlineOrder.Status.values)
    for words in STATUS_WORDS.values():
        assert words.zh and words.en and words.zh != words.en


@pytest.mark.parametrize("status", [s for s in OnlineOrder.Status.values if s != "awaiting_cash"])
def test_no_bill_page_shows_a_raw_status(status: str) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person, amounts=(30_000,)).json()["order"]
    OnlineOrder.objects.filter(number=number).update(status=status)  # only to render each status's page
    for language in ("zh-hans", "en"):
        client = signed_in(person, language)
        for path in (f"/payments/orders/{number}", "/payments/"):
            page = client.get(path).content.decode()
            shown = page.replace(f"payments/orders/{number}", "")
            assert f">{status}<" not in shown and f"（{status}）" not in shown, (path, language)
        words = STATUS_WORDS[status]
        assert (words.en if language == "en" else words.zh) in page


def test_cancelling_a_bill_not_yet_confirmed_is_refused_in_words() -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person, amounts=(30_000,)).json()["order"]
    client = signed_in(person)
    asked = client.get(f"/payments/orders/{number}/cancel")
    assert asked.status_code == 302 and asked["Location"] == f"/payments/orders/{number}"  # nothing to cancel
    refused = client.post(f"/payments/orders/{number}/cancel")
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "这笔账单当前为“待确认支付”" in text and "pre_settled" not in text
    assert OnlineOrder.objects.get(number=number).status == "pre_settled"
    assert all(result.ok for result in check_all())


def test_an_outsider_cannot_cancel_or_even_see_a_bill() -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person, amounts=(30_000,)).json()["order"]
    outsider = signed_in(patient())
    assert outsider.get(f"/payments/orders/{number}/cancel").status_code == 404
    assert outsider.post(f"/payments/orders/{number}/cancel").status_code == 404
    assert OnlineOrder.objects.get(number=number).status == "pre_settled"


def test_the_choice_of_the_personal_account_is_offered_only_when_it_would_pay_something() -> None:
    rich = patient(insurance_type="employee", balance_fen=100_000)
    poor = patient(insurance_type="resident")
    with_account = upload(hospital_client(), rich, amounts=(30_000,)).json()["order"]
    without = upload(hospital_client(), poor, amounts=(8_800,)).json()["order"]
    assert 'data-testid="personal-choice"' in signed_in(rich).get(f"/payments/orders/{with_account}").content.decode()
    assert 'data-testid="personal-choice"' not in signed_in(poor).get(f"/payments/orders/{without}").content.decode()
    opted_out = signed_in(rich).get(f"/payments/orders/{with_account}?personal=0").content.decode()
    assert 'name="personal" value="0"' in opted_out and "您选择了不使用个人账户" in opted_out
