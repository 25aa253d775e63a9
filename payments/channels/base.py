"""Cash payment channels behind one neutral interface: WeChat Pay (v3) and Alipay (OpenAPI, RSA2).

Amounts are integer fen. A channel never decides business outcomes: it reports what the channel says,
verified, in the project's own terms (:class:`TradeState`, :class:`RefundState`). Callers
(payments.online) decide what to do with it. Each channel maps its own states in its adapter:

========================  =====================================  ==========================================
TradeState                WeChat Pay v3 ``trade_state``           Alipay ``trade_status``
========================  =====================================  ==========================================
``waiting``               NOTPAY, USERPAYING                      WAIT_BUYER_PAY
``paid``                  SUCCESS                                 TRADE_SUCCESS, TRADE_FINISHED
``closed``                CLOSED, REVOKED                         TRADE_CLOSED (never paid)
``refunded``              REFUND (paid, then refunded)            TRADE_CLOSED after a full refund
``failed``                PAYERROR                                (none)
========================  =====================================  ==========================================

RefundState: ``processing`` (WeChat PROCESSING; Alipay: accepted, not yet confirmed), ``succeeded``
(SUCCESS; REFUND_SUCCESS), ``failed`` (ABNORMAL; a refused refund), ``closed`` (CLOSED).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol


class TradeState(StrEnum):
    WAITING = "waiting"
    PAID = "paid"
    CLOSED = "closed"
    REFUNDED = "refunded"
    FAILED = "failed"


class RefundState(StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CLOSED = "closed"


class ChannelError(Exception):
    """A call the channel refused or that could not be completed.

    ``code`` is stable: ``timeout`` and ``unavailable`` are worth retrying; ``bad_signature`` (a response
    or notify that does not verify), ``stale`` (a notify outside the freshness window), ``foreign`` (a
    notify for another merchant or app), ``malformed``, ``not_found`` and ``refused`` (the channel's own
    business error, ``detail`` has its code) are not.
    """

    def __init__(self, code: str, detail: str = "", *, retryable: bool = False) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.retryable = retryable


@dataclass(frozen=True)
class ChannelOrder:
    out_trade_no: str
    h5_url: str  # where the payer's mobile browser goes to pay (WeChat H5 / Alipay wap)


@dataclass(frozen=True)
class ChannelTrade:
    out_trade_no: str
    state: TradeState
    transaction_id: str | None  # the channel's trade number (WeChat transaction_id, Alipay trade_no)
    amount_fen: int  # the order total
    payer_total_fen: int | None = None
    success_time: dt.datetime | None = None


@dataclass(frozen=True)
class ChannelRefund:
    out_refund_no: str
    out_trade_no: str
    refund_id: str | None
    state: RefundState
    refund_fen: int


@dataclass(frozen=True)
class ChannelNotify:
    """A verified, decoded notify. ``kind`` is ``transaction`` or ``refund``; ``event`` is the channel's own
    name for it (TRANSACTION.SUCCESS, REFUND.SUCCESS, trade_status_sync, ...), kept for the record."""

    notify_id: str
    event: str
    kind: Literal["transaction", "refund"]
    out_trade_no: str
    transaction_id: str | None
    trade_state: TradeState | None
    amount_fen: int | None
    out_refund_no: str | None = None
    refund_state: RefundState | None = None
    refund_fen: int | None = None


@dataclass(frozen=True)
class BillRow:
    """One line of the channel's daily trade bill."""

    trade_time: dt.datetime
    kind: Literal["payment", "refund"]
    out_trade_no: str
    transaction_id: str
    amount_fen: int  # the payment's amount (for a refund row: the order total)
    refund_fen: int = 0
    out_refund_no: str = ""


@dataclass(frozen=True)
class NotifyAnswer:
    """What the channel expects back from our notify endpoint."""

    status: int
    content_type: str
    body: bytes


class CashChannel(Protocol):
    name: str  # "wechatpay" or "alipay": stored on every order, refund, notify and reconciliation run
    settle_before_answer: bool  # Alipay: answer "success" only once the notify is stored *and* processed

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        notify_url: str,
        expires_at: dt.datetime,
        client_ip: str = "127.0.0.1",
    ) -> ChannelOrder: ...

    def query_order(self, *, out_trade_no: str) -> ChannelTrade: ...

    def close_order(self, *, out_trade_no: str) -> None:
        """Close an unpaid trade; ``ChannelError("paid")`` if it was paid meanwhile."""
        ...

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str, notify_url: str
    ) -> ChannelRefund: ...

    def query_refund(self, *, out_refund_no: str, out_trade_no: str) -> ChannelRefund: ...

    def trade_bill(self, *, bill_date: dt.date) -> list[BillRow]: ...

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes, now: float) -> ChannelNotify:
        """Verify (signature, freshness, our merchant and app) and decode a notify; raises ChannelError."""
        ...

    def decode_notify(self, *, body: bytes) -> ChannelNotify:
        """Decode a notify verified earlier (stored raw): no signature or freshness check."""
        ...

    def notify_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers of a notify worth keeping with its raw body (those its signature covers)."""
        ...

    def notify_answer(self, *, accepted: bool, message: str = "", status: int | None = None) -> NotifyAnswer:
        """The answer the channel expects: accepted (stop retrying), or refused with ``status`` (retry)."""
        ...
