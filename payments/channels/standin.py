"""A local stand-in for WeChat Pay API v3: the same protocol, its own keys, orders and refunds in memory.

It lets the embedded mode, demos and tests drive the real adapter (``payments.channels.wechatpay``) over
real HTTP: requests are verified with the merchant's public key, answers and notifies are signed with the
stand-in's "platform" key, notify resources are encrypted with the APIv3 key. It mimics WeChat's semantics
and error codes for the endpoints the adapter uses, serves an H5 cashier page, writes the daily trade bill,
and can misbehave on purpose (dropped, late, duplicated, reordered, forged or stale notifies, slow answers).

Development only: never point production at it. ``python -m payments.channels.standin --port 8765`` runs it
with the development keys in ``devkeys/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import html
import http.client
import json
import re
import secrets
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypedDict, cast
from urllib.parse import parse_qs, quote, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from payments.channels.wechatpay import (
    WeChatPay,
    encrypt_resource,
    load_private_key,
    load_public_key,
    message,
    parse_authorization,
    platform_headers,
    rfc3339,
    verify,
)
from payments.channels.wechatpay_bill import BEIJING, fee_yuan, fen_to_yuan, render_trade_bill

DEVKEYS = Path(__file__).resolve().parent / "devkeys"
_OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_\-|*@]{6,32}")
_OUT_REFUND_NO = re.compile(r"[A-Za-z0-9_\-|*@]{1,64}")
_PAID = ("SUCCESS", "REFUND")


class StandInError(Exception):
    """A WeChat-style business error: HTTP ``status`` with ``{"code", "message"}``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass
class StandInOrder:
    out_trade_no: str
    appid: str
    mchid: str
    description: str
    total: int
    notify_url: str
    trade_type: str  # JSAPI or MWEB (H5)
    time_expire: dt.datetime | None
    prepay_id: str
    openid: str = ""
    client_ip: str = ""
    trade_state: str = "NOTPAY"
    transaction_id: str = ""
    success_time: dt.datetime | None = None
    refunded: int = 0  # refunds asked for and not failed


@dataclass
class StandInRefund:
    out_refund_no: str
    out_trade_no: str
    refund_id: str
    transaction_id: str
    refund: int
    total: int
    reason: str
    notify_url: str
    create_time: dt.datetime
    status: str = "PROCESSING"
    success_time: dt.datetime | None = None


@dataclass
class _Notify:
    url: str
    body: bytes
    notify_id: str
    event_type: str
    out_trade_no: str
    out_refund_no: str = ""
    copies: int = 1


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class WeChatPayStandIn:
    """The stand-in server. ``start()`` serves it from a daemon thread and returns its base URL."""

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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._orders: dict[str, StandInOrder] = {}
        self._refunds: dict[str, StandInRefund] = {}
        self._bills: dict[str, bytes] = {}
        self._log: list[dict[str, Any]] = []
        self._drop = self._duplicate = self._slow = self._tamper_bills = 0
        self._delay = self._slow_seconds = 0.0
        self._holding = False
        self._held: list[_Notify] = []

    # -- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopped.clear()
        self._server = _Server((host, port), self)
        bound_port = self._server.server_address[1]
        self.base_url = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{bound_port}"  # noqa: S104
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="wechatpay-standin", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

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

    def tamper_next_bills(self, n: int = 1) -> None:
        """The next ``n`` bill downloads serve a file that no longer matches the announced SHA1."""
        with self._lock:
            self._tamper_bills = n

    # -- orders and refunds

    def _create(self, kind: str, data: dict[str, Any], host: str) -> dict[str, str]:
        if data.get("appid") != self.appid or data.get("mchid") != self.mchid:
            raise StandInError("APPID_MCHID_NOT_MATCH", "appid和mchid不匹配")
        out_trade_no, description = _text(data, "out_trade_no", _OUT_TRADE_NO), _text(data, "description")
        notify_url, total = _text(data, "notify_url"), _amount(data, "total")
        if len(description) > 127 or not notify_url.startswith(("http://", "https://")):
            raise StandInError("PARAM_ERROR", "description 或 notify_url 不合法")
        expire = None
        if data.get("time_expire"):
            try:
                expire = dt.datetime.fromisoformat(str(data["time_expire"]))
            except ValueError:
                expire = None
            if expire is None or expire.tzinfo is None:
                raise StandInError("PARAM_ERROR", "time_expire 应为 RFC 3339 格式（含时区）")
        openid, client_ip = "", ""
        if kind == "jsapi":
            openid = _text(_sub(data, "payer"), "openid")
        else:
            client_ip = _text(_sub(data, "scene_info"), "payer_client_ip")
            _text(_sub(_sub(data, "scene_info"), "h5_info"), "type")
        trade_type = "JSAPI" if kind == "jsapi" else "MWEB"
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is not None:
                _expire(order, _now())
                if order.trade_state in _PAID:
                    raise StandInError("ORDERPAID", "该订单已支付")
                if order.trade_state == "CLOSED":
                    raise StandInError("ORDER_CLOSED", "订单已关闭")
                same = (order.total, order.description, order.trade_type, order.openid)
                if same != (total, description, trade_type, openid):
                    raise StandInError("INVALID_REQUEST", "商户订单号重复，且参数与原订单不一致")
            else:
                prepay_id = f"wx{_now():%d%H%M%S}{secrets.token_hex(12)}"
                order = StandInOrder(
                    out_trade_no=out_trade_no,
                    appid=self.appid,
                    mchid=self.mchid,
                    description=description,
                    total=total,
                    notify_url=notify_url,
                    trade_type=trade_type,
                    time_expire=expire,
                    prepay_id=prepay_id,
                    openid=openid,
                    client_ip=client_ip,
                )
                self._orders[out_trade_no] = order
            if kind == "jsapi":
                return {"prepay_id": order.prepay_id}
            return {"h5_url": f"http://{host}/h5/pay?out_trade_no={quote(out_trade_no, safe='')}"}

    def _order_answer(self, out_trade_no: str) -> dict[str, Any]:
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                raise StandInError("ORDER_NOT_EXIST", "订单不存在", 404)
            _expire(order, _now())
            answer = _transaction(order)
            if order.trade_state not in _PAID:
                for key in ("transaction_id", "success_time", "bank_type"):
                    answer.pop(key)
                answer["amount"].pop("payer_total")
            return answer

    def _close(self, out_trade_no: str, data: dict[str, Any]) -> None:
        if data.get("mchid") != self.mchid:
            raise StandInError("INVALID_REQUEST", "mchid不正确")
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                raise StandInError("ORDER_NOT_EXIST", "订单不存在", 404)
            if order.trade_state in _PAID:
                raise StandInError("ORDERPAID", "订单已支付，不能关闭")
            order.trade_state = "CLOSED"

    def _refund(self, data: dict[str, Any]) -> dict[str, Any]:
        out_trade_no, out_refund_no = _text(data, "out_trade_no"), _text(data, "out_refund_no", _OUT_REFUND_NO)
        amount, total = _amount(data, "refund"), _amount(data, "total")
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                raise StandInError("RESOURCE_NOT_EXISTS", "订单不存在", 404)
            existing = self._refunds.get(out_refund_no)
            if existing is not None:
                if (existing.out_trade_no, existing.refund) != (out_trade_no, amount):
                    raise StandInError("INVALID_REQUEST", "退款单号重复，且参数与原退款不一致")
                return _refund_answer(existing, order)
            if order.trade_state not in _PAID:
                raise StandInError("INVALID_REQUEST", "订单未支付，不能退款")
            if total != order.total:
                raise StandInError("INVALID_REQUEST", "订单金额与原订单不一致")
            if amount > order.total - order.refunded:
                raise StandInError("NOT_ENOUGH", "可退款金额不足", 403)
            refund = StandInRefund(
                out_refund_no=out_refund_no,
                out_trade_no=out_trade_no,
                refund_id=f"50{secrets.randbelow(10**27):027d}",
                transaction_id=order.transaction_id,
                refund=amount,
                total=total,
                reason=str(data.get("reason") or ""),
                notify_url=str(data.get("notify_url") or ""),
                create_time=_now(),
            )
            self._refunds[out_refund_no] = refund
            order.refunded += amount
            order.trade_state = "REFUND"
            answer = _refund_answer(refund, order)
        if self.auto_refund_seconds is not None:
            timer = threading.Timer(self.auto_refund_seconds, self._auto_complete, args=(out_refund_no,))
            timer.daemon = True
            timer.start()
        return answer

    def _refund_query(self, out_refund_no: str) -> dict[str, Any]:
        with self._lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise StandInError("RESOURCE_NOT_EXISTS", "退款单不存在", 404)
            return _refund_answer(refund, self._orders[refund.out_trade_no])

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

    # -- the trade bill

    def _bill(self, query: Mapping[str, list[str]], host: str) -> dict[str, str]:
        try:
            day = dt.date.fromisoformat(query.get("bill_date", [""])[0])
        except ValueError:
            raise StandInError("PARAM_ERROR", "bill_date 格式不正确") from None
        bill_type = query.get("bill_type", ["ALL"])[0]
        if bill_type not in ("ALL", "SUCCESS", "REFUND"):
            raise StandInError("PARAM_ERROR", "bill_type 不正确")
        rows: list[tuple[dt.datetime, dict[str, str]]] = []
        with self._lock:
            if bill_type != "REFUND":
                for order in self._orders.values():
                    if order.success_time and order.success_time.astimezone(BEIJING).date() == day:
                        rows.append((order.success_time, _bill_row(order, None)))
            if bill_type != "SUCCESS":
                for refund in self._refunds.values():
                    if refund.success_time and refund.success_time.astimezone(BEIJING).date() == day:
                        rows.append((refund.success_time, _bill_row(self._orders[refund.out_trade_no], refund)))
            if not rows:
                raise StandInError("NO_STATEMENT_EXIST", "账单不存在")
            content = render_trade_bill([row for _, row in sorted(rows, key=lambda pair: pair[0])])
            token = secrets.token_urlsafe(16)
            self._bills[token] = content
        return {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(content).hexdigest(),  # noqa: S324 (WeChat's integrity check)
            "download_url": f"http://{host}/v3/billdownload/file?token={token}",
        }

    def _bill_file(self, query: Mapping[str, list[str]]) -> bytes:
        with self._lock:
            content = self._bills.get(query.get("token", [""])[0])
            if content is None:
                raise StandInError("INVALID_REQUEST", "下载链接已失效")
            if self._tamper_bills > 0:
                self._tamper_bills -= 1
                content = content.replace(b"`SUCCESS", b"`REFUND", 1) + b"\r\n"
        return content

    # -- the H5 cashier page

    def _h5(self, form: Mapping[str, list[str]], method: str) -> _Answer:
        """``GET /h5/pay?out_trade_no=..[&redirect_url=..]``: the cashier; ``POST`` (its button) pays."""
        out_trade_no = form.get("out_trade_no", [""])[0]
        redirect_url = form.get("redirect_url", [""])[0]
        if not redirect_url.startswith(("http://", "https://")):
            redirect_url = ""
        with self._lock:
            found = self._orders.get(out_trade_no)
            if found is not None:
                _expire(found, _now())
            order = dataclasses.replace(found) if found else None
        if order is None:
            return _page(404, "订单不存在", "<p>没有找到这笔订单。</p>")
        if method == "POST" and order.trade_state == "NOTPAY":
            try:
                order = self.pay(out_trade_no)
            except StandInError:  # closed meanwhile
                order.trade_state = "CLOSED"
        esc = html.escape
        facts = (
            f"<p>商户：{esc(self.merchant_name)}（商户号 {esc(order.mchid)}）</p>"
            f"<p>商品：{esc(order.description)}</p><p class=amount>¥{fen_to_yuan(order.total)}</p>"
        )
        if order.trade_state in _PAID:
            back = f'<p><a href="{esc(redirect_url)}">返回商户</a></p>' if redirect_url else ""
            return _page(200, "支付成功", f"{facts}<p class=ok>支付成功</p>{back}")
        if order.trade_state != "NOTPAY":
            return _page(400, "订单已关闭", f"{facts}<p>订单已关闭，无法支付。</p>")
        button = (
            '<form method=post action="/h5/pay">'
            f'<input type=hidden name=out_trade_no value="{esc(out_trade_no)}">'
            f'<input type=hidden name=redirect_url value="{esc(redirect_url)}">'
            "<button type=submit>确认支付</button></form>"
        )
        return _page(200, "微信支付", facts + button)

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

    # -- HTTP

    def _dispatch(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Answer:
        url = urlsplit(target)
        query = parse_qs(url.query)
        host = headers.get("host") or urlsplit(self.base_url).netloc
        if url.path == "/_control" and method == "POST":
            return self._control(body)
        if url.path == "/h5/pay" and method in ("GET", "POST"):
            return self._h5(parse_qs(body.decode("utf-8", "replace")) if method == "POST" else query, method)
        if not url.path.startswith("/v3/"):
            return _Answer(404, b"not found", {"Content-Type": "text/plain"})
        try:
            self._authenticate(method, target, headers, body)
            answer = self._api(method, url.path, query, body, host)
        except StandInError as error:
            answer = self._signed(error.status, {"code": error.code, "message": error.message})
        except Exception:  # a stand-in bug: answer like WeChat's own failures, and say so
            traceback.print_exc()
            answer = self._signed(500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
        with self._lock:
            slow = self._slow > 0
            self._slow -= 1 if slow else 0
        if slow:
            self._stopped.wait(self._slow_seconds)
        return answer

    def _authenticate(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> None:
        params = parse_authorization(headers.get("authorization", ""))
        problem = ""
        if params is None:
            problem = "缺少或无法解析 Authorization"
        elif params["mchid"] != self.mchid:
            problem = "mchid 不正确"
        elif self.merchant_serial and params["serial_no"] != self.merchant_serial:
            problem = "商户证书序列号不正确"
        elif not params["timestamp"].isdigit() or abs(time.time() - int(params["timestamp"])) > 300:
            problem = "时间戳已过期"
        elif not verify(
            self._merchant_key,
            message(method, target, params["timestamp"], params["nonce_str"], body),
            params["signature"],
        ):
            problem = "签名验证失败"
        if problem:
            raise StandInError("SIGN_ERROR", f"签名错误：{problem}", 401)

    def _api(self, method: str, path: str, query: Mapping[str, list[str]], body: bytes, host: str) -> _Answer:
        if method == "POST" and (m := re.fullmatch(r"/v3/pay/transactions/(jsapi|h5)", path)):
            return self._signed(200, self._create(m[1], _json(body), host))
        if m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)(/close)?", path):
            out_trade_no = unquote(m[1])
            if method == "GET" and not m[2]:
                if query.get("mchid", [""])[0] != self.mchid:
                    raise StandInError("INVALID_REQUEST", "mchid不正确")
                return self._signed(200, self._order_answer(out_trade_no))
            if method == "POST" and m[2]:
                self._close(out_trade_no, _json(body))
                return self._signed(204, None)
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._signed(200, self._refund(_json(body)))
        if method == "GET" and (m := re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)):
            return self._signed(200, self._refund_query(unquote(m[1])))
        if method == "GET" and path == "/v3/bill/tradebill":
            return self._signed(200, self._bill(query, host))
        if method == "GET" and path == "/v3/billdownload/file":  # the file itself is not signed
            return _Answer(200, self._bill_file(query), {"Content-Type": "application/octet-stream"})
        raise StandInError("NOT_FOUND", "无此接口", 404)

    def _signed(self, status: int, payload: Mapping[str, Any] | None) -> _Answer:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = platform_headers(key=self._platform_key, serial=self.platform_serial, body=body)
        headers["Request-ID"] = uuid.uuid4().hex
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return _Answer(status, body, headers)

    def _control(self, body: bytes) -> _Answer:
        """``POST /_control {"action": "<method name>", ...its keyword arguments}`` -> ``{"result": ...}``."""
        try:
            data = _json(body)
            action = str(data.pop("action", ""))
            if action in ("orders", "refunds", "notify_log"):
                result: Any = getattr(self, action)
            elif action in _CONTROLS:
                result = getattr(self, action)(**data)
            else:
                raise StandInError("PARAM_ERROR", f"unknown action {action!r}")
        except StandInError as error:
            status, payload = error.status, {"code": error.code, "message": error.message}
        except (TypeError, ValueError) as error:  # wrong or missing arguments
            status, payload = 400, {"code": "PARAM_ERROR", "message": str(error)}
        else:
            status, payload = 200, {"result": result}
        return _Answer(
            status,
            json.dumps(payload, ensure_ascii=False, default=_jsonable).encode(),
            {"Content-Type": "application/json; charset=utf-8"},
        )


_CONTROLS = frozenset(
    [
        "pay",
        "complete_refund",
        "fail_refund",
        "drop_notifies",
        "delay_notifies",
        "duplicate_notifies",
        "hold_notifies",
        "release_notifies",
        "send_forged_notify",
        "send_stale_notify",
        "timeout_next_requests",
        "tamper_next_bills",
    ]
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: WeChatPayStandIn) -> None:
        self.standin = standin
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server_version = "WeChatPayStandIn/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        standin = cast(_Server, self.server).standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = standin._dispatch(method, self.path, headers, body)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout control)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if cast(_Server, self.server).standin.verbose:
            super().log_message(format, *args)


# -- resources and helpers -------------------------------------------------------------------------------------


def _page(status: int, title: str, inner: str) -> _Answer:
    document = (
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:28em;margin:2em auto;"
        "padding:0 1em}.amount{font-size:2em;font-weight:bold}.ok{color:#07c160;font-size:1.4em}"
        "button{background:#07c160;color:#fff;border:0;border-radius:4px;padding:.8em 2em;font-size:1.1em}"
        ".note{color:#888;font-size:.8em}</style></head><body><main>"
        f"<p class=note>开发用模拟收银台，非真实微信支付</p><h1>{html.escape(title)}</h1>{inner}</main></body></html>"
    )
    return _Answer(status, document.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _now() -> dt.datetime:
    return dt.datetime.now(BEIJING).replace(microsecond=0)


def _expire(order: StandInOrder, now: dt.datetime) -> None:
    """An unpaid order past its time_expire is closed (WeChat does it lazily too)."""
    if order.trade_state == "NOTPAY" and order.time_expire is not None and now > order.time_expire:
        order.trade_state = "CLOSED"


def _transaction(order: StandInOrder) -> dict[str, Any]:
    """The transaction as WeChat gives it in a query answer and a TRANSACTION.* notify."""
    return {
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.transaction_id,
        "trade_type": order.trade_type,
        "trade_state": order.trade_state,
        "trade_state_desc": _STATE_DESC.get(order.trade_state, ""),
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": rfc3339(order.success_time) if order.success_time else "",
        "payer": {"openid": order.openid or "oDEVSTANDIN0000000000000000"},
        "amount": {"total": order.total, "payer_total": order.total, "currency": "CNY", "payer_currency": "CNY"},
    }


_STATE_DESC = {"SUCCESS": "支付成功", "NOTPAY": "订单未支付", "CLOSED": "订单已关闭", "REFUND": "转入退款"}


def _refund_amount(refund: StandInRefund) -> dict[str, int]:
    return {"total": refund.total, "refund": refund.refund, "payer_total": refund.total, "payer_refund": refund.refund}


def _refund_answer(refund: StandInRefund, order: StandInOrder) -> dict[str, Any]:
    return {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": rfc3339(refund.create_time),
        **({"success_time": rfc3339(refund.success_time)} if refund.success_time else {}),
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            **_refund_amount(refund),
            "settlement_refund": refund.refund,
            "settlement_total": order.total,
            "discount_refund": 0,
            "currency": "CNY",
        },
    }


def _refund_resource(refund: StandInRefund, order: StandInOrder) -> dict[str, Any]:
    """The refund as a REFUND.* notify carries it."""
    return {
        "mchid": order.mchid,
        "out_trade_no": refund.out_trade_no,
        "transaction_id": refund.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "success_time": rfc3339(refund.success_time) if refund.success_time else "",
        "user_received_account": "支付用户零钱",
        "amount": _refund_amount(refund),
    }


def _envelope(apiv3_key: bytes, event_type: str, summary: str, kind: str, resource: Mapping[str, Any]) -> bytes:
    """A notify body: the envelope, and the resource encrypted under the APIv3 key."""
    plaintext = json.dumps(resource, ensure_ascii=False).encode()
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "create_time": rfc3339(_now()),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": encrypt_resource(apiv3_key, plaintext, associated_data=kind, original_type=kind),
        },
        ensure_ascii=False,
    ).encode()


def _bill_row(order: StandInOrder, refund: StandInRefund | None) -> dict[str, str]:
    moment = refund.success_time if refund else order.success_time
    assert moment is not None
    row = {
        "交易时间": f"{moment.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}",
        "公众账号ID": order.appid,
        "商户号": order.mchid,
        "特约商户号": "0",
        "微信订单号": order.transaction_id,
        "商户订单号": order.out_trade_no,
        "用户标识": order.openid,
        "交易类型": order.trade_type,
        "交易状态": "REFUND" if refund else "SUCCESS",
        "付款银行": "OTHERS",
        "货币种类": "CNY",
        "应结订单金额": fen_to_yuan(order.total),
        "代金券金额": "0.00",
        "微信退款单号": "0",
        "商户退款单号": "0",
        "退款金额": "0.00",
        "充值券退款金额": "0.00",
        "商品名称": order.description,
        "手续费": fee_yuan(order.total) if refund is None else "0.00000",
        "费率": "0.60%",
        "订单金额": fen_to_yuan(order.total),
        "申请退款金额": "0.00",
    }
    if refund is not None:
        row.update(
            {
                "微信退款单号": refund.refund_id,
                "商户退款单号": refund.out_refund_no,
                "退款类型": "ORIGINAL",
                "退款状态": "SUCCESS",
                "退款金额": fen_to_yuan(refund.refund),
                "申请退款金额": fen_to_yuan(refund.refund),
            }
        )
    return row


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


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise StandInError("PARAM_ERROR", "请求体不是合法的JSON") from None
    if not isinstance(value, dict):
        raise StandInError("PARAM_ERROR", "请求体应为JSON对象")
    return value


def _sub(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _text(data: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or (pattern is not None and not pattern.fullmatch(value)):
        raise StandInError("PARAM_ERROR", f"{key} 缺失或格式不正确")
    return value


def _amount(data: Mapping[str, Any], key: str) -> int:
    amount = data.get("amount")
    if not isinstance(amount, dict) or amount.get("currency", "CNY") != "CNY":
        raise StandInError("PARAM_ERROR", "amount 缺失，或 currency 不是 CNY")
    value = amount.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise StandInError("PARAM_ERROR", f"amount.{key} 应为正整数（分）")
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return rfc3339(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# -- development configuration and the command line -------------------------------------------------------------


class DevConfig(TypedDict):
    mchid: str
    appid: str
    merchant_serial: str
    platform_serial: str
    apiv3_key: bytes
    merchant_private_key_pem: bytes
    merchant_public_key_pem: bytes
    platform_private_key_pem: bytes
    platform_public_key_pem: bytes


def dev_config() -> DevConfig:
    """The development merchant and platform (keys from ``devkeys/``). Never for production."""
    return DevConfig(
        mchid="1900000109",
        appid="wxd678efh567hg6787",
        merchant_serial="DEVMERCHANT0001",
        platform_serial="DEVPLATFORM0001",
        apiv3_key=b"dev-only-apiv3-key-32-bytes-long",
        merchant_private_key_pem=(DEVKEYS / "merchant_private.pem").read_bytes(),
        merchant_public_key_pem=(DEVKEYS / "merchant_public.pem").read_bytes(),
        platform_private_key_pem=(DEVKEYS / "platform_private.pem").read_bytes(),
        platform_public_key_pem=(DEVKEYS / "platform_public.pem").read_bytes(),
    )


def dev_channel(base_url: str, *, timeout: float = 5.0) -> WeChatPay:
    """The real adapter configured for the development keys, talking to ``base_url`` (a stand-in)."""
    config = dev_config()
    return WeChatPay(
        base_url=base_url,
        mchid=config["mchid"],
        appid=config["appid"],
        merchant_private_key_pem=config["merchant_private_key_pem"],
        merchant_serial=config["merchant_serial"],
        platform_public_keys={config["platform_serial"]: config["platform_public_key_pem"]},
        apiv3_key=config["apiv3_key"],
        timeout=timeout,
    )


def dev_standin(**options: Any) -> WeChatPayStandIn:
    """A stand-in with the development keys; ``options`` go to the constructor (e.g. ``auto_refund_seconds``)."""
    config = dev_config()
    settings: dict[str, Any] = {
        "mchid": config["mchid"],
        "appid": config["appid"],
        "merchant_public_key_pem": config["merchant_public_key_pem"],
        "merchant_serial": config["merchant_serial"],
        "platform_private_key_pem": config["platform_private_key_pem"],
        "platform_serial": config["platform_serial"],
        "apiv3_key": config["apiv3_key"],
    }
    return WeChatPayStandIn(**{**settings, **options})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m payments.channels.standin", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--manual-refunds", action="store_true", help="refunds stay PROCESSING until completed")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    standin = dev_standin(auto_refund_seconds=None if args.manual_refunds else 0, verbose=not args.quiet)
    url = standin.start(args.host, args.port)
    config = dev_config()
    print(f"WeChat Pay stand-in (development keys, never production) at {url}", flush=True)
    print(f"  mchid {config['mchid']}  appid {config['appid']}  platform serial {config['platform_serial']}")
    print(f'  control: curl -X POST {url}/_control -d \'{{"action": "pay", "out_trade_no": "..."}}\'', flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
