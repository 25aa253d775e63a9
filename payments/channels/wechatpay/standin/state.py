"""The stand-in's state: its keys, orders and refunds in memory, the notify queue, and the test/demo controls.

``StandInState`` is the base of ``WeChatPayStandIn``: it holds what the stand-in knows, plays the payer and
the refund processor, and sends notifies the way WeChat does (signed, encrypted, retried), or misbehaves on
purpose when told to. Answering requests is ``api.StandInApi``'s job, serving them ``server.WeChatPayStandIn``'s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

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


class StandInState:
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
        self.mchid, self.appid, self.merchant_name = mchid, appid, merchant_name
        self.platform_serial, self.merchant_serial = platform_serial, merchant_serial
        self.auto_refund_seconds, self.retry_delays, self.verbose = auto_refund_seconds, retry_delays, verbose
        self.base_url = ""
        self._merchant_key = load_public_key(merchant_public_key_pem)
        self._platform_key = load_private_key(platform_private_key_pem)
        self._forger_key: rsa.RSAPrivateKey | None = None
        self._apiv3_key = apiv3_key
        self._lock = threading.RLock()
        self._stopped = threading.Event()
        self._orders: dict[str, StandInOrder] = {}
        self._refunds: dict[str, StandInRefund] = {}
        self._bills: dict[str, bytes] = {}
        self._log: list[dict[str, Any]] = []
        self._drop = self._duplicate = self._slow = self._tamper_bills = self._hang_up = 0
        self._delay = self._slow_seconds = 0.0
        self._holding = False
        self._held: list[_Notify] = []

    # -- inspection

    @property
    def orders(self) -> dict[str, StandInOrder]:
        with self._lock:
            now = _now()
            for order in self._orders.values():
                _expire(order, now)
            return {no: dataclasses.replace(order) for no, order in self._orders.items()}

    @property
    def refunds(self) -> dict[str, StandInRefund]:
        with self._lock:
            return {no: dataclasses.replace(refund) for no, refund in self._refunds.items()}

    @property
    def notify_log(self) -> list[dict[str, Any]]:
        """Every notify delivery attempt: notify_id, event_type, out_trade_no, out_refund_no, url, kind,
        attempt, status (HTTP status, or None if not sent), error, at (epoch seconds)."""
        with self._lock:
            return [dict(entry) for entry in self._log]

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

    # -- controls: notify misbehaviour

    def drop_notifies(self, n: int = 1) -> None:
        """The next ``n`` notifies are never sent."""
        with self._lock:
            self._drop = n

    def delay_notifies(self, seconds: float) -> None:
        """Every notify from now on waits ``seconds`` before its first attempt (0 to stop)."""
        with self._lock:
            self._delay = seconds

    def duplicate_notifies(self, n: int = 1) -> None:
        """The next ``n`` notifies are delivered twice (same notify id, as WeChat does on a retry)."""
        with self._lock:
            self._duplicate = n

    def hold_notifies(self) -> None:
        """Queue notifies instead of sending them, until ``release_notifies``."""
        with self._lock:
            self._holding = True

    def release_notifies(self, reverse: bool = False) -> int:
        """Send the queued notifies, one after the other, in order or reversed; stop holding. Returns how many."""
        with self._lock:
            held, self._held, self._holding, delay = self._held, [], False, self._delay
        if reverse:
            held.reverse()
        threading.Thread(target=self._deliver_all, args=(held, delay), daemon=True).start()
        return len(held)

    def send_forged_notify(self, notify_url: str, out_trade_no: str, amount_fen: int) -> int | None:
        """A TRANSACTION.SUCCESS signed with another key (correctly encrypted); the answer's status."""
        if self._forger_key is None:
            self._forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._send_once(notify_url, out_trade_no, amount_fen, "forged", self._forger_key, None)

    def send_stale_notify(self, notify_url: str, out_trade_no: str, amount_fen: int) -> int | None:
        """A correctly signed TRANSACTION.SUCCESS whose timestamp is 10 minutes old; the answer's status."""
        return self._send_once(
            notify_url, out_trade_no, amount_fen, "stale", self._platform_key, int(time.time()) - 600
        )

    # -- controls: API misbehaviour

    def timeout_next_requests(self, n: int, seconds: float) -> None:
        """The next ``n`` API requests are processed, then answered only after ``seconds`` (past a client's
        timeout): the call took effect but its answer is lost, the case a caller must recover from by query."""
        with self._lock:
            self._slow, self._slow_seconds = n, seconds

    def hang_up_next_requests(self, n: int = 1) -> None:
        """The next ``n`` API requests are neither read nor answered: the connection is closed on them, as when a
        server closes a kept-alive connection just as a request arrives. Nothing takes effect."""
        with self._lock:
            self._hang_up = n

    def _take_hang_up(self) -> bool:
        with self._lock:
            if self._hang_up <= 0:
                return False
            self._hang_up -= 1
            return True

    def tamper_next_bills(self, n: int = 1) -> None:
        """The next ``n`` bill downloads serve a file that no longer matches the announced SHA1."""
        with self._lock:
            self._tamper_bills = n

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

    def _emit(self, notify: _Notify) -> None:
        with self._lock:
            if self._drop > 0:
                self._drop -= 1
                self._record(notify, "normal", 0, None, "dropped")
                return
            if self._duplicate > 0:
                self._duplicate -= 1
                notify.copies = 2
            if self._holding:
                self._held.append(notify)
                self._record(notify, "normal", 0, None, "held")
                return
            delay = self._delay
        threading.Thread(target=self._deliver_all, args=([notify], delay), daemon=True).start()

    def _deliver_all(self, notifies: list[_Notify], delay: float) -> None:
        if delay and self._stopped.wait(delay):
            return
        for notify in notifies:
            for _ in range(notify.copies):
                self._deliver(notify)

    def _deliver(self, notify: _Notify) -> None:
        """Deliver with WeChat's retries: until a 2xx answer, at most ``1 + len(retry_delays)`` attempts."""
        for attempt, pause in enumerate((0.0, *self.retry_delays), start=1):
            if pause and self._stopped.wait(pause):
                return
            headers = platform_headers(key=self._platform_key, serial=self.platform_serial, body=notify.body)
            status, error = _post(notify.url, notify.body, headers)
            self._record(notify, "normal", attempt, status, error)
            if status is not None and 200 <= status < 300:
                return

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
        status, error = _post(url, body, headers)
        self._record(notify, kind, 1, status, error)
        return status

    def _record(self, notify: _Notify, kind: str, attempt: int, status: int | None, error: str | None) -> None:
        with self._lock:
            self._log.append(
                {
                    "notify_id": notify.notify_id,
                    "event_type": notify.event_type,
                    "out_trade_no": notify.out_trade_no,
                    "out_refund_no": notify.out_refund_no,
                    "url": notify.url,
                    "kind": kind,
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                    "at": time.time(),
                }
            )


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int | None, str | None]:
    """POST a notify; (status, None) or (None, what went wrong)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.netloc, timeout=5)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(
            "POST",
            target,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": "Mozilla/4.0 (WeChatPay stand-in)",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status, None
    except (OSError, http.client.HTTPException) as error:
        return None, repr(error)
    finally:
        connection.close()
