"""Notifies from the payment channel: stored raw first, verified, deduplicated, processed, then marked.

A notify is a hint, never the truth by itself: its signature and freshness are checked, then the
business fields (our merchant, our app, our order, our amount). Processing is idempotent, so a notify
processed twice (a retry after a crash) does no harm; the unique notify id answers duplicates at once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.channels.base import ChannelError, ChannelNotify
from payments.online.models import ChannelNotification
from payments.online.orders import _channel, cash_confirmed
from payments.online.refunds import cash_refund_confirmed


def notify_receive(*, channel_name: str, headers: Mapping[str, str], body: bytes) -> tuple[bool, str]:
    """Returns (acknowledge?, what happened). Not acknowledging makes the channel retry later."""
    raw = ChannelNotification.objects.create(
        channel=channel_name, headers=dict(headers), body=body.decode("utf-8", errors="replace")
    )
    channel = _channel()
    try:
        notify = channel.parse_notify(headers=headers, body=body, now=time.time())
    except ChannelError as error:
        ChannelNotification.objects.filter(pk=raw.pk).update(error=f"{error.code}: {error.detail}"[:200])
        return False, error.code
    if notify.mchid != channel.mchid or (notify.appid is not None and notify.appid != channel.appid):
        ChannelNotification.objects.filter(pk=raw.pk).update(error="not our merchant or app")
        return False, "foreign"
    try:
        with transaction.atomic():
            ChannelNotification.objects.filter(pk=raw.pk).update(
                notify_id=notify.notify_id, event_type=notify.event_type, out_trade_no=notify.out_trade_no
            )
    except IntegrityError:
        first = ChannelNotification.objects.get(channel=channel_name, notify_id=notify.notify_id)
        ChannelNotification.objects.filter(pk=raw.pk).update(duplicate_of=first, outcome="duplicate")
        if first.processed_at is not None:
            return True, "duplicate"
        raw = first  # the first copy was stored but never finished: finish it now
    outcome = process(notify)
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
