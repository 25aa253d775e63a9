"""Sign-in and SMS as an attacker would try them: forged addresses, floods, lock-outs, guessing staff
passwords, planting a session from another site, reading codes in the logs."""

from __future__ import annotations

import logging

import altcha
import pytest
from django.test import Client
from rest_framework.test import APIClient

from portal.signin.models import OtpChallenge
from tests import factories

pytestmark = pytest.mark.django_db


def _code(api: APIClient, phone: str, challenge: str | None = None, **headers: str):  # type: ignore[no-untyped-def]
    body = {"phone": phone, **({"challenge": challenge} if challenge else {})}
    return api.post("/api/v1/auth/sms-code", body, format="json", headers=headers)


def solve(challenge: dict) -> str:
    """What the page's script (or the app) does with a challenge: find the number, send it back."""
    found = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"], 0
    )
    assert found is not None
    return altcha.PayloadV1(
        algorithm=challenge["algorithm"],
        challenge=challenge["challenge"],
        number=found.number,
        salt=challenge["salt"],
        signature=challenge["signature"],
    ).to_base64()


def test_a_forged_x_forwarded_for_does_not_buy_more_codes() -> None:
    """Before: 25 of 25 codes went out, each request with another X-Forwarded-For."""
    api = APIClient(REMOTE_ADDR="203.0.113.7")
    answers = [_code(api, f"1370000{n:04d}", **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(25)]
    assert answers[:5] == [202] * 5
    # From the 6th code an hour from one address a proof-of-work check comes first, and past 20 the address
    # is refused: the header changes nothing.
    assert answers[5:20] == [428] * 15 and answers[20:] == [429] * 5
    assert set(OtpChallenge.objects.values_list("client_ip", flat=True)) == {"203.0.113.7"}


def test_behind_a_configured_proxy_the_client_is_the_address_it_vouches_for(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    api = APIClient(REMOTE_ADDR="10.0.0.2")  # the load balancer
    assert _code(api, "13700001234", **{"X-Forwarded-For": "1.2.3.4, 203.0.113.9"}).status_code == 202
    assert OtpChallenge.objects.get().client_ip == "203.0.113.9"  # the entry the proxy appended, not the client's


def test_the_sign_in_attempt_limit_holds_whatever_the_header_says(sms_outbox) -> None:
    factories.person(phone="13700005678")
    api = APIClient(REMOTE_ADDR="203.0.113.8")
    answers = [
        api.post(
            "/api/v1/auth/login",
            {"phone": "13700005678", "code": "000000", "client": "app"},
            format="json",
            headers={"X-Forwarded-For": f"198.51.100.{n % 250}"},
        )
        for n in range(61)
    ]
    assert answers[-1].status_code == 429 and answers[-1].json()["code"] == "rate_limited"
    message = answers[-1].json()["message"]
    assert "小时" in message or ("分钟" in message and "秒" not in message)  # never "请在 3540 秒后重试"
    assert int(answers[-1]["Retry-After"]) > 0


def test_a_stranger_cannot_lock_the_owner_out_of_sign_in(settings, sms_outbox) -> None:
    """Before: 10 code requests by anyone used up the phone's day, and its owner could not sign in."""
    settings.OTP_RESEND_SECONDS = 0  # the one-a-minute rule is not what this test is about
    owner = factories.person(phone="13700009999")
    stranger = APIClient(REMOTE_ADDR="198.51.100.66")
    sent = 0
    for _ in range(11):
        answer = _code(stranger, owner.phone)
        if answer.status_code == 428:  # from the 4th code of the day: solve the check (the attacker's CPU)
            answer = _code(stranger, owner.phone, solve(answer.json()["details"]["challenge"]))
        sent += answer.status_code == 202
    assert sent == 10 and answer.json()["code"] == "otp_daily_limit"  # the stranger's own allowance is gone
    # The owner, from their own phone's network: a quick check, then the code, then in.
    mine = APIClient(REMOTE_ADDR="203.0.113.50")
    first = _code(mine, owner.phone)
    assert first.status_code == 428 and first.json()["code"] == "challenge_required"
    assert _code(mine, owner.phone, solve(first.json()["details"]["challenge"])).status_code == 202
    login = mine.post(
        "/api/v1/auth/login", {"phone": owner.phone, "code": sms_outbox[-1]["code"], "client": "app"}, format="json"
    )
    assert login.status_code == 200


def test_a_challenge_is_accepted_once_and_a_wrong_one_is_refused(sms_outbox) -> None:
    api = APIClient(REMOTE_ADDR="198.51.100.77")
    for n in range(5):
        _code(api, f"1370002{n:04d}")
    challenge = _code(api, "13700030000").json()["details"]["challenge"]
    payload = solve(challenge)
    assert _code(api, "13700030000", payload).status_code == 202
    again = _code(api, "13700030001", payload)
    assert again.status_code == 400 and again.json()["code"] == "challenge_invalid"
    assert "challenge" in again.json()["details"]  # a fresh one to solve
    forged = _code(api, "13700030002", "eyJub3QiOiAiYSBzb2x1dGlvbiJ9")
    assert forged.json()["code"] == "challenge_invalid"


def test_the_service_stops_texting_when_the_global_budget_is_spent(settings, sms_outbox) -> None:
    settings.SMS_GLOBAL_PER_HOUR = 2
    people = [factories.person() for _ in range(3)]
    answers = [_code(APIClient(REMOTE_ADDR=f"198.51.100.{n}"), p.phone) for n, p in enumerate(people)]
    assert [a.status_code for a in answers] == [202, 202, 503]
    assert answers[2].json()["code"] == "sms_busy" and len(sms_outbox) == 2


def test_the_console_backend_never_logs_a_code_or_a_full_number(settings, caplog, capsys) -> None:
    from portal.signin.sms import ConsoleSmsBackend

    with caplog.at_level(logging.DEBUG):
        ConsoleSmsBackend().send_code(phone="13712345678", code="654321", ttl_minutes=5)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "137****5678" in logged and "13712345678" not in logged and "654321" not in logged
    assert "654321" in capsys.readouterr().err  # the developer's terminal, embedded mode only


@pytest.mark.parametrize("login_url", ["/admin/login/", "/cms/login/"])
def test_staff_sign_in_locks_after_five_wrong_passwords(login_url: str, django_user_model) -> None:
    """Before: 30 wrong passwords, then the right one still worked."""
    staff = django_user_model.objects.create_user(
        username="clerk", password="right-password-2026", is_staff=True, is_superuser=True
    )
    browser = Client(REMOTE_ADDR="198.51.100.90")
    for _ in range(5):
        browser.post(login_url, {"username": "clerk", "password": "guess"})
    locked = browser.post(login_url, {"username": "clerk", "password": "right-password-2026"})
    page = locked.content.decode()
    assert locked.status_code == 429 and "登录已暂停" in page and "请30分钟后再试" in page
    assert "_auth_user_id" not in browser.session
    # The same account from another address is not locked: a stranger cannot lock staff out everywhere.
    elsewhere = Client(REMOTE_ADDR="203.0.113.91")
    assert elsewhere.post(login_url, {"username": "clerk", "password": "right-password-2026"}).status_code == 302
    assert staff.pk


def test_a_cross_site_form_cannot_plant_a_session(sms_outbox) -> None:
    """Login CSRF: a form on another site posting to the API's web sign-in."""
    person = factories.person(phone="13700007777")
    APIClient().post("/api/v1/auth/sms-code", {"phone": person.phone}, format="json")
    victim = Client(enforce_csrf_checks=True)
    fields = {"phone": person.phone, "code": sms_outbox[-1]["code"], "client": "web"}
    # The API reads JSON only: what a form can send is not read at all.
    planted = victim.post("/api/v1/auth/login", fields)
    assert planted.status_code in (400, 415) and "_auth_user_id" not in victim.session
    # JSON (which only a script of the same site can send with the cookie) still needs the page's CSRF token.
    scripted = victim.post("/api/v1/auth/login", fields, content_type="application/json")
    assert scripted.status_code == 403 and scripted.json()["code"] == "csrf_failed"
    assert "_auth_user_id" not in victim.session
    # The app (a bearer token, no cookie) needs no CSRF token.
    app = victim.post("/api/v1/auth/login", {**fields, "client": "app"}, content_type="application/json")
    assert app.status_code == 200 and app.json()["token"].startswith("rt_")
