"""The web pages without a browser: access, sign-in limits, preferences."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


def test_resident_pages_send_a_signed_out_visitor_to_sign_in_and_back() -> None:
    for path in ["/", "/voucher", "/payments/", "/family/", "/offsite/"]:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"] == f"/signin?next={path}"


def test_a_signed_out_visitor_comes_back_to_the_whole_address_query_string_included() -> None:
    """Alipay's return (and any link with its own query) keeps every parameter through sign-in."""
    response = Client().get("/payments/?state=paid&page=2")
    assert response["Location"] == "/signin?next=/payments/%3Fstate%3Dpaid%26page%3D2"
    signin = Client().get(response["Location"])
    assert signin.status_code == 200 and 'value="/payments/?state=paid&amp;page=2"' in signin.content.decode()


def test_sign_in_codes_from_one_address_are_limited_like_the_api(settings: Any, sms_outbox: list) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"otp_request": "2/hour", "otp_verify": "60/hour"},
    }
    client = Client()
    for phone in ("13900005001", "13900005002"):
        factories.person(phone=phone)
        assert 'name="code"' in client.post("/signin", {"phone": phone}, follow=True).content.decode()
    refused = client.post("/signin", {"phone": "13900005003"}, follow=True).content.decode()
    assert 'role="alert"' in refused and "操作过于频繁" in refused
    assert len(sms_outbox) == 2


def test_a_redirect_after_sign_in_stays_on_this_site(sms_outbox: list) -> None:
    factories.person(phone="13900005004")
    client = Client()
    client.post("/signin", {"phone": "13900005004"})
    response = client.post(
        "/signin",
        {"phone": "13900005004", "step": "code", "code": sms_outbox[-1]["code"], "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_preferences_are_remembered_in_cookies() -> None:
    client = Client()
    response = client.post("/preferences", {"elderly": "1", "language": "en", "next": "/qa/search/"})
    assert response.status_code == 302 and response["Location"] == "/qa/search/"
    assert response.cookies["elderly"].value == "1" and response.cookies["django_language"].value == "en"
    page = client.get("/qa/search/").content.decode()
    assert 'class="elderly"' in page and "Large text" not in page and "Standard view" in page


PAGES = [
    "/", "/voucher", "/payments/", "/family/", "/family/sharing/", "/family/relatives/", "/family/sharing/bind",
    "/family/relatives/add", "/offsite/", "/offsite/new/category", "/offsite/new/destination?province=340000",
    "/insurance/", "/statement/", "/institutions/", "/diseases/", "/add-to-home-screen", "/signin",
]  # fmt: skip


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_residents_page_weighs_under_40_kb_and_says_what_it_is(language: str) -> None:
    """Issue 18's budget: under 40 KB a page (the QR image is a separate request), with one h1."""
    from portal.people.services import person_user
    from vouchers.models import Voucher
    from vouchers.services import voucher_issue

    me = factories.person(phone="13900007001", balance_fen=50_000)
    voucher_issue(person=me, channel=Voucher.Channel.APP)
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(person_user(person=me))
    client.get("/offsite/new")
    client.post("/offsite/new/category", {"category": "long_term_resident"})
    for path in PAGES:
        response = client.get(path, follow=path == "/signin")
        html = response.content.decode()
        assert response.status_code == 200, path
        assert len(response.content) < 40_000, (path, len(response.content))
        assert html.count("<h1") == 1, path


def test_activation_lists_every_empty_field_at_once_and_says_what_to_enter() -> None:
    from portal.people.services import person_user

    client = Client()
    client.force_login(person_user(person=factories.person(phone="13900007002")))
    html = client.post("/voucher/activate", {"name": "", "id_number": "", "sms_code": ""}).content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    for field, words in [
        ("name", "请输入您的姓名"),
        ("id_number", "请输入您的身份证号"),
        ("sms_code", "请输入短信验证码"),
    ]:
        assert f'<a href="#{field}">{words}</a>' in summary
    assert "格式不正确" not in html and "请填写此项" not in html
