"""A notify is acknowledged once stored, settled by a drain, and never lost: a stored notify no drain
finished is settled by beat's sweep, exactly once whoever runs it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from payments.channels.wechatpay.standin.dev import dev_transaction_notify
from payments.online import notifies
from payments.online.models import ChannelNotification, OnlineOrder
from payments.online.tasks import drain_notifications, process_notification, process_pending_notifications
from portal.ledger.models import LedgerTransaction
from portal.ledger.selectors import accounts_out_of_step, unbalanced_transactions
from tests import factories
from tests.conftest import needs_postgres

pytestmark = pytest.mark.django_db

NOTIFY = "/api/v1/payments/notify/wechatpay"


@pytest.fixture(autouse=True)
def _empty_settle_queue() -> Iterator[None]:
    """The settle queue outlives a test's transaction (Redis is flushed by the cache's clear; the
    in-process queue of the embedded mode is emptied here)."""
    queue = notifies.settle_queue()
    assert queue is not None  # Redis, or tasks run eagerly
    queue.pop(10_000)
    queue.release()
    yield
    queue.pop(10_000)
    queue.release()


def _order_awaiting_cash(cash_fen: int = 1_234, key: str = "notify-test") -> OnlineOrder:
    terminal, _ = factories.terminal(of=factories.institution(kind="internet_hospital", level="3"), kind="system")
    order = OnlineOrder.objects.create(
        institution=terminal.institution,
        terminal=terminal,
        person=factories.person(insurance_type="resident"),
        idempotency_key=key,
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


def _status(order: OnlineOrder) -> str:
    return OnlineOrder.objects.get(pk=order.pk).status


def _age(seconds: int = 60) -> None:
    """Every stored notify as if it came a while ago (the sweep leaves fresh ones to the drain)."""
    ChannelNotification.objects.update(received_at=timezone.now() - timedelta(seconds=seconds))


class Drains:
    """Records the drains a notify or a drain asks for instead of running them at once (eagerly)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.asked = 0
        monkeypatch.setattr(notifies, "_queue_drain", self._ask)

    def _ask(self, queue: Any) -> None:
        self.asked += 1


def test_a_notify_is_acknowledged_once_stored_and_a_lost_task_is_made_up_by_the_sweep(monkeypatch) -> None:
    order = _order_awaiting_cash()
    monkeypatch.setattr(notifies, "settle_soon", lambda **kwargs: None)  # the process died after answering
    answer = _post(order)
    assert answer.status_code == 200 and answer.json()["code"] == "SUCCESS"
    stored = ChannelNotification.objects.get()
    assert stored.processed_at is None and _status(order) == "awaiting_cash"
    assert process_pending_notifications.delay().get() == 0  # too fresh: a drain may still be on the way
    _age()
    assert process_pending_notifications.delay().get() == 1
    assert _status(order) == "settled"
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.outcome == "settled"
    assert process_pending_notifications.delay().get() == 0


def test_a_notify_processed_twice_settles_once(django_capture_on_commit_callbacks) -> None:
    order = _order_awaiting_cash()
    notify = dev_transaction_notify(order.number, order.cash_fen)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(order, notify).status_code == 200  # the drain ran when the row committed (eagerly here)
    stored = ChannelNotification.objects.get()
    assert stored.outcome == "settled"
    assert process_notification.delay(stored.pk).get() == "done"
    assert notifies.notification_process(notification_id=stored.pk, received_at=stored.received_at).result == "done"
    again = _post(order, notify)  # the channel's retry: the same notify id
    assert again.status_code == 200 and again.json()["code"] == "SUCCESS"
    duplicate = ChannelNotification.objects.get(outcome="duplicate")
    assert duplicate.duplicate_of_id == stored.pk and duplicate.notify_id is None
    assert LedgerTransaction.objects.filter(reference=order.number).count() <= 1
    assert _status(order) == "settled"


def test_a_notify_for_an_order_we_do_not_know_is_refused_and_kept_small() -> None:
    headers, body = dev_transaction_notify("P20261130NOSUCHORDER", 100)
    answer = _post(_order_awaiting_cash(), (headers, body))
    assert answer.status_code == 400 and answer.json()["code"] == "FAIL"
    kept = ChannelNotification.objects.get()
    assert kept.notify_id is None and kept.error == "unknown order or refund" and len(kept.body) <= 512
    assert notifies.settle_queue().size() == 0  # type: ignore[union-attr]


def test_a_notify_stored_while_the_drain_key_is_held_is_settled_by_that_drain(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    drains = Drains(monkeypatch)
    order = _order_awaiting_cash()
    queue = notifies.settle_queue()
    assert queue is not None and queue.claim()  # a drain is queued (or running)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(order).status_code == 200
    assert drains.asked == 0 and queue.size() == 1 and _status(order) == "awaiting_cash"
    assert drain_notifications.delay().get() == 1  # the drain that held the key
    assert _status(order) == "settled"
    assert queue.claim()  # it lowered the key when it was done


def test_the_drain_looks_again_after_lowering_its_key(monkeypatch, django_capture_on_commit_callbacks) -> None:
    """A notify pushed after the drain's last look but before it lowered the key queues no drain: the
    drain's second look, after lowering the key, finds it."""
    drains = Drains(monkeypatch)
    late = _order_awaiting_cash()
    real = notifies.settle_queue()
    assert real is not None

    class Racing:
        looked_empty = False

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def pop(self, count: int) -> list[str]:
            items = real.pop(count)
            if not items and not self.looked_empty:
                self.looked_empty = True
                with django_capture_on_commit_callbacks(execute=True):
                    assert _post(late).status_code == 200  # stored while the key is still up
            return items

    monkeypatch.setattr(notifies, "settle_queue", Racing)
    assert real.claim()
    assert notifies.notifications_drain() == 1
    assert drains.asked == 0 and _status(late) == "settled"


def test_a_notify_stored_just_after_the_drain_lowered_its_key_queues_a_drain_of_its_own(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    drains = Drains(monkeypatch)
    late = _order_awaiting_cash()
    real = notifies.settle_queue()
    assert real is not None

    class Racing:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def release(self) -> None:
            real.release()
            if not drains.asked:
                with django_capture_on_commit_callbacks(execute=True):
                    assert _post(late).status_code == 200  # raises the key again: a drain is asked for

    monkeypatch.setattr(notifies, "settle_queue", Racing)
    assert real.claim()
    notifies.notifications_drain()
    assert drains.asked == 1 and real.size() == 1  # the drain it asked for settles it
    monkeypatch.setattr(notifies, "settle_queue", lambda: real)
    assert notifies.notifications_drain() == 1 and _status(late) == "settled"


def test_ids_a_dying_drain_took_are_settled_by_the_sweep_which_also_restarts_the_drain(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    drains = Drains(monkeypatch)
    taken, waiting = _order_awaiting_cash(key="taken-1"), _order_awaiting_cash(key="waiting-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(taken).status_code == 200 and _post(waiting).status_code == 200
    assert drains.asked == 1
    queue = notifies.settle_queue()
    assert queue is not None and len(queue.pop(1)) == 1  # the drain took one id, then its process died
    queue.release()  # ... and its key expired
    _age()
    assert notifies.notifications_sweep() == 2  # both stored rows are old enough: the sweep settles them
    assert _status(taken) == "settled" and _status(waiting) == "settled"
    assert drains.asked == 2  # an id still waited on the queue with no drain: the sweep asked for one
    assert notifies.notifications_drain() == 1  # it finds the row settled already
    assert ChannelNotification.objects.filter(processed_at__isnull=False).count() == 2
    assert LedgerTransaction.objects.filter(reference__in=[taken.number, waiting.number]).count() <= 2


def test_a_long_drain_hands_over_with_its_key_still_up(monkeypatch, django_capture_on_commit_callbacks) -> None:
    drains = Drains(monkeypatch)
    orders = [_order_awaiting_cash(key=f"long-{n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for order in orders:
            assert _post(order).status_code == 200
    assert drains.asked == 1
    queue = notifies.settle_queue()
    assert queue is not None
    assert notifies.notifications_drain(seconds=0, batch=1) == 1
    assert drains.asked == 2 and not queue.claim()  # the next drain is asked for; the key stays up
    assert notifies.notifications_drain() == 2
    assert [_status(order) for order in orders] == ["settled"] * 3


def test_a_drain_that_fails_lowers_its_key(monkeypatch, django_capture_on_commit_callbacks) -> None:
    drains = Drains(monkeypatch)
    order = _order_awaiting_cash()
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(order).status_code == 200

    def broken(**kwargs: Any) -> str:
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(notifies, "notification_process", broken)
    with pytest.raises(RuntimeError):
        notifies.notifications_drain()
    queue = notifies.settle_queue()
    assert queue is not None and queue.claim()  # lowered: the next notify queues a drain
    assert drains.asked == 1 and _status(order) == "awaiting_cash"  # the stored row is the sweep's


def test_a_notify_is_acknowledged_when_the_settle_queue_is_unreachable(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    order = _order_awaiting_cash()

    class Down:
        def push(self, item: str) -> bool:
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(notifies, "settle_queue", Down)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(order)
    assert answer.status_code == 200 and answer.json()["code"] == "SUCCESS"
    assert ChannelNotification.objects.get().processed_at is None
    monkeypatch.undo()
    _age()
    assert process_pending_notifications.delay().get() == 1 and _status(order) == "settled"


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_drains_helpers_and_the_sweep_at_once_settle_each_notify_exactly_once(monkeypatch) -> None:
    drains = Drains(monkeypatch)  # the notifies only fill the queue; the drains below run at once
    orders = [_order_awaiting_cash(cash_fen=1_000 + n, key=f"race-{n:03d}") for n in range(24)]
    sent = {order.number: dev_transaction_notify(order.number, order.cash_fen) for order in orders}
    for order in orders:
        assert _post(order, sent[order.number]).status_code == 200
    for order in orders[::3]:  # the channel's retries
        assert _post(order, sent[order.number]).json()["code"] == "SUCCESS"
    assert drains.asked == 1 and notifies.settle_queue().size() == 24  # type: ignore[union-attr]
    barrier = threading.Barrier(4)
    taken: list[int] = []

    def run(job: Any) -> None:
        try:
            barrier.wait()
            taken.append(job())
        finally:
            connection.close()

    jobs = [
        lambda: notifies.notifications_drain(batch=5),
        lambda: notifies.notifications_drain(helper=True, batch=5),
        lambda: notifies.notifications_drain(helper=True, batch=5),
        lambda: notifies.notifications_sweep(older_than=timedelta(0)),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 4
    assert OnlineOrder.objects.filter(status="settled").count() == 24
    stored = ChannelNotification.objects.filter(notify_id__isnull=False)
    assert stored.count() == 24 and not stored.filter(processed_at__isnull=True).exists()
    assert ChannelNotification.objects.filter(outcome="duplicate").count() == 8
    per_order = LedgerTransaction.objects.filter(reference__in=list(sent)).values("reference").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in per_order)
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()
