"""The Alipay stand-in's state: its keys, trades and refunds in memory, the notify queue, and the controls.

``StandInState`` is the base of ``AlipayStandIn``: it holds what the stand-in knows, plays the payer and the
refund processor, and sends ``trade_status_sync`` notifies the way Alipay does (form-encoded, RSA2-signed,
retried until the answer is ``success``), or misbehaves on purpose when told to. The control names are the
WeChat Pay stand-in's (``payments.channels.wechatpay.standin``) so that a test can drive either. Answering requests is
``api.StandInApi``'s job, serving them ``server.AlipayStandIn``'s.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from abc import abstractmethod
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa

from payments.channels.alipay.protocol import (
    FORM_CONTENT_TYPE,
    beijing,
    load_private_key,
    load_public_key,
    notify_content,
    rsa2_sign,
)
from payments.channels.alipay.standin.records import (
    PAID,
    Notify,
    StandInError,
    StandInRefund,
    StandInTrade,
    expire,
    new_notify_id,
    new_trade_no,
    notify_params,
    now,
)
from payments.channels.standin_kit import StandInKit, post_notify


class StandInState(StandInKit[StandInTrade, StandInRefund, Notify]):
    """The stand-in's memory and controls; ``AlipayStandIn`` adds the gateway and the HTTP server."""

    def __init__(
        self,
        *,
        app_id: str,
        app_public_key_pem: bytes,
        alipay_private_key_pem: bytes,
        seller_id: str = "2088102177649450",
        merchant_name: str = "开发测试商户",
        auto_refund_seconds: float | None = 0,
        retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0),
        verbose: bool = False,
    ) -> None:
        """``auto_refund_seconds``: 0 refunds at once (``fund_change=Y``); a delay leaves them processing that
        long; None until ``complete_refund``/``fail_refund``. ``retry_delays``: Alipay's notify schedule
        (4m, 10m, 10m, 1h, 2h, 6h, 15h), compressed."""
        self._init_kit(auto_refund_seconds=auto_refund_seconds, retry_delays=retry_delays, verbose=verbose)
        self.app_id, self.seller_id, self.merchant_name = app_id, seller_id, merchant_name
        self._app_key = load_public_key(app_public_key_pem)
        self._alipay_key = load_private_key(alipay_private_key_pem)
        self._forge_answers = self._fail = 0
        self._fail_sub_code = "ACQ.SYSTEM_ERROR"

    def _now(self) -> dt.datetime:
        return now()

    def _expire(self, order: StandInTrade, moment: dt.datetime) -> None:
        expire(order, moment)

    # -- controls: the payer, the refund processor

    @abstractmethod
    def open_order(self, h5_url: str) -> StandInTrade:
        """The payer opens the wap URL (as the pay page does): the signed request becomes a trade. The
        request rules are the gateway's (``api.StandInApi``)."""

    def pay(self, out_trade_no: str, h5_url: str = "") -> StandInTrade:
        """The payer pays (as the page's button does): TRADE_SUCCESS, and a notify. A trade not opened yet
        needs its ``h5_url`` (opened first): the wap order exists at Alipay only once the payer opens it."""
        with self._lock:
            opened = out_trade_no in self._orders
        if h5_url and not opened:
            self.open_order(h5_url)
        with self._lock:
            trade = self._orders.get(out_trade_no)
            if trade is None:
                raise StandInError("ACQ.TRADE_NOT_EXIST", "交易不存在", status=404)
            moment = now()
            expire(trade, moment)
            if trade.trade_status in PAID:
                return dataclasses.replace(trade)
            if trade.trade_status != "WAIT_BUYER_PAY":
                raise StandInError("ACQ.TRADE_HAS_CLOSE", "交易已关闭")
            trade.trade_status, trade.gmt_payment = "TRADE_SUCCESS", moment
            notify = self._notify(trade, None)
            paid = dataclasses.replace(trade)
        self._emit(notify)
        return paid

    def complete_refund(self, out_refund_no: str) -> StandInRefund:
        """A processing refund succeeds (REFUND_SUCCESS), with its notify."""
        with self._lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise StandInError("ACQ.TRADE_NOT_EXIST", "退款不存在", status=404)
            if refund.status != "PROCESSING":
                return dataclasses.replace(refund)
            trade = self._orders[refund.out_trade_no]
            refund.status, refund.gmt_refund = "REFUND_SUCCESS", now()
            if trade.refunded >= trade.total:
                trade.trade_status, trade.gmt_close = "TRADE_CLOSED", refund.gmt_refund
            notify = self._notify(trade, refund)
            done = dataclasses.replace(refund)
        self._emit(notify)
        return done

    def fail_refund(self, out_refund_no: str) -> StandInRefund:
        """A processing refund fails: Alipay forgets it (its query answers without it, so the merchant may
        send it again with the same number), and no notify is sent."""
        with self._lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise StandInError("ACQ.TRADE_NOT_EXIST", "退款不存在", status=404)
            if refund.status != "PROCESSING":
                raise StandInError("ACQ.TRADE_STATUS_ERROR", "退款已成功")
            del self._refunds[out_refund_no]
            self._orders[refund.out_trade_no].refunded -= refund.refund
            return dataclasses.replace(refund)

    # -- controls: notify misbehaviour (the rest is ``StandInKit``'s)

    def send_forged_notify(self, notify_url: str, out_trade_no: str, amount_fen: int) -> int | None:
        """A TRADE_SUCCESS notify signed with another key; the answer's HTTP status."""
        return self._send_once(notify_url, out_trade_no, amount_fen, "forged", key=self._forger())

    def send_stale_notify(self, notify_url: str, out_trade_no: str, amount_fen: int) -> int | None:
        """A correctly signed TRADE_SUCCESS notify whose notify_time is 10 minutes old; the answer's status."""
        return self._send_once(notify_url, out_trade_no, amount_fen, "stale", sent=now() - dt.timedelta(minutes=10))

    def send_foreign_notify(self, notify_url: str, out_trade_no: str, amount_fen: int) -> int | None:
        """A correctly signed TRADE_SUCCESS notify for another app_id; the answer's status."""
        return self._send_once(notify_url, out_trade_no, amount_fen, "foreign", app_id="2021000000000000")

    # -- controls: API misbehaviour

    def fail_next_requests(self, n: int, sub_code: str = "ACQ.SYSTEM_ERROR") -> None:
        """The next ``n`` gateway requests are answered ``40004``/``sub_code`` (signed) without effect."""
        with self._lock:
            self._fail, self._fail_sub_code = n, sub_code

    def forge_next_answers(self, n: int = 1) -> None:
        """The next ``n`` gateway answers are signed with another key (after taking effect)."""
        with self._lock:
            self._forge_answers = n

    def backdate(self, delta: dt.timedelta, out_trade_nos: list[str]) -> None:
        """These trades were made, paid and refunded ``delta`` earlier (a day passes: yesterday's bill)."""
        with self._lock:
            for trade in (self._orders[no] for no in out_trade_nos):
                trade.gmt_create -= delta
                if trade.gmt_payment is not None:
                    trade.gmt_payment -= delta
                if trade.gmt_close is not None:
                    trade.gmt_close -= delta
            for refund in self._refunds.values():
                if refund.out_trade_no in out_trade_nos and refund.gmt_refund is not None:
                    refund.gmt_refund -= delta

    # -- trades

    def _open(self, params: dict[str, Any]) -> StandInTrade:
        """A trade from a verified wap pay request (``api.wap_params``); the same request again is the same
        trade; the same out_trade_no with other terms is refused."""
        with self._lock:
            trade = self._orders.get(params["out_trade_no"])
            if trade is not None:
                expire(trade, now())
                if (trade.total, trade.subject) != (params["total"], params["subject"]):
                    raise StandInError("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
                return dataclasses.replace(trade)
            moment = now()
            trade = StandInTrade(
                out_trade_no=params["out_trade_no"],
                trade_no=new_trade_no(moment),
                subject=params["subject"],
                total=params["total"],
                notify_url=params["notify_url"],
                return_url=params["return_url"],
                time_expire=params["time_expire"],
                gmt_create=moment,
            )
            expire(trade, moment)
            if trade.trade_status != "WAIT_BUYER_PAY":
                raise StandInError("ACQ.TRADE_HAS_CLOSE", "交易已超时关闭")
            self._orders[trade.out_trade_no] = trade
            return dataclasses.replace(trade)

    def _auto_complete(self, out_refund_no: str) -> None:
        if not self._stopped.is_set():
            with contextlib.suppress(StandInError):  # failed meanwhile
                self.complete_refund(out_refund_no)

    # -- notifies

    def _notify(self, trade: StandInTrade, refund: StandInRefund | None) -> Notify | None:
        """The notify for a trade's change; None if the trade has no notify URL."""
        if not trade.notify_url:
            return None
        params = notify_params(
            app_id=self.app_id, seller_id=self.seller_id, trade=trade, notify_id=new_notify_id(now()), refund=refund
        )
        return Notify(trade.notify_url, params, trade.out_trade_no, refund.out_request_no if refund else "")

    def _attempt(self, notify: Notify) -> tuple[int | None, bytes, str | None]:
        """Each attempt signed afresh with its own notify_time (the notify_id stays), as Alipay does."""
        return post_notify(notify.url, self._signed_form(notify.params, self._alipay_key, now()), _HEADERS)

    def _accepted(self, status: int | None, answer: bytes) -> bool:
        return status == 200 and answer == b"success"

    def _signed_form(self, params: dict[str, str], key: rsa.RSAPrivateKey, sent: dt.datetime) -> bytes:
        form = {**params, "notify_time": beijing(sent)}
        form["sign"] = rsa2_sign(key, notify_content(form))
        return urlencode(form).encode()

    def _send_once(
        self,
        url: str,
        out_trade_no: str,
        amount_fen: int,
        kind: str,
        *,
        key: rsa.RSAPrivateKey | None = None,
        sent: dt.datetime | None = None,
        app_id: str | None = None,
    ) -> int | None:
        moment = now()
        trade = StandInTrade(
            out_trade_no=out_trade_no,
            trade_no=new_trade_no(moment),
            subject="",
            total=amount_fen,
            notify_url=url,
            return_url="",
            time_expire=None,
            gmt_create=moment,
            trade_status="TRADE_SUCCESS",
            gmt_payment=moment,
        )
        params = notify_params(
            app_id=app_id or self.app_id,
            seller_id=self.seller_id,
            trade=trade,
            notify_id=new_notify_id(moment),
            refund=None,
        )
        notify = Notify(url, params, out_trade_no)
        body = self._signed_form(params, key or self._alipay_key, sent or moment)
        status, answer, error = post_notify(url, body, _HEADERS)
        self._record(notify, kind, 1, status, error, answer)
        return status

    def _log_fields(self, notify: Notify, answer: bytes | None) -> dict[str, Any]:
        return {
            "notify_id": notify.notify_id,
            "event_type": f"trade_status_sync:{notify.trade_status}",
            "out_trade_no": notify.out_trade_no,
            "out_refund_no": notify.out_refund_no,
            "url": notify.url,
            "answer": (answer or b"")[:40].decode("utf-8", "replace"),
        }


_HEADERS = {"Content-Type": FORM_CONTENT_TYPE, "User-Agent": "Mozilla/4.0 (Alipay stand-in)"}
