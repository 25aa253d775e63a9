"""Prometheus metrics at /metrics: every family of issue 21 after a scan, a settlement, a notify, an SMS and
a failing task, with bounded labels (the URL pattern, never the path); the live gauges read at scrape time;
and who may read them (the bearer token, or loopback when there is none)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from payments.online.models import HospitalEvent
from portal.celery import app as celery_app
from portal.observability import metrics
from portal.ops.models import InvariantRun
from tests import factories
from tests.payments.settlement_helpers import drug, insured, prescribed, settle
from tests.payments.test_notify_processing import _empty_settle_queue, _order_awaiting_cash, _post
from vouchers.scanning import code_issue

pytestmark = pytest.mark.django_db

__all__ = ["_empty_settle_queue"]  # the notify tests' fixture: the settle queue starts and ends empty

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: Client | None = None, **headers: Any) -> Samples:
    answer = (client or Client()).get("/metrics", **headers)
    assert answer.status_code == 200, answer.content
    text = answer.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def families(**headers: Any) -> set[str]:
    text = Client().get("/metrics", **headers).content.decode()
    return {family.name for family in text_string_to_metric_families(text)}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@celery_app.task(name="tests.ops.metrics_fails")
def _fails() -> None:
    raise RuntimeError("a task that fails, for the failure counter")


@celery_app.task(name="tests.ops.metrics_retries", bind=True, max_retries=1, default_retry_delay=0)
def _retries(self: Any) -> None:
    raise self.retry(exc=RuntimeError("once more"))


@pytest.fixture
def eager_task_failures() -> Iterator[None]:
    """Eager tasks re-raise into the caller; here the failure is what is counted."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def test_a_scan_a_settlement_a_notify_an_sms_and_a_failed_task_raise_their_families(
    terminal_api, api, django_capture_on_commit_callbacks, eager_task_failures
) -> None:
    before = scrape()
    person = insured(insurance_type="employee", balance_fen=100_000)
    pharmacy = factories.institution(kind="pharmacy")
    region = pharmacy.region.code
    client = terminal_api(pharmacy)
    # A scan, and the same code scanned again (refused: replayed).
    code = code_issue(viewer=person, subject=person).text
    first = client.post("/api/v1/scanner/scan", {"code": code, "business_type": "02121"})
    assert first.status_code == 201, first.json()
    assert client.post("/api/v1/scanner/scan", {"code": code, "business_type": "02121"}).status_code == 409
    # A settlement, and the same request again with its key (answered with the first: replayed).
    items = [drug(price=5_000)]
    rx = prescribed(person)
    session = first.json()["scan_session_id"]
    assert settle(client, session, items, key="metrics-1", prescription_id=rx).status_code == 201
    assert settle(client, session, items, key="metrics-1", prescription_id=rx).status_code in (200, 201)
    unknown = settle(client, str(uuid.uuid4()), items, prescription_id=rx)
    assert unknown.status_code == 409 and unknown.json()["code"] == "scan_session_invalid"
    # A channel's notify, stored and processed (its lag observed), and its retry (a duplicate).
    order = _order_awaiting_cash()
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(order).status_code == 200
    # An SMS code sent, and one refused (asked again at once).
    assert api.post("/api/v1/auth/sms-code", {"phone": person.phone}, format="json").status_code == 202
    again = api.post("/api/v1/auth/sms-code", {"phone": person.phone}, format="json")
    assert again.status_code == 429 and again.json()["code"] == "otp_too_soon"
    # A task that fails, and one that retries then fails.
    _fails.delay()
    _retries.delay()
    # The state read at scrape time.
    HospitalEvent.objects.create(order=order, kind=HospitalEvent.Kind.PAID, payload={})
    now = timezone.now()
    InvariantRun.objects.create(
        started_at=now - timedelta(seconds=5), finished_at=now, ok=False, violations=3, results=[]
    )

    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("portal_voucher_scans_total", outcome="success", region=region) == 1
    assert grew("portal_voucher_scans_total", outcome="code_replayed", region=region) == 1
    assert grew("portal_settlements_total", outcome="success", region=region) == 1
    assert grew("portal_settlements_total", outcome="replayed", region=region) == 1
    assert grew("portal_settlements_total", outcome="scan_session_invalid", region=region) == 1
    assert grew("portal_channel_notifies_total", channel="wechatpay", outcome="accepted") == 1
    assert grew("portal_channel_notify_lag_seconds_count", channel="wechatpay") == 1
    assert grew("portal_sms_sent_total", purpose="sign_in") == 1
    assert grew("portal_sms_refused_total", reason="otp_too_soon") == 1
    assert grew("portal_celery_task_failures_total", task="tests.ops.metrics_fails") == 1
    assert grew("portal_celery_task_retries_total", task="tests.ops.metrics_retries") >= 1
    pending = HospitalEvent.objects.filter(delivered_at__isnull=True, gave_up=False).count()
    assert value(after, "portal_hospital_events_pending") == pending >= 1
    assert value(after, "portal_invariants_ok") == 0
    assert value(after, "portal_invariants_violations") == 3
    assert value(after, "portal_invariants_finished_timestamp_seconds") == pytest.approx(now.timestamp())
    assert value(after, "portal_metrics_source_up", source="database") == 1
    route = "api/v1/scanner/scan"
    assert grew("portal_http_requests_total", route=route, method="POST", status="201") == 1
    assert grew("portal_http_requests_total", route=route, method="POST", status="409") == 1
    assert grew("portal_http_request_duration_seconds_count", route=route) == 2
    assert {
        "portal_channel_notify_backlog",
        "portal_channel_notify_backlog_oldest_seconds",
        "portal_celery_queue_length",
    } <= families()


def test_a_stored_notify_not_yet_processed_is_the_backlog(monkeypatch) -> None:
    from payments.online import notifies

    monkeypatch.setattr(notifies, "settle_soon", lambda **kwargs: None)  # the process died after answering
    assert _post(_order_awaiting_cash()).status_code == 200
    samples = scrape()
    assert value(samples, "portal_channel_notify_backlog", channel="wechatpay") == 1
    assert value(samples, "portal_channel_notify_backlog_oldest_seconds", channel="wechatpay") >= 0


def test_requests_are_labelled_by_their_url_pattern_never_their_path(resident_api) -> None:
    client = resident_api(factories.person())
    client.get("/api/v1/payments/orders/P20261130NOSUCHORDER")
    client.get("/no/such/page/4711")
    samples = scrape()
    routes = {dict(labels).get("route") for name, labels in samples if name == "portal_http_requests_total"}
    assert "api/v1/payments/orders/<str:number>" in routes and metrics.UNMATCHED in routes
    assert not [route for route in routes if route and ("NOSUCHORDER" in route or "4711" in route)]


@pytest.mark.skipif(not settings.REDIS_URL, reason="the queue depth is read from a Redis broker (set REDIS_URL)")
def test_the_queue_depth_is_read_from_the_broker_at_scrape_time() -> None:
    client = metrics._redis(str(celery_app.conf.broker_url))
    queue = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False  # the autouse isolation sets it back for the next test
    client.delete(queue)
    try:
        client.rpush(queue, "a", "b")
        assert value(scrape(), "portal_celery_queue_length", queue=queue) == 2
    finally:
        client.delete(queue)


def test_eager_tasks_have_no_queue_and_a_broken_source_does_not_break_the_scrape(monkeypatch) -> None:
    samples = scrape()
    assert not [name for name, _ in samples if name == "portal_celery_queue_length"]

    def down(*args: Any) -> None:
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(metrics.LiveCollector, "_broker", staticmethod(down))
    samples = scrape()
    assert value(samples, "portal_metrics_source_up", source="broker") == 0
    assert value(samples, "portal_metrics_source_up", source="database") == 1


def test_without_a_token_only_this_machine_may_read_them(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert Client().get("/metrics", REMOTE_ADDR="::1").status_code == 200
    refused = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert refused.status_code == 403
    assert refused.json() == {"code": "forbidden", "message": refused.json()["message"], "details": {}}
    assert refused.json()["message"]


def test_with_a_token_every_client_needs_it(settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert Client().get("/metrics", **elsewhere).status_code == 403
    assert Client().get("/metrics").status_code == 403  # loopback too: the token is the rule now
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-tokex", **elsewhere)
    assert wrong.status_code == 403 and wrong.json()["code"] == "forbidden"
    allowed = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token", **elsewhere)
    assert allowed.status_code == 200 and allowed["Content-Type"].startswith("text/plain")
    assert b"portal_http_requests_total" in allowed.content
