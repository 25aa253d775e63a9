"""The stand-in's state: its keys, orders and refunds in memory, the notify queue, and the test/demo controls.

``StandInState`` is the base of ``WeChatPayStandIn``: it holds what the stand-in knows, plays the payer and
the refund processor, and sends notifies the way WeChat does (signed, encrypted, retried), or misbehaves on
purpose when told to. Answering requests is ``api.StandInApi``'s job, serving them ``server.WeChatPayStandIn``'s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from payments.channels.standin_kit import StandInKit, post_notify
from payments.channels.wechatpay.client import load_private_key, load_public_key, platform_headers
from payments.channels.wechatpay.standin.records import (
    _PAID,
    StandInError,
    StandInOrder,
    StandInRefund,
    _envelope,
    _expire,
    _Notify,
    _now,
    _refund_resource,
    _transaction,
)


class StandInState(StandInKit[StandInOrder, StandInRefund, _Notify]):
    """The stand-in's memory and controls; ``WeChatPayStandIn`` adds the endpoints and the HTTP server."""

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        merchant_public_key_pem: bytes,
        platform_private_key_pem: bytes,
        platform_serial: str,
        apiv3_key: bytes,
        merchant_serial: str | None = None,
        merchant_name: str = "开发测试商户",
        auto_refund_seconds: float | None = 0,
        retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0),
        verbose: bool = False,
    ) -> None:
        """``auto_refund_seconds=None``: refunds stay PROCESSING until ``complete_refund``/``fail_refund``."""
        if len(apiv3_key) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        self._init_kit(auto_refund_seconds=auto_refund_seconds, retry_delays=retry_delays, verbose=verbose)
        self.mchid, self.appid, self.merchant_name = mchid, appid, merchant_name
        self.platform_serial, self.merchant_serial = platform_serial, merchant_serial
        self._merchant_key = load_public_key(merchant_public_key_pem)
        self._platform_key = load_private_key(platform_private_key_pem)
        self._apiv3_key = apiv3_key

    def _now(self) -> dt.datetime:
        return _now()

    def _expire(self, order: StandInOrder, moment: dt.datetime) -> None:
        _expire(order, moment)

    # -- controls: the payer, the refund processor

    def pay(self, out_trade_no: str) -> StandInOrder:
        """The payer pays (as the H5 button does): SUCCESS, a transaction id, and a TRANSACTION.SUCCESS notify."""
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                raise StandInError("ORDER_NOT_EXIST", "订单不存在", 404)
            now = _now()
            _expire(order, now)
            if order.trade_state == "CLOSED":
                raise StandInError("ORDER_CLOSED", "订单已关闭")
            if order.trade_state in _PAID:
                return dataclasses.replace(order)
            order.trade_state, order.success_time = "SUCCESS", now
            order.transaction_id = f"4200{now:%Y%m%d}{secrets.randbelow(10**16):016d}"
            notify = self._notify(order.notify_url, "TRANSACTION.SUCCESS", "支付成功", "transaction", order, None)
            paid = dataclasses.replace(order)
        self._emit(notify)
        return paid

    def complete_refund(self, out_refund_no: str) -> StandInRefund:
        """A PROCESSING refund succeeds, with a REFUND.SUCCESS notify."""
        return self._finish_refund(out_refund_no, "SUCCESS")

    def fail_refund(self, out_refund_no: str) -> StandInRefund:
        """A PROCESSING refund fails (e.g. the payer's card is gone), with a REFUND.ABNORMAL notify."""
        return self._finish_refund(out_refund_no, "ABNORMAL")

    # -- controls: notify misbehaviour (the rest is ``StandInKit``'s)

    def send_forged_notify(self, notify_url: str, out_trade_no: str, amount_fen: int) -> int | None:
        """A TRANSACTION.SUCCESS signed with another key (correctly encrypted); the answer's status."""
        return self._send_once(notify_url, out_trade_no, amount_fen, "forged", self._forger(), None)

    def send_stale_notify(self, notify_url: str, out_trade_no: str, amount_fen: int) -> int | None:
        """A correctly signed TRANSACTION.SUCCESS whose timestamp is 10 minutes old; the answer's status."""
        return self._send_once(
            notify_url, out_trade_no, amount_fen, "stale", self._platform_key, int(time.time()) - 600
        )

    # -- controls: time

    def backdate(self, delta: dt.timedelta, out_trade_nos: list[str]) -> None:
        """These orders were paid, and their refunds made, ``delta`` earlier (a day passes: yesterday's bill)."""
        with self._lock:
            for order in (self._orders[no] for no in out_trade_nos):
                if order.success_time is not None:
                    order.success_time -= delta
            for refund in self._refunds.values():
                if refund.out_trade_no in out_trade_nos and refund.success_time is not None:
                    refund.success_time -= delta

    # -- refunds

    def _auto_complete(self, out_refund_no: str) -> None:
        if not self._stopped.is_set():
            self._finish_refund(out_refund_no, "SUCCESS")

    def _finish_refund(self, out_refund_no: str, status: str) -> StandInRefund:
        with self._lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise StandInError("RESOURCE_NOT_EXISTS", "退款单不存在", 404)
            if refund.status != "PROCESSING":
                return dataclasses.replace(refund)
            order = self._orders[refund.out_trade_no]
            refund.status = status
            if status == "SUCCESS":
                refund.success_time = _now()
            else:
                order.refunded -= refund.refund
            summary = "退款成功" if status == "SUCCESS" else "退款异常"
            notify = (
                self._notify(refund.notify_url, f"REFUND.{status}", summary, "refund", order, refund)
                if refund.notify_url
                else None
            )
            done = dataclasses.replace(refund)
        if notify is not None:
            self._emit(notify)
        return done

    # -- notifies

    def _notify(
        self, url: str, event_type: str, summary: str, kind: str, order: StandInOrder, refund: StandInRefund | None
    ) -> _Notify:
        resource = _transaction(order) if refund is None else _refund_resource(refund, order)
        body = _envelope(self._apiv3_key, event_type, summary, kind, resource)
        return _Notify(
            url, body, json.loads(body)["id"], event_type, order.out_trade_no, refund.out_refund_no if refund else ""
        )

    def _send_once(
        self, url: str, out_trade_no: str, amount_fen: int, kind: str, key: rsa.RSAPrivateKey, timestamp: int | None
    ) -> int | None:
        now = _now()
        order = StandInOrder(
            out_trade_no=out_trade_no,
            appid=self.appid,
            mchid=self.mchid,
            description="",
            total=amount_fen,
            notify_url=url,
            trade_type="MWEB",
            time_expire=None,
            prepay_id="",
            trade_state="SUCCESS",
            success_time=now,
            transaction_id=f"4200{now:%Y%m%d}{secrets.randbelow(10**16):016d}",
        )
        body = _envelope(self._apiv3_key, "TRANSACTION.SUCCESS", "支付成功", "transaction", _transaction(order))
        notify = _Notify(
            url=url,
            body=body,
            notify_id=json.loads(body)["id"],
            event_type="TRANSACTION.SUCCESS",
            out_trade_no=out_trade_no,
        )
        headers = platform_headers(key=key, serial=self.platform_serial, body=body, timestamp=timestamp)
        status, _, error = post_notify(url, body, {**headers, **_HEADERS})
        self._record(notify, kind, 1, status, error)
        return status

    def _attempt(self, notify: _Notify) -> tuple[int | None, bytes, str | None]:
        headers = platform_headers(key=self._platform_key, serial=self.platform_serial, body=notify.body)
        return post_notify(notify.url, notify.body, {**headers, **_HEADERS})

    def _log_fields(self, notify: _Notify, answer: bytes | None) -> dict[str, Any]:
        return {
            "notify_id": notify.notify_id,
            "event_type": notify.event_type,
            "out_trade_no": notify.out_trade_no,
            "out_refund_no": notify.out_refund_no,
            "url": notify.url,
        }


_HEADERS = {"Content-Type": "application/json", "User-Agent": "Mozilla/4.0 (WeChatPay stand-in)"}
