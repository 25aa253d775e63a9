"""Requests as an attacker (or a broken client) sends them: NUL bytes, deep or huge JSON, odd digits,
forged and flooding notifies, a terminal knocking on staff doors, formulas in exports, a hospital URL
aimed inside our network, hostile uploads. Each gets a clear 4xx in the error shape, never a 500."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from payments.online.models import ChannelNotification, HospitalEndpoint, HospitalEvent
from tests import factories
from tests.conftest import TerminalClient
from tests.uploads import PDF, PNG, pdf

pytestmark = pytest.mark.django_db


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == code and set(body) == {"code", "message", "details"}


# --- NUL bytes, depth and size -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/qa/topics?region=%00",
        "/api/v1/qa/search?q=x%00",
        "/api/v1/qa/entries?topic=%00",
        "/api/v1/qa/entries/1%00",
        "/api/v1/institutions/X%00",
        "/api/v1/payments/orders/P%00",
    ],
)
def test_a_nul_byte_in_a_path_or_query_is_a_malformed_request(path: str) -> None:
    _error(APIClient().get(path), 400, "malformed_request")


def test_a_nul_byte_on_a_page_or_in_a_form_is_refused_plainly() -> None:
    assert Client().get("/qa/search/?q=x%00").status_code == 400
    posted = Client().post("/signin", {"phone": "1390000\x000001"})
    assert posted.status_code == 400 and "请求格式不正确" in posted.content.decode()


def test_json_with_a_nul_or_nested_a_thousand_deep_is_malformed() -> None:
    api = APIClient()
    deep = "[" * 1000 + "]" * 1000
    _error(api.post("/api/v1/auth/sms-code", deep, content_type="application/json"), 400, "malformed_request")
    nul = json.dumps({"phone": "1390000\u00000001"})
    _error(api.post("/api/v1/auth/sms-code", nul, content_type="application/json"), 400, "malformed_request")


def test_a_ten_megabyte_body_is_refused_before_it_is_read() -> None:
    body = json.dumps({"phone": "x" * (10 * 1024 * 1024)})
    _error(APIClient().post("/api/v1/auth/sms-code", body, content_type="application/json"), 413, "request_too_large")


def test_an_odd_digit_in_a_terminal_timestamp_is_refused_not_a_500(terminal_api) -> None:
    client: TerminalClient = terminal_api()
    _error(client.get("/api/v1/terminal/me", **{"X-Timestamp": "²"}), 401, "request_stale")
    _error(client.get("/api/v1/terminal/me", **{"X-Timestamp": "9" * 40}), 401, "request_stale")


def test_a_huge_id_in_a_query_is_ignored_not_a_500(resident_api) -> None:
    me = factories.person()
    assert resident_api(me).get("/api/v1/vouchers/code?person=" + "9" * 30).status_code in (200, 404, 409)


# --- Who may knock on staff doors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/staff/vouchers/figures", "/api/v1/staff/offsite/figures", "/api/v1/staff/invariants"]
)
def test_a_terminal_or_a_stranger_at_a_staff_endpoint_is_refused_not_a_500(path: str, terminal_api) -> None:
    """Before: a terminal here was a 500 (IsAdminUser reads is_staff, which a Terminal lacks)."""
    assert terminal_api().get(path).status_code == 403
    assert APIClient().get(path).status_code in (401, 403)


# --- Notifies --------------------------------------------------------------------------------------------


def _signed_notify(out_trade_no: str, amount: int = 100) -> tuple[dict[str, str], bytes]:
    from payments.channels.wechatpay.standin.dev import dev_transaction_notify

    headers, body = dev_transaction_notify(out_trade_no, amount)
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}, body


NOTIFY = "/api/v1/payments/notify/wechatpay"


def test_a_genuine_notify_for_an_order_we_do_not_know_is_answered_fail_not_500() -> None:
    meta, body = _signed_notify("P20261130NOSUCHORDER")
    answer = Client().post(NOTIFY, data=body, content_type="application/json", **meta)
    assert answer.status_code == 400 and answer.json()["code"] == "FAIL"
    assert ChannelNotification.objects.get().error == "unknown order or refund"  # a small record for staff


def test_unsigned_bodies_are_checked_before_anything_is_stored_and_only_a_little_is_kept() -> None:
    """Before: 20 random bodies of 2 MB each added 41.5 MB to the table."""
    client = Client()
    big = client.post(NOTIFY, data=b"\x00" * (2 * 1024 * 1024), content_type="application/json")
    assert big.status_code == 413 and not ChannelNotification.objects.exists()
    for n in range(20):
        forged = client.post(
            NOTIFY, data=b'{"id":"%d","x":"\x00' % n + b"A" * 8000 + b'"}', content_type="application/json"
        )
        assert forged.status_code == 400 and forged.json()["code"] == "FAIL"
    kept = ChannelNotification.objects.all()
    assert kept.count() == 20 and max(len(n.body) for n in kept) <= 512 and all(n.error for n in kept)
    assert all("\x00" not in n.body for n in kept)


def test_a_flood_of_notifies_from_one_address_is_slowed(settings) -> None:
    settings.NOTIFY_PER_MINUTE_PER_ADDRESS = 3
    answers = [Client().post(NOTIFY, data=b"{}", content_type="application/json").status_code for _ in range(5)]
    assert answers == [400, 400, 400, 429, 429]


# --- Staff review of private documents ---------------------------------------------------------------------


def test_staff_open_family_proofs_and_filing_documents_and_each_opening_is_audited(django_user_model) -> None:
    """Before: the admin change page of any binding with a proof, or filing with documents, was a 500."""
    from portal.audit.models import AuditEvent
    from portal.family.services import binding_request
    from portal.people.services import person_id_number

    initiator = factories.person(insurance_type="employee", balance_fen=1_000)
    bound = factories.person(insurance_type="resident")
    binding = binding_request(
        initiator=initiator,
        name=bound.name,
        id_number=person_id_number(bound),
        relation="child",
        proof=SimpleUploadedFile("hukou.html", PNG, content_type="text/html"),
    )
    assert binding.proof.name.endswith(".png")  # the server's name, the real type's extension
    staff = django_user_model.objects.create_superuser(username="reviewer", password="x" * 16)
    browser = Client()
    browser.force_login(staff)
    page = browser.get(f"/admin/family/familybinding/{binding.pk}/change/")
    assert page.status_code == 200 and "/file/" in page.content.decode()
    opened = browser.get(f"/admin/family/familybinding/{binding.pk}/file/")
    assert opened.status_code == 200 and opened["Content-Type"] == "image/png"
    assert opened["X-Content-Type-Options"] == "nosniff" and "sandbox" in opened["Content-Security-Policy"]
    assert AuditEvent.objects.filter(person=bound, purpose="admin: family proof", actor_user=staff).count() == 1
    assert Client().get(f"/admin/family/familybinding/{binding.pk}/file/").status_code == 302  # sign in first


def test_a_filing_with_documents_opens_in_the_admin(django_user_model, resident_api) -> None:
    from portal.offsite.models import OffsiteFiling

    person = factories.person(insurance_type="employee")
    api = resident_api(person)
    filed = api.post(
        "/api/v1/offsite/filings",
        {
            "category": "stationed_worker",
            "destination_code": "310100",
            "start_date": "2026-12-01",
            "contact_address": "上海市浦东新区",
            "materials": SimpleUploadedFile("work.pdf", PDF, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert filed.status_code == 201, filed.json()
    filing = OffsiteFiling.objects.get()
    staff = django_user_model.objects.create_superuser(username="reviewer", password="x" * 16)
    browser = Client()
    browser.force_login(staff)
    assert browser.get(f"/admin/offsite/offsitefiling/{filing.pk}/change/").status_code == 200
    opened = browser.get(f"/admin/offsite/offsitefiling/{filing.pk}/file/")
    assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"


# --- Uploads ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (pdf(javascript=True), "PDF with JavaScript"),
        (pdf(attachment=True), "PDF with EmbeddedFile"),
        (b"%PDF-1.7\nnot really a pdf", "not a readable PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a readable image"),
    ],
)
def test_hostile_or_broken_uploads_are_refused(content: bytes, reason: str) -> None:
    from portal.errors import DomainError
    from portal.family.proofs import check_proof

    with pytest.raises(DomainError) as refused:
        check_proof(SimpleUploadedFile("x", content), max_bytes=5 * 1024 * 1024)
    assert refused.value.code == "proof_unsafe" and reason in refused.value.details["reason"]


def test_an_image_that_would_decode_to_gigabytes_is_refused() -> None:
    import io

    from PIL import Image

    from portal.errors import DomainError
    from portal.family.proofs import check_proof

    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels in a few kilobytes
    with pytest.raises(DomainError) as refused:
        check_proof(SimpleUploadedFile("bomb.png", out.getvalue()), max_bytes=5 * 1024 * 1024)
    assert refused.value.details["reason"] == "too many pixels"


# --- Hospital notify URLs (server-side request forgery) ------------------------------------------------------


@pytest.fixture
def hospital(terminal_api) -> TerminalClient:
    return terminal_api(factories.institution(kind="internet_hospital", level="3"), kind="system")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
        "http://127.0.0.1:6379/",  # our own Redis
        "https://10.0.0.5/notify",  # the intranet
        "https://user:pass@example.com/notify",
        "ftp://example.com/notify",
        "https://no-such-host.invalid/notify",
    ],
)
def test_a_notify_url_aimed_inside_our_network_is_refused(hospital: TerminalClient, settings, url: str) -> None:
    settings.HOSPITAL_NOTIFY_ALLOWED_NETWORKS = []
    _error(hospital.request("PUT", "/api/v1/hospital/notify-endpoint", {"url": url}), 400, "notify_url_invalid")
    assert not HospitalEndpoint.objects.exists()


def test_plain_http_is_refused_outside_embedded_mode(hospital: TerminalClient, settings, monkeypatch) -> None:
    settings.HOSPITAL_NOTIFY_ALLOW_HTTP = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 80))])
    _error(
        hospital.request("PUT", "/api/v1/hospital/notify-endpoint", {"url": "http://hospital.example/n"}),
        400,
        "notify_url_invalid",
    )
    ok = hospital.request("PUT", "/api/v1/hospital/notify-endpoint", {"url": "https://hospital.example/n"})
    assert ok.status_code == 200


def test_a_name_re_pointed_inside_after_registration_is_refused_at_delivery(settings, monkeypatch) -> None:
    """DNS rebinding: public when registered, 127.0.0.1 when the worker delivers."""
    from payments.online.hospital import deliver, endpoint_register
    from tests.payments.online_helpers import authorize_and_pay, patient, upload

    settings.HOSPITAL_NOTIFY_ALLOWED_NETWORKS = []
    answers = {"hospital.example": "93.184.215.14"}
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, **k: [(2, 1, 6, "", (answers[host], port))])
    institution = factories.institution(kind="internet_hospital", level="3")
    endpoint_register(institution=institution, url="https://hospital.example/notify")
    answers["hospital.example"] = "127.0.0.1"
    terminal, secret = factories.terminal(of=institution, kind="system")
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(TerminalClient(terminal, secret), person, amounts=(1_000,)).json()["order"]
    api = APIClient()
    from portal.people.services import person_user

    api.force_login(person_user(person=person))
    authorize_and_pay(api, number)
    event = HospitalEvent.objects.get(order__number=number)
    assert deliver(event_id=event.pk) == "retry"
    event.refresh_from_db()
    assert event.delivered_at is None and "public internet address" in event.last_error


def test_a_redirect_from_the_hospital_is_not_followed(settings) -> None:
    import http.server
    import threading

    from payments.online.hospital import Target, _post

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:6379/")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        ok, error = _post(Target("http", "127.0.0.1", port, "/n", "127.0.0.1"), b"{}", {})
    finally:
        server.shutdown()
    assert (ok, error, hits) == (False, "HTTP 302", ["/n"])


# --- Headers and cookies ---------------------------------------------------------------------------------


def test_pages_carry_a_nonce_content_security_policy_and_a_permissions_policy() -> None:
    page = Client().get("/signin")
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page.content.decode() and f'<style nonce="{nonce}">' in page.content.decode()
    assert "camera=()" in page["Permissions-Policy"] and "screen-wake-lock=(self)" in page["Permissions-Policy"]
    assert ' onchange="' not in page.content.decode() and ' style="' not in page.content.decode()


def test_preference_cookies_are_secure_in_production(settings) -> None:
    settings.SESSION_COOKIE_SECURE = True
    answer = Client().post("/preferences", {"language": "en", "elderly": "1", "next": "/qa/"})
    for name in (settings.LANGUAGE_COOKIE_NAME, "elderly"):
        assert answer.cookies[name]["secure"] and answer.cookies[name]["httponly"]


# --- Exports ---------------------------------------------------------------------------------------------


def test_search_text_and_comments_never_become_spreadsheet_formulas() -> None:
    from portal.qa.reports import csv_safe

    for attack in ('=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"):
        assert csv_safe(attack).startswith("'")
    assert csv_safe("退休了门诊一年能报多少") == "退休了门诊一年能报多少" and csv_safe(5) == 5


def test_the_failed_searches_csv_escapes_a_formula_typed_into_the_search_box(django_user_model) -> None:
    APIClient().get("/api/v1/qa/search", {"q": '=HYPERLINK("http://evil.example","看这里")'})
    staff = django_user_model.objects.create_superuser(username="editor1", password="x" * 16)
    browser = Client()
    browser.force_login(staff)
    csv = browser.get("/cms/qa-reports/failed-searches/", {"export": "csv"}).getvalue().decode()
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv


# --- Identity data -------------------------------------------------------------------------------------------


def test_birth_dates_are_not_stored_in_clear() -> None:
    from django.db import connection

    from portal.people.models import Person

    person = factories.person(number=factories.id_number())
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), "people_person")}
    assert "birth_date" not in columns
    assert Person.objects.get(pk=person.pk).birth_date.year == 1980  # derived from the encrypted number


def test_estimates_by_identity_number_are_audited_and_limited(terminal_api, settings) -> None:
    from portal.audit.models import AuditEvent
    from portal.people.services import person_id_number

    settings.TERMINAL_LOOKUPS_PER_HOUR = 3
    client = terminal_api()
    person = factories.person()
    item = {"code": "X", "name": "药", "amount_fen": 1_000}
    known = client.post("/api/v1/benefits/estimate", {"id_number": person_id_number(person), "items": [item]})
    assert known.status_code == 200
    assert AuditEvent.objects.filter(person=person, actor_terminal=client.terminal).count() == 1
    unknown = client.post("/api/v1/benefits/estimate", {"id_number": factories.id_number(), "items": [item]})
    _error(unknown, 404, "person_unknown")
    client.post("/api/v1/benefits/estimate", {"id_number": factories.id_number(), "items": [item]})
    _error(
        client.post("/api/v1/benefits/estimate", {"id_number": person_id_number(person), "items": [item]}),
        429,
        "rate_limited",
    )
