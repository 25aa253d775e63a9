"""A notify is acknowledged once stored, settled by a task, and never lost: a stored notify no task
finished is settled by beat's sweep, exactly once whoever runs it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from payments.channels.standin.dev import dev_transaction_notify
from payments.online import notifies
from payments.online.models import ChannelNotification, OnlineOrder
from payments.online.tasks import process_notification, process_pending_notifications
from portal.ledger.models import LedgerTransaction
from tests import factories

pytestmark = pytest.mark.django_db

NOTIFY = "/api/v1/payments/notify/wechatpay"


def _order_awaiting_cash(cash_fen: int = 1_234) -> OnlineOrder:
    terminal, _ = factories.terminal(of=factories.institution(kind="internet_hospital", level="3"), kind="system")
    order = OnlineOrder.objects.create(
        institution=terminal.institution,
        terminal=terminal,
        person=factories.person(insurance_type="resident"),
        idempotency_key="notify-test",
        request_hash="-",
        description="复诊",
        service_date=timezone.localdate(),
        status=OnlineOrder.Status.AWAITING_CASH,
        total_fen=cash_fen,
        cash_fen=cash_fen,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    OnlineOrder.objects.filter(pk=order.pk).update(out_trade_no=order.number)
    return order


def _post(order: OnlineOrder, notify: tuple[dict[str, str], bytes] | None = None) -> Any:
    headers, body = notify or dev_transaction_notify(order.number, order.cash_fen)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return Client().post(NOTIFY, data=body, content_type="application/json", **meta)


def test_a_notify_is_acknowledged_once_stored_and_a_lost_task_is_made_up_by_the_sweep(monkeypatch) -> None:
    order = _order_awaiting_cash()
    monkeypatch.setattr(notifies, "_process_later", lambda notification_id: None)  # the worker died
    answer = _post(order)
    assert answer.status_code == 200 and answer.json()["code"] == "SUCCESS"
    stored = ChannelNotification.objects.get()
    assert stored.processed_at is None and OnlineOrder.objects.get(pk=order.pk).status == "awaiting_cash"
    assert process_pending_notifications.delay().get() == 0  # too fresh: its task may still be on the way
    ChannelNotification.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=1))
    assert process_pending_notifications.delay().get() == 1
    assert OnlineOrder.objects.get(pk=order.pk).status == "settled"
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.outcome == "settled"
    assert process_pending_notifications.delay().get() == 0


def test_a_notify_processed_twice_settles_once(django_capture_on_commit_callbacks) -> None:
    order = _order_awaiting_cash()
    notify = dev_transaction_notify(order.number, order.cash_fen)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(order, notify).status_code == 200  # its task ran when the row committed (eagerly here)
    stored = ChannelNotification.objects.get()
    assert process_notification.delay(stored.pk).get() == "done"
    again = _post(order, notify)  # the channel's retry: the same notify id
    assert again.status_code == 200 and ChannelNotification.objects.filter(outcome="duplicate").count() == 1
    assert LedgerTransaction.objects.filter(reference=order.number).count() <= 1
    assert OnlineOrder.objects.get(pk=order.pk).status == "settled"
