"""Notifications to hospitals: signed, retried with backoff, idempotent by event id; and the staff pages."""

import base64
import hashlib
import hmac
import http.server
import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from payments.online.hospital import deliver, events_due
from payments.online.models import HospitalEvent
from tests.payments.online_helpers import authorize_and_pay, hospital_client, patient, upload

pytestmark = pytest.mark.django_db


class Receiver(http.server.ThreadingHTTPServer):
    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_response(503)
                else:
                    outer.received.append((dict(self.headers.items()), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/yibao/notify"


def test_the_hospital_gets_a_signed_paid_event_and_retries_until_it_answers(resident_api) -> None:
    receiver = Receiver(fail_first=1)
    client = hospital_client()
    registered = client.request("PUT", "/api/v1/hospital/notify-endpoint", {"url": receiver.url})
    assert registered.status_code == 200, registered.json()
    secret = registered.json()["secret"]
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(client, person).json()["order"]
    authorize_and_pay(resident_api(person), number)
    event = HospitalEvent.objects.get(order__number=number, kind="paid")
    assert deliver(event_id=event.pk) == "retry"  # the hospital answered 503
    event.refresh_from_db()
    assert event.attempts == 1 and event.next_attempt_at > timezone.now() and event.pk not in events_due()
    HospitalEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert event.pk in events_due()
    assert deliver(event_id=event.pk) == "delivered"
    assert deliver(event_id=event.pk) == "done"  # never sent twice once delivered
    headers, body = receiver.received[-1]
    message = f"{headers['X-Event-Id']}\n{headers['X-Timestamp']}\n".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
    assert headers["X-Signature"] == expected
    payload = json.loads(body)
    assert payload["event_id"] == str(event.event_id) == headers["X-Event-Id"]
    assert (payload["kind"], payload["order"], payload["status"]) == ("paid", number, "settled")
    receiver.shutdown()


def test_a_pharmacy_cannot_register_a_notify_endpoint(terminal_api) -> None:
    response = terminal_api().request("PUT", "/api/v1/hospital/notify-endpoint", {"url": "https://x.example/n"})
    assert response.status_code == 403 and response.json()["code"] == "not_internet_hospital"


def test_a_bad_url_is_a_field_error() -> None:
    response = hospital_client().request("PUT", "/api/v1/hospital/notify-endpoint", {"url": "file:///etc/passwd"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"


def test_staff_pages_list_orders_notifies_and_reconciliations(resident_api) -> None:
    from django.test import Client

    from portal.people.models import User

    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person).json()["order"]
    authorize_and_pay(resident_api(person), number)
    browser = Client()
    browser.force_login(User.objects.create_superuser("finance", password="a-long-test-password"))
    for page in ("onlineorder", "channelnotification", "hospitalevent", "reconciliationrun"):
        assert browser.get(f"/admin/payments/{page}/").status_code == 200
    assert number in browser.get("/admin/payments/onlineorder/").content.decode()
