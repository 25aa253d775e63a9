"""Notifies from the payment channel: stored raw first, verified, deduplicated, processed, then marked.

A notify is a hint, never the truth by itself: its signature and freshness are checked, then the
business fields (our merchant, our app, our order, our amount). Processing is idempotent, so a notify
processed twice (a retry after a crash) does no harm; the unique notify id answers duplicates at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.channels.base import ChannelError, ChannelNotify
from payments.online.models import ChannelNotification
from payments.online.orders import _channel, cash_confirmed
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

    Verified first: only a notify the channel really signed is stored whole (then processed, then marked
    done); a rejected one leaves a small capped record. Any refusal is an answer, never an exception.
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
    except IntegrityError:
        first = ChannelNotification.objects.get(channel=channel_name, notify_id=notify.notify_id)
        ChannelNotification.objects.create(
            channel=channel_name, headers={}, body="", duplicate_of=first, outcome="duplicate"
        )
        if first.processed_at is not None:
            return True, "duplicate"
        raw = first  # the first copy was stored but never finished: finish it now
    try:
        outcome = process(notify)
    except DomainError as error:  # e.g. an order we do not know: kept for staff, not acknowledged
        ChannelNotification.objects.filter(pk=raw.pk).update(error=f"{error.code}"[:200])
        return False, error.code
    ChannelNotification.objects.filter(pk=raw.pk).update(processed_at=timezone.now(), outcome=outcome[:100])
    return True, outcome


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
