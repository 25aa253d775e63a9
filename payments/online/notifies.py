"""Notifies from the payment channels: verified, stored raw, acknowledged; then settled by a drain.

Each channel has its own route (``/api/v1/payments/notify/<channel>``) and its own verification and
answer (``CashChannel.parse_notify``/``notify_answer``); everything after that is the same for all. A
channel that wants the notify settled before it is told so (Alipay: answer ``success`` only once the
notify is stored *and* processed, ``settle_before_answer``) has it settled in the request.

A notify is a hint, never the truth by itself: its signature and freshness are checked, then the
business fields (our merchant, our app, our order, our amount). Processing is idempotent and runs once
per stored notify (row lock, marked in the same transaction); the unique notify id answers duplicates at
once; beat's sweep finishes any stored notify no drain did.

Acknowledging is one statement: the row is inserted only if the order (or refund) it names exists, and the
unique notify id (ChannelNotifyKey's trigger on PostgreSQL) refuses a second copy in the same statement.
Once it has committed, its id is pushed on a short settle queue (a Redis list) and, unless a drain is
already queued or running (a Redis key set NX, with an expiry), one drain task is queued. The drain pops
ids in batches and settles each notify in a transaction of its own; when the queue is empty it clears
the key, then looks again, so a notify pushed while the key was held is never stranded. A process that
dies after storing a notify and before settling it leaves a stored, unprocessed row: beat's sweep settles
it. Without Redis (the embedded mode, tasks run eagerly) the queue lives in the process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from payments.channels.base import CashChannel, ChannelError, ChannelNotify, RefundState, TradeState
from payments.channels.factory import get_channel
from payments.online.confirm import Cash, cash_confirmed
from payments.online.jobs import Job, enqueue
from payments.online.models import ChannelNotification, OnlineOrder, OnlineRefund
from payments.online.refunds import CashRefund, cash_refund_confirmed
from payments.online.state import ORDER_NOT_FOUND
from portal import ratelimit
from portal.errors import DomainError
from portal.observability import metrics

logger = logging.getLogger(__name__)


REJECTED_KEPT_PER_HOUR = 100  # rejected notifies kept (truncated) for staff; beyond that only counted in the log
REJECTED_BODY_CHARS = 512

SETTLE_BATCH = 100  # ids a drain pops at a time (each notify is still settled in a transaction of its own)
DRAIN_SECONDS = 30.0  # a drain hands over to a fresh task after this (the task's time limit is 60 s)
DRAIN_HOLD_SECONDS = 90  # the "drain queued or running" key expires after this: a drain that died frees it
DRAIN_HELPERS = 2  # extra drains asked for when the queue holds more than a batch (workers share it)
QUEUE_MAX = 200_000  # the settle queue keeps the newest ids; anything trimmed is the sweep's


class Heard(NamedTuple):
    """The answer a notify gets: acknowledged or not (the channel retries), and the message it carries."""

    accepted: bool
    message: str


class Notified(StrEnum):
    """A stored notify that settled nothing."""

    DONE = "done"  # processed before, or being processed right now
    IGNORED = "ignored"  # a state that settles nothing (a trade not paid, a refund not succeeded)
    REFUSED = "refused"  # cannot settle (e.g. the order moved on): kept for staff with the code


@dataclass(frozen=True)
class Settled:
    """What settling a stored notify came to; its text is kept in the row's ``outcome``."""

    result: Cash | CashRefund | Notified
    detail: str = ""  # the state ignored, the code refused

    def __str__(self) -> str:
        return f"{self.result}: {self.detail}" if self.detail else str(self.result)


def _keep_rejected(channel: CashChannel, headers: Mapping[str, str], body: bytes, error: str) -> None:
    """A small, capped record of a notify that failed verification: the first bytes, the reason."""
    channel_name = channel.name
    kept, _ = ratelimit.hit(f"notify-rejected:{channel_name}", period=3600)
    if kept > REJECTED_KEPT_PER_HOUR:
        logger.warning("notify rejected (not kept, over %s an hour): %s", REJECTED_KEPT_PER_HOUR, error[:80])
        return
    wanted = {k: v[:200] for k, v in channel.notify_headers(headers).items()}
    ChannelNotification.objects.create(
        channel=channel_name,
        headers=wanted,
        body=body[:REJECTED_BODY_CHARS].decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        error=error[:200],
    )


@metrics.counts_notifies
def notify_receive(*, channel_name: str, headers: Mapping[str, str], body: bytes) -> Heard:
    """Acknowledge or not (then the channel retries later), and what happened.

    Acknowledged fast: a notify is verified (signature, freshness, our merchant and app), stored raw if it
    names an order or refund we know (one statement, committed before the answer), and answered; settling
    it is the drain's (``payments.online.drain_notifications``), or beat's sweep's if no drain gets to it.
    A rejected notify leaves a small capped record. Any refusal is an answer, never an exception.
    """
    channel = get_channel(channel_name)
    try:
        notify = channel.parse_notify(headers=headers, body=body, now=time.time())
    except ChannelError as error:  # a bad signature, stale, another merchant's or app's, malformed
        _keep_rejected(channel, headers, body, f"{error.code}: {error.detail}")
        return Heard(False, error.code)
    if not _fits(notify):
        _keep_rejected(channel, headers, body, "malformed: a field longer than we store")
        return Heard(False, "malformed")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        _keep_rejected(channel, headers, body, "malformed: not UTF-8")
        return Heard(False, "malformed")
    received_at = timezone.now()
    kept = channel.notify_headers(headers)
    try:
        if connection.get_autocommit():  # the statement is its own transaction: committed once it returns
            stored = _store(channel_name, kept, text, notify, received_at)
        else:  # inside a caller's transaction: a duplicate must not break it
            with transaction.atomic():
                stored = _store(channel_name, kept, text, notify, received_at)
    except IntegrityError:
        # The same notify again: its first copy is stored, and settled (or will be, by a drain or the sweep).
        _store_duplicate(channel_name, notify.notify_id)
        if channel.settle_before_answer:
            return _settled_first_copy(channel_name, notify.notify_id)
        return Heard(True, "duplicate")
    if stored is None:
        _keep_rejected(channel, headers, body, "unknown order or refund")
        return Heard(False, ORDER_NOT_FOUND)
    if channel.settle_before_answer:
        settled = notification_process(notification_id=stored, received_at=received_at)
        return Heard(True, str(settled))
    transaction.on_commit(lambda: settle_soon(notification_id=stored, received_at=received_at))
    return Heard(True, "accepted")


def _settled_first_copy(channel_name: str, notify_id: str) -> Heard:
    """A channel that waits for the settlement sent the notify again: settle its first copy now if nothing
    has (an earlier attempt failed before answering), and say so only once it is settled."""
    since = timezone.now() - dt.timedelta(days=2 * settings.NOTIFY_DEDUP_DAYS)  # the partitions its guard covers
    first = (
        ChannelNotification.objects.filter(
            channel=channel_name, notify_id=notify_id, duplicate_of__isnull=True, received_at__gte=since
        )
        .only("pk", "received_at", "processed_at")
        .first()
    )
    if first is None:
        return Heard(True, "duplicate")  # archived long ago: settled then
    if first.processed_at is None:
        notification_process(notification_id=first.pk, received_at=first.received_at)
    return Heard(True, "duplicate")


def _fits(notify: ChannelNotify) -> bool:
    return len(notify.notify_id) <= 64 and len(notify.event) <= 40 and len(notify.out_trade_no) <= 32


_STORED_FIELDS = ("channel", "headers", "body", "received_at", "notify_id", "event_type", "out_trade_no", "error")


def _field(name: str) -> models.Field[Any, Any]:
    field = ChannelNotification._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _column(name: str) -> str:
    return connection.ops.quote_name(_field(name).column)


@lru_cache(maxsize=8)
def _store_sql(vendor: str, target_table: str) -> str:
    """INSERT ... SELECT ... WHERE EXISTS: every name from the models, every value a bound parameter."""
    quote = connection.ops.quote_name
    columns = ", ".join(_column(name) for name in (*_STORED_FIELDS, "outcome"))
    values = ", ".join(["%s"] * len(_STORED_FIELDS))
    return (
        f"INSERT INTO {quote(ChannelNotification._meta.db_table)} ({columns}) SELECT {values}, '' "  # noqa: S608
        f"WHERE EXISTS (SELECT 1 FROM {quote(target_table)} WHERE {quote('number')} = %s) "
        f"RETURNING {_column('id')}"
    )


@lru_cache(maxsize=4)
def _duplicate_sql(vendor: str) -> str:
    """The second copy's record, pointing at the first, in one statement (names from the model)."""
    table = connection.ops.quote_name(ChannelNotification._meta.db_table)
    names = ("channel", "headers", "body", "received_at", "event_type", "out_trade_no", "error", "outcome")
    return (
        f"INSERT INTO {table} ({', '.join(_column(name) for name in names)}, {_column('duplicate_of')}) "  # noqa: S608
        f"SELECT %s, %s, '', %s, '', '', '', 'duplicate', {_column('id')} FROM {table} "
        f"WHERE {_column('channel')} = %s AND {_column('notify_id')} = %s AND {_column('received_at')} >= %s "
        f"ORDER BY {_column('id')} LIMIT 1"
    )


def _store(
    channel_name: str, headers: Mapping[str, str], text: str, notify: ChannelNotify, received_at: dt.datetime
) -> int | None:
    """Insert the notify if the order (or refund) it names exists: one statement. Returns the row's id, or
    None for an unknown order. A second copy of a notify id raises IntegrityError (the unique guard)."""
    if notify.kind == "refund" and notify.out_refund_no:
        target, number = OnlineRefund._meta.db_table, notify.out_refund_no
    else:
        target, number = OnlineOrder._meta.db_table, notify.out_trade_no
    values: dict[str, Any] = {
        "channel": channel_name,
        "headers": {name: value.replace("\x00", "\ufffd") for name, value in headers.items()},
        "body": text,
        "received_at": received_at,
        "notify_id": notify.notify_id,
        "event_type": notify.event,
        "out_trade_no": notify.out_trade_no,
        "error": "",
    }
    params = [_field(name).get_db_prep_save(values[name], connection) for name in _STORED_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_store_sql(connection.vendor, target), [*params, number])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _store_duplicate(channel_name: str, notify_id: str) -> None:
    """A record of the second copy, pointing at the first: one statement. The first is looked for in the
    months its guard can still be kept (pruned after ``NOTIFY_DEDUP_DAYS``, daily), so PostgreSQL reads
    only those partitions."""
    now = timezone.now()
    since = now - dt.timedelta(days=2 * settings.NOTIFY_DEDUP_DAYS)
    prep = _field("received_at").get_db_prep_save
    headers = _field("headers").get_db_prep_save({}, connection)
    params = [channel_name, headers, prep(now, connection), channel_name, notify_id, prep(since, connection)]
    with connection.cursor() as cursor:
        cursor.execute(_duplicate_sql(connection.vendor), params)
        found = cursor.rowcount
    if not found:  # the first copy was archived meanwhile: a record all the same
        ChannelNotification.objects.create(channel=channel_name, headers={}, body="", outcome="duplicate")


# --- settling: the queue, the drain, the sweep ------------------------------------------------------------


class SettleQueue(Protocol):
    """Ids of stored notifies to settle, and the "a drain is queued or running" flag."""

    def push(self, item: str) -> bool:
        """Add one; returns True when this call raised the flag (the caller queues a drain)."""
        ...

    def pop(self, count: int) -> list[str]: ...

    def claim(self) -> bool:
        """Raise the flag unless it is up; True if this call raised it."""
        ...

    def hold(self) -> None:
        """Keep the flag up a while longer (a drain at work)."""
        ...

    def release(self) -> None: ...

    def size(self) -> int: ...


class RedisSettleQueue:
    """A Redis list of ``id|received_at`` and a key with an expiry; each push is one round trip."""

    def __init__(self, client: Any, base: str) -> None:
        self.client, self.items, self.flag = client, f"{base}:queue", f"{base}:drain"

    def push(self, item: str) -> bool:
        pipe = self.client.pipeline(transaction=False)
        pipe.rpush(self.items, item)
        pipe.ltrim(self.items, -QUEUE_MAX, -1)
        pipe.set(self.flag, 1, nx=True, ex=DRAIN_HOLD_SECONDS)
        return bool(pipe.execute()[2])

    def pop(self, count: int) -> list[str]:
        items = self.client.lpop(self.items, count) or []
        return [item.decode() if isinstance(item, bytes) else str(item) for item in items]

    def claim(self) -> bool:
        return bool(self.client.set(self.flag, 1, nx=True, ex=DRAIN_HOLD_SECONDS))

    def hold(self) -> None:
        self.client.expire(self.flag, DRAIN_HOLD_SECONDS)

    def release(self) -> None:
        self.client.delete(self.flag)

    def size(self) -> int:
        return int(self.client.llen(self.items))


class LocalSettleQueue:
    """The embedded mode's: tasks run eagerly in this process, so the queue can live here too."""

    def __init__(self) -> None:
        self._items: deque[str] = deque()
        self._held = False
        self._lock = threading.Lock()

    def push(self, item: str) -> bool:
        with self._lock:
            self._items.append(item)
            while len(self._items) > QUEUE_MAX:
                self._items.popleft()
            raised, self._held = not self._held, True
            return raised

    def pop(self, count: int) -> list[str]:
        with self._lock:
            return [self._items.popleft() for _ in range(min(count, len(self._items)))]

    def claim(self) -> bool:
        with self._lock:
            raised, self._held = not self._held, True
            return raised

    def hold(self) -> None:
        pass

    def release(self) -> None:
        with self._lock:
            self._held = False

    def size(self) -> int:
        return len(self._items)


_LOCAL_QUEUE = LocalSettleQueue()


@lru_cache(maxsize=4)
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


def _eager() -> bool:
    from portal.celery import app

    return bool(app.conf.task_always_eager)


def settle_queue() -> SettleQueue | None:
    """Redis (``REDIS_URL``) in production, keyed by database; in-process when tasks run eagerly without
    Redis; None otherwise (each notify then queues a task of its own)."""
    if settings.REDIS_URL:
        prefix = settings.CACHES["default"].get("KEY_PREFIX") or "portal"
        return RedisSettleQueue(
            _redis(settings.REDIS_URL), f"{prefix}:notify-settle:{connection.settings_dict['NAME']}"
        )
    return _LOCAL_QUEUE if _eager() else None


def settle_soon(*, notification_id: int, received_at: dt.datetime) -> None:
    """A stored notify (committed): see that a drain settles it. A failure here loses nothing: the row is
    stored, and beat's sweep settles what no drain did."""
    queue = settle_queue()
    try:
        if queue is None:
            enqueue(Job.PROCESS_NOTIFICATION, notification_id)
            return
        raised = queue.push(f"{notification_id}|{received_at.isoformat()}")
    except Exception:  # Redis or the broker unreachable: the sweep's then
        logger.warning("notify %s stored, not queued for settling; beat's sweep will", notification_id, exc_info=True)
        return
    if raised:
        _queue_drain(queue)


def _queue_drain(queue: SettleQueue) -> None:
    from kombu.exceptions import OperationalError as BrokerError

    try:
        enqueue(Job.DRAIN_NOTIFICATIONS)
    except BrokerError:
        logger.warning("drain not queued (broker); the next notify or beat's sweep will", exc_info=True)
        queue.release()


def notifications_drain(*, helper: bool = False, seconds: float = DRAIN_SECONDS, batch: int = SETTLE_BATCH) -> int:
    """Settle the queued notifies, a batch of ids at a time, each in a transaction of its own; returns how
    many ids were taken. The drain holds the flag: when the queue is empty it lowers it and looks once
    more, so a notify pushed meanwhile is either seen here or queues a drain of its own. After ``seconds``
    it hands over to a fresh task (the flag stays up). A helper only takes ids until the queue is empty."""
    queue = settle_queue()
    if queue is None:
        return 0
    started, taken, helped = time.monotonic(), 0, helper or _eager()
    try:
        while True:
            items = queue.pop(batch)
            if not items:
                if helper:
                    return taken
                queue.release()
                if not queue.size() or not queue.claim():
                    return taken  # nothing left, or a drain queued since holds the flag
                continue
            for item in items:
                _settle_item(item)
            taken += len(items)
            if not helper:
                queue.hold()
            if not helped and queue.size() > batch:
                helped = True
                _queue_helpers()
            if time.monotonic() - started > seconds:
                if not helper:
                    _queue_drain(queue)  # the flag stays up for the next drain
                return taken
    except BaseException:
        if not helper:
            with contextlib.suppress(Exception):
                queue.release()  # the next notify queues a drain; ids taken, not settled, are the sweep's
        raise


def _queue_helpers() -> None:
    for _ in range(DRAIN_HELPERS):
        enqueue(Job.DRAIN_NOTIFICATIONS, helper=True)


def _settle_item(item: str) -> None:
    pk, _, moment = item.partition("|")
    try:
        notification_id, received_at = int(pk), dt.datetime.fromisoformat(moment)
    except ValueError:
        logger.warning("settle queue: not an id %r", item[:80])
        return
    notification_process(notification_id=notification_id, received_at=received_at)


def notification_process(*, notification_id: int, received_at: dt.datetime | None = None) -> Settled:
    """Settle what a stored notify says, once. Safe to run twice or at the same time as the sweep: the
    row is locked (a second runner skips it) and marked processed in the same transaction. With
    ``received_at`` PostgreSQL reads one partition."""
    rows = ChannelNotification.objects.select_for_update(skip_locked=True).filter(
        pk=notification_id, processed_at__isnull=True, duplicate_of__isnull=True, notify_id__isnull=False
    )
    if received_at is not None:
        rows = rows.filter(received_at=received_at)
    with transaction.atomic():
        raw = rows.only("pk", "received_at", "body", "channel").first()
        if raw is None:
            return Settled(Notified.DONE)  # processed, or being processed right now
        try:
            settled = process(get_channel(raw.channel).decode_notify(body=raw.body.encode("utf-8")))
        except (DomainError, ChannelError) as error:
            # Permanent for this notify (e.g. the order changed in a way it cannot settle): kept for staff.
            code = str(getattr(error, "code", "error"))
            settled = Settled(Notified.REFUSED, code)
            ChannelNotification.objects.filter(pk=raw.pk, received_at=raw.received_at).update(
                processed_at=timezone.now(), outcome=str(settled)[:100], error=code[:200]
            )
            metrics.notify_processed(channel=raw.channel, received_at=raw.received_at)
            return settled
        ChannelNotification.objects.filter(pk=raw.pk, received_at=raw.received_at).update(
            processed_at=timezone.now(), outcome=str(settled)[:100]
        )
        metrics.notify_processed(channel=raw.channel, received_at=raw.received_at)
    return settled


def notifications_pending(
    *, older_than: dt.timedelta = dt.timedelta(seconds=30), limit: int = 1000
) -> list[tuple[int, dt.datetime]]:
    """Stored, verified notifies no drain has settled (a worker died, Redis lost its queue), as (id,
    received_at). Looks back ``NOTIFY_DEDUP_DAYS`` (the partitions a sweep reads); a channel stops
    retrying long before."""
    now = timezone.now()
    return list(
        ChannelNotification.objects.filter(
            received_at__gte=now - dt.timedelta(days=settings.NOTIFY_DEDUP_DAYS),
            processed_at__isnull=True,
            duplicate_of__isnull=True,
            notify_id__isnull=False,
            received_at__lt=now - older_than,
        )
        .order_by("id")
        .values_list("pk", "received_at")[:limit]
    )


def notifications_sweep(*, older_than: dt.timedelta = dt.timedelta(seconds=30)) -> int:
    """Beat's safety net: settle stored notifies no drain finished; start a drain if ids wait with none
    queued (one died holding the flag, which then expired). Returns how many it settled."""
    pending = notifications_pending(older_than=older_than)
    for notification_id, received_at in pending:
        notification_process(notification_id=notification_id, received_at=received_at)
    queue = settle_queue()
    try:
        start = queue is not None and queue.size() > 0 and queue.claim()
    except Exception:  # Redis unreachable: the next sweep tries again
        logger.warning("settle queue unreachable from the sweep", exc_info=True)
        start = False
    if queue is not None and start:
        _queue_drain(queue)
    return len(pending)


def process(notify: ChannelNotify) -> Settled:
    if notify.kind == "transaction":
        if notify.trade_state != TradeState.PAID:
            return Settled(Notified.IGNORED, str(notify.trade_state))
        return Settled(
            cash_confirmed(
                order_number=notify.out_trade_no,
                transaction_id=notify.transaction_id or "",
                amount_fen=notify.amount_fen or 0,
                source="notify",
            )
        )
    if notify.refund_state == RefundState.SUCCEEDED and notify.out_refund_no:
        return Settled(cash_refund_confirmed(out_refund_no=notify.out_refund_no, refund_id="", source="notify"))
    return Settled(Notified.IGNORED, str(notify.refund_state))


def headers_from_meta(meta: Mapping[str, object]) -> dict[str, str]:
    """Django's META back to real header names (Wechatpay-Signature, ...)."""
    out = {}
    for key, value in meta.items():
        if key.startswith("HTTP_"):
            out["-".join(part.capitalize() for part in key[5:].split("_"))] = str(value)
    return out
