"""Cash payment channels behind one interface (WeChat Pay v3 now; Alipay or others later).

Amounts are integer fen. A channel never decides business outcomes: it reports what the channel says,
verified. Callers (payments.online) decide what to do with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

TradeState = Literal["SUCCESS", "NOTPAY", "CLOSED", "REFUND", "USERPAYING", "PAYERROR", "REVOKED"]
RefundStatus = Literal["PROCESSING", "SUCCESS", "ABNORMAL", "CLOSED"]


class ChannelError(Exception):
    """A call the channel refused or that could not be completed.

    ``code`` is stable: ``timeout`` and ``unavailable`` are worth retrying; ``bad_signature`` (a response
    or notify that does not verify), ``stale`` (a notify outside the freshness window), ``malformed``,
    ``not_found`` and ``refused`` (the channel's own business error, ``detail`` has its code) are not.
    """

    def __init__(self, code: str, detail: str = "", *, retryable: bool = False) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.retryable = retryable


@dataclass(frozen=True)
class ChannelOrder:
    out_trade_no: str
    prepay_id: str | None = None  # JSAPI
    h5_url: str | None = None  # H5: where the payer's browser goes to pay


@dataclass(frozen=True)
class ChannelTrade:
    out_trade_no: str
    trade_state: TradeState
    transaction_id: str | None
    amount_fen: int  # the order total
    payer_total_fen: int | None = None
    success_time: dt.datetime | None = None


@dataclass(frozen=True)
class ChannelRefund:
    out_refund_no: str
    out_trade_no: str
    refund_id: str | None
    status: RefundStatus
    refund_fen: int


@dataclass(frozen=True)
class ChannelNotify:
    """A verified, decrypted notify. ``kind`` is ``transaction`` or ``refund``."""

    notify_id: str
    event_type: str  # e.g. TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL
    kind: Literal["transaction", "refund"]
    mchid: str
    appid: str | None
    out_trade_no: str
    transaction_id: str | None
    trade_state: str | None
    amount_fen: int | None
    out_refund_no: str | None = None
    refund_status: str | None = None
    refund_fen: int | None = None


@dataclass(frozen=True)
class BillRow:
    """One line of the channel's daily trade bill."""

    trade_time: dt.datetime
    out_trade_no: str
    transaction_id: str
    trade_state: str  # SUCCESS or REFUND
    amount_fen: int  # the payment's amount (for a REFUND row: the order total)
    refund_fen: int = 0
    out_refund_no: str = ""


class CashChannel(Protocol):
    name: str
    mchid: str
    appid: str

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        notify_url: str,
        expires_at: dt.datetime,
        scene: Literal["jsapi", "h5"] = "h5",
        payer_openid: str | None = None,
        client_ip: str = "127.0.0.1",
    ) -> ChannelOrder: ...

    def query_order(self, *, out_trade_no: str) -> ChannelTrade: ...

    def close_order(self, *, out_trade_no: str) -> None: ...

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str, notify_url: str
    ) -> ChannelRefund: ...

    def query_refund(self, *, out_refund_no: str) -> ChannelRefund: ...

    def trade_bill(self, *, bill_date: dt.date) -> list[BillRow]: ...

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes, now: float) -> ChannelNotify:
        """Verify (signature, freshness) and decode a notify; raises ChannelError."""
        ...

    def decode_notify(self, *, body: bytes) -> ChannelNotify:
        """Decode a notify verified earlier (stored raw): no signature or freshness check."""
        ...
