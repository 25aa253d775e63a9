"""Background jobs in a real Celery worker and beat on Redis and PostgreSQL (no eager mode): the worker
registers every task, a cash refund completes, a hospital is told (and told again after a 500), a late
order is queried and closed, yesterday's reconciliation comes out clean."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import threading
from typing import Any

import pytest
from django.utils import timezone

from payments.online.models import HospitalEvent, OnlineOrder, OnlineRefund, ReconciliationRun
from portal.ledger.selectors import account_balance, personal_account
from tests.live.conftest import assert_invariants_hold
from tests.live.deployment import Deployment
from tests.live.helpers import eventually, hospital, key, pay, token_of, upload
from tests.ops.test_tasks_registered import _tasks_defined_in_the_code
from tests.payments.online_helpers import patient

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _paid_order(live: Deployment, channel: Any, balance_fen: int = 10_000, amount_fen: int = 30_000) -> tuple:
    """An order with a cash part, paid through the stand-in and settled by its notify."""
    person = patient(insurance_type="employee", balance_fen=balance_fen)
    terminal = hospital()
    uploaded = upload(live, terminal, person, (amount_fen,))
    assert uploaded.status == 201, uploaded.body
    number = uploaded.body["order"]
    paid = pay(live, token_of(person), number)
    assert paid.status == 200 and paid.body["status"] == "awaiting_cash", paid.body
    channel.pay(number)
    eventually(lambda: OnlineOrder.objects.get(number=number).status == "settled", what="the paid notify")
    return person, terminal, number


def test_the_worker_started_as_the_readme_says_registers_every_task_in_the_code(live: Deployment) -> None:
    missing = _tasks_defined_in_the_code() - live.registered_tasks()
    assert not missing, f"not registered by the running worker: {sorted(missing)}"


def test_a_cash_refund_completes_through_the_worker(live: Deployment, live_channel: Any) -> None:
    person, terminal, number = _paid_order(live, live_channel)
    asked = terminal.call(
        live, "POST", f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": key("r"), "whole": True}
    )
    assert asked.status == 201 and asked.body["status"] == "processing", asked.body
    # The web process only queued start_cash_refund; the worker asks the channel, whose notify confirms it.
    eventually(lambda: OnlineRefund.objects.get(number=asked.body["refund"]).status == "succeeded", what="the refund")
    assert live_channel.refunds[asked.body["refund"]].status == "SUCCESS"
    assert OnlineOrder.objects.get(number=number).status == "refunded"
    assert account_balance(account_id=personal_account(person=person).pk) == 10_000
    assert_invariants_hold()


class _Receiver(http.server.ThreadingHTTPServer):
    """A hospital's notification endpoint: refuses the first delivery with 500, then accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if not outer.received else 200
                outer.received.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_a_hospital_event_reaches_the_hospital_signed_and_is_retried_after_a_500(
    live: Deployment, live_channel: Any
) -> None:
    receiver = _Receiver()
    try:
        person = patient(insurance_type="employee", balance_fen=100_000)
        terminal = hospital()
        endpoint = f"http://127.0.0.1:{receiver.server_address[1]}/notify"
        registered = terminal.call(live, "PUT", "/api/v1/hospital/notify-endpoint", {"url": endpoint})
        assert registered.status == 200, registered.body
        secret = registered.body["secret"]
        number = upload(live, terminal, person, (10_000,)).body["order"]
        assert pay(live, token_of(person), number).body["status"] == "settled"  # insurance only
        eventually(lambda: len(receiver.received) >= 2, what="the delivery and its retry (beat, every 2 s)")
        event = HospitalEvent.objects.get(order__number=number, kind="paid")
        eventually(lambda: HospitalEvent.objects.get(pk=event.pk).delivered_at is not None, what="delivered")
        assert HospitalEvent.objects.get(pk=event.pk).attempts == 2
        for headers, body, _ in receiver.received:
            message = f"{headers['X-Event-Id']}\n{headers['X-Timestamp']}\n".encode() + body
            expected = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
            assert hmac.compare_digest(headers["X-Signature"], expected)
            assert headers["X-Event-Id"] == str(event.event_id)  # the same event id: the hospital dedupes
        assert [status for *_, status in receiver.received[:2]] == [500, 200]
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_a_late_order_is_queried_then_closed_by_beat_and_the_held_money_comes_back(
    live: Deployment, live_channel: Any
) -> None:
    person = patient(insurance_type="employee", balance_fen=10_000)
    terminal = hospital()
    number = upload(live, terminal, person, (30_000,)).body["order"]
    assert pay(live, token_of(person), number).body["status"] == "awaiting_cash"
    assert account_balance(account_id=personal_account(person=person).pk) == 0  # held for the order
    # Nobody pays. The payment window passes (the order's deadline moved into the past).
    OnlineOrder.objects.filter(number=number).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    eventually(lambda: OnlineOrder.objects.get(number=number).status == "closed", what="beat's late-order job")
    assert live_channel.orders[number].trade_state == "CLOSED"  # closed at the channel after a query
    assert account_balance(account_id=personal_account(person=person).pk) == 10_000
    assert HospitalEvent.objects.filter(order__number=number, kind="closed").exists()
    assert_invariants_hold()


def test_yesterdays_reconciliation_through_the_worker_comes_out_clean(live: Deployment, live_channel: Any) -> None:
    _, _, paid_only = _paid_order(live, live_channel)
    _, terminal2, refunded = _paid_order(live, live_channel)
    asked = terminal2.call(
        live,
        "POST",
        f"/api/v1/hospital/orders/{refunded}/refunds",
        {"idempotency_key": key("r"), "parts": {"cash": 5_000}},
    )
    eventually(lambda: OnlineRefund.objects.get(number=asked.body["refund"]).status == "succeeded", what="the refund")
    # A day passes: today's trades become yesterday's, on both sides.
    day = dt.timedelta(days=1)
    for number in (paid_only, refunded):
        order = OnlineOrder.objects.get(number=number)
        OnlineOrder.objects.filter(pk=order.pk).update(
            cash_paid_at=order.cash_paid_at - day, settled_at=order.settled_at - day
        )
    refund = OnlineRefund.objects.get(number=asked.body["refund"])
    OnlineRefund.objects.filter(pk=refund.pk).update(completed_at=refund.completed_at - day)
    live_channel.backdate(day, [paid_only, refunded])
    outcome = live.run_task("payments.online.reconcile_yesterday")
    clean = {"differences": 0, "fixed": 0}
    assert outcome == {"wechatpay": {"rows": 3, **clean}, "alipay": {"rows": 0, **clean}}, outcome  # per channel
    run = ReconciliationRun.objects.get(channel="wechatpay")
    assert run.bill_date == timezone.localdate() - day and run.matched == 3
    assert_invariants_hold()
