"""Residents sign in with a one-time SMS code: expiry, attempts, rate limits, sessions and tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.signin.models import OtpChallenge
from tests import factories

pytestmark = pytest.mark.django_db


def _request_code(api, phone: str):
    return api.post("/api/v1/auth/sms-code", {"phone": phone}, format="json")


def _login(api, phone: str, code: str, client: str = "web"):
    return api.post("/api/v1/auth/login", {"phone": phone, "code": code, "client": client}, format="json")


def test_a_resident_signs_in_on_the_web_with_the_sms_code(api, sms_outbox) -> None:
    person = factories.person(phone="13900001111")
    response = _request_code(api, "13900001111")
    assert response.status_code == 202
    assert sms_outbox[-1]["phone"] == "13900001111"
    code = sms_outbox[-1]["code"]
    assert code in sms_outbox[-1]["text"]
    assert _login(api, "13900001111", code).status_code == 200
    me = api.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["name"] == person.name


def test_the_app_gets_a_bearer_token_that_logout_revokes(api, sms_outbox) -> None:
    factories.person(phone="13900002222")
    _request_code(api, "13900002222")
    token = _login(api, "13900002222", sms_outbox[-1]["code"], client="app").json()["token"]
    assert token.startswith("rt_")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    after = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401
    assert after.json()["code"] == "token_invalid"


def test_a_code_is_used_only_once(api, sms_outbox) -> None:
    factories.person(phone="13900003333")
    _request_code(api, "13900003333")
    code = sms_outbox[-1]["code"]
    assert _login(api, "13900003333", code).status_code == 200
    again = _login(api, "13900003333", code)
    assert again.status_code == 400
    assert again.json()["code"] == "otp_expired"


def test_an_expired_code_is_refused(api, sms_outbox) -> None:
    factories.person(phone="13900004444")
    _request_code(api, "13900004444")
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _login(api, "13900004444", sms_outbox[-1]["code"])
    assert response.json()["code"] == "otp_expired"


def test_a_wrong_code_says_how_many_attempts_are_left(api, sms_outbox) -> None:
    factories.person(phone="13900005555")
    _request_code(api, "13900005555")
    wrong = "000000" if sms_outbox[-1]["code"] != "000000" else "111111"
    response = _login(api, "13900005555", wrong)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "otp_invalid"
    assert body["details"]["remaining_attempts"] == 4
    assert "4" in body["message"]


def test_too_many_wrong_codes_lock_the_code_even_the_right_one(api, sms_outbox) -> None:
    factories.person(phone="13900006666")
    _request_code(api, "13900006666")
    right = sms_outbox[-1]["code"]
    wrong = "000000" if right != "000000" else "111111"
    codes = [_login(api, "13900006666", wrong).json()["code"] for _ in range(5)]
    assert codes == ["otp_invalid"] * 4 + ["otp_locked"]
    assert _login(api, "13900006666", right).json()["code"] == "otp_locked"


def test_a_second_code_within_the_resend_interval_is_refused(api) -> None:
    factories.person(phone="13900007777")
    assert _request_code(api, "13900007777").status_code == 202
    response = _request_code(api, "13900007777")
    assert response.status_code == 429
    assert response.json()["code"] == "otp_too_soon"


def test_codes_per_phone_per_day_are_limited(api, settings) -> None:
    settings.OTP_RESEND_SECONDS = 0
    settings.OTP_MAX_PER_PHONE_PER_DAY = 3
    factories.person(phone="13900008888")
    statuses = [_request_code(api, "13900008888").status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


def test_an_unregistered_phone_gets_the_same_answer_but_no_sms(api, sms_outbox) -> None:
    response = _request_code(api, "13900009999")
    assert response.status_code == 202
    assert sms_outbox == []
    assert _login(api, "13900009999", "123456").json()["code"] == "otp_invalid"


def test_a_malformed_phone_is_refused_in_the_users_language(api) -> None:
    zh = api.post("/api/v1/auth/sms-code", {"phone": "12345"}, format="json")
    en = api.post("/api/v1/auth/sms-code", {"phone": "12345"}, format="json", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 400
    assert zh.json()["code"] == en.json()["code"] == "phone_invalid"
    assert zh.json()["message"] == "手机号码格式不正确"
    assert "mobile number" in en.json()["message"]


def test_sign_in_requests_from_one_address_are_rate_limited(api, settings, monkeypatch) -> None:
    from portal.signin.views import OtpRequestThrottle

    settings.OTP_RESEND_SECONDS = 0
    monkeypatch.setattr(OtpRequestThrottle, "rate", "3/hour", raising=False)
    responses = [_request_code(api, f"1390001000{i}") for i in range(4)]
    assert [r.status_code for r in responses] == [202, 202, 202, 429]
    assert responses[-1].json()["code"] == "rate_limited"
    assert responses[-1].json()["details"]["retry_after"] > 0
