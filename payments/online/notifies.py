"""Notifies from the payment channel: verified, stored raw, acknowledged; then processed by a task.

A notify is a hint, never the truth by itself: its signature and freshness are checked, then the
business fields (our merchant, our app, our order, our amount). Processing is idempotent and runs once
per stored notify (row lock, marked in the same transaction); the unique notify id answers duplicates at
once; beat's sweep finishes any stored notify whose task never ran.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.channels.base import ChannelError, ChannelNotify
from payments.online.models import ChannelNotification, OnlineOrder, OnlineRefund
from payments.online.orders import ORDER_NOT_FOUND, _channel, cash_confirmed
from payments.online.refunds import cash_refund_confirmed
from portal import ratelimit
from portal.errors import DomainError

logger = logging.getLogger(__name__)


REJECTED_KEPT_PER_HOUR = 100  # rejected notifies kept (truncated) for staff; beyond that only counted in the log
REJECTED_BODY_CHARS = 512


def _keep_rejected(channel_name: str, headers: Mapping[str, str], body: bytes, error: str) -> None:
    """A small, capped record of a notify that failed verification: the first bytes, the reason."""
    kept, _ = ratelimit.hit(f"notify-rejected:{channel_name}", period=3600)
    if kept > REJECTED_KEPT_PER_HOUR:
        logger.warning("notify rejected (not kept, over %s an hour): %s", REJECTED_KEPT_PER_HOUR, error[:80])
        return
    wanted = {k: v[:200] for k, v in headers.items() if k.lower().startswith("wechatpay-")}
    ChannelNotification.objects.create(
        channel=channel_name,
        headers=wanted,
        body=body[:REJECTED_BODY_CHARS].decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        error=error[:200],
    )


def notify_receive(*, channel_name: str, headers: Mapping[str, str], body: bytes) -> tuple[bool, str]:
    """Returns (acknowledge?, what happened). Not acknowledging makes the channel retry later.

    Acknowledged fast: a notify is verified (signature, freshness, our merchant and app, an order or
    refund we know), stored raw, and answered; settling it is a task queued when the row commits
    (``payments.online.process_notification``). A notify is never lost between the two: the row is
    committed before the answer, and beat's sweep processes any stored row no task finished. A rejected
    notify leaves a small capped record. Any refusal is an answer, never an exception.
    """
    channel = _channel()
    try:
        notify = channel.parse_notify(headers=headers, body=body, now=time.time())
    except ChannelError as error:
        _keep_rejected(channel_name, headers, body, f"{error.code}: {error.detail}")
        return False, error.code
    if notify.mchid != channel.mchid or (notify.appid is not None and notify.appid != channel.appid):
        _keep_rejected(channel_name, headers, body, "not our merchant or app")
        return False, "foreign"
    if not _known(notify):
        _keep_rejected(channel_name, headers, body, "unknown order or refund")
        return False, ORDER_NOT_FOUND
    try:
        with transaction.atomic():
            raw = ChannelNotification.objects.create(
                channel=channel_name,
                headers=dict(headers),
                body=body.decode("utf-8"),
                notify_id=notify.notify_id,
                event_type=notify.event_type,
                out_trade_no=notify.out_trade_no,
            )
            transaction.on_commit(lambda: _process_later(raw.pk))
    except IntegrityError:
        # The same notify again: its first copy is stored, and processed (or will be, by its task or the sweep).
        first = ChannelNotification.objects.only("pk").get(channel=channel_name, notify_id=notify.notify_id)
        ChannelNotification.objects.create(
            channel=channel_name, headers={}, body="", duplicate_of=first, outcome="duplicate"
        )
        return True, "duplicate"
    return True, "accepted"


def _known(notify: ChannelNotify) -> bool:
    if notify.kind == "refund" and notify.out_refund_no:
        return OnlineRefund.objects.filter(number=notify.out_refund_no).exists()
    return OnlineOrder.objects.filter(number=notify.out_trade_no).exists()


def _process_later(notification_id: int) -> None:
    from payments.online.tasks import process_notification

    process_notification.delay(notification_id)


def notification_process(*, notification_id: int) -> str:
    """Settle what a stored notify says, once. Safe to run twice or at the same time as the sweep: the
    row is locked (a second runner skips it) and marked processed in the same transaction."""
    with transaction.atomic():
        raw = (
            ChannelNotification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, processed_at__isnull=True, duplicate_of__isnull=True, notify_id__isnull=False)
            .first()
        )
        if raw is None:
            return "done"  # processed, or being processed right now
        try:
            outcome = process(_channel().decode_notify(body=raw.body.encode("utf-8")))
        except (DomainError, ChannelError) as error:
            # Permanent for this notify (e.g. the order changed in a way it cannot settle): kept for staff.
            code = getattr(error, "code", "error")
            ChannelNotification.objects.filter(pk=raw.pk, received_at=raw.received_at).update(
                processed_at=timezone.now(), outcome=f"refused: {code}"[:100], error=str(code)[:200]
            )
            return f"refused: {code}"
        ChannelNotification.objects.filter(pk=raw.pk, received_at=raw.received_at).update(
            processed_at=timezone.now(), outcome=outcome[:100]
        )
    return outcome


def notifications_pending(*, older_than: dt.timedelta = dt.timedelta(seconds=30), limit: int = 1000) -> list[int]:
    """Stored, verified notifies no task has finished (a worker died, the broker lost the task). Looks
    back ``NOTIFY_DEDUP_DAYS`` (the partitions a sweep reads); a channel stops retrying long before."""
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
        .values_list("pk", flat=True)[:limit]
    )


def process(notify: ChannelNotify) -> str:
    if notify.kind == "transaction":
        if notify.trade_state != "SUCCESS":
            return f"ignored {notify.trade_state}"
        return cash_confirmed(
            order_number=notify.out_trade_no,
            transaction_id=notify.transaction_id or "",
            amount_fen=notify.amount_fen or 0,
            source="notify",
        )
    if notify.refund_status == "SUCCESS" and notify.out_refund_no:
        return cash_refund_confirmed(out_refund_no=notify.out_refund_no, refund_id="", source="notify")
    return f"ignored {notify.refund_status}"


def headers_from_meta(meta: Mapping[str, object]) -> dict[str, str]:
    """Django's META back to real header names (Wechatpay-Signature, ...)."""
    out = {}
    for key, value in meta.items():
        if key.startswith("HTTP_"):
            out["-".join(part.capitalize() for part in key[5:].split("_"))] = str(value)
    return out
