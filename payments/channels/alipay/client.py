"""The Alipay ``CashChannel``: the OpenAPI gateway over real HTTP, every request signed, every answer verified.

Methods used (see :mod:`payments.channels.alipay.protocol` for the signing rules):

=================================================  =============================================================
``create_order``                                   ``alipay.trade.wap.pay``: no server call; the signed request
                                                   *is* the payer's URL (gateway + query string)
``query_order``                                    ``alipay.trade.query``
``close_order``                                    ``alipay.trade.close``
``refund``                                         ``alipay.trade.refund`` (``out_request_no`` = out_refund_no)
``query_refund``                                   ``alipay.trade.fastpay.refund.query``
``trade_bill``                                     ``alipay.data.dataservice.bill.downloadurl.query``, then the
                                                   zip at ``bill_download_url`` (:mod:`.bill`)
``parse_notify`` / ``decode_notify``               the form-encoded ``trade_status_sync`` notify
=================================================  =============================================================

Alipay's own behaviour worth knowing here: a wap order exists at Alipay only once the payer has opened the
cashier, so until then ``query_order`` and ``close_order`` are ``not_found`` (``ACQ.TRADE_NOT_EXIST``);
refunds have no id of their own and no notify URL of their own (their notify goes to the payment's
``notify_url``); a refund notify's ``refund_fee`` is the trade's refunded *total*, so it is not given as the
refund's amount.
"""

from __future__ import annotations

import datetime as dt
import http.client
import threading
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from payments.channels.alipay.bill import MAX_BILL_BYTES, parse_trade_bill
from payments.channels.alipay.protocol import (
    BEIJING,
    FORM_CONTENT_TYPE,
    GATEWAY_PATH,
    SUCCESS,
    answer_key,
    beijing,
    biz_json,
    fen,
    load_private_key,
    load_public_key,
    notify_content,
    parse_beijing,
    parse_form,
    rsa2_verify,
    signed,
    split_answer,
    yuan,
)
from payments.channels.base import (
    BillRow,
    ChannelError,
    ChannelNotify,
    ChannelOrder,
    ChannelRefund,
    ChannelTrade,
    NotifyAnswer,
    RefundState,
    TradeState,
)

NOT_FOUND_SUB_CODES = frozenset(("ACQ.TRADE_NOT_EXIST", "isp.bill_not_exist"))
RETRY_SUB_CODES = frozenset(("ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR", "isp.unknow-error", "isp.unknown-error"))
TRADE_STATUSES = frozenset(("WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_CLOSED"))
_PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
_USER_AGENT = "medinsure-portal alipay-openapi (Python http.client)"


def trade_state(trade_status: str, *, was_paid: bool) -> TradeState:
    """Alipay's ``trade_status`` in the project's terms (base.py's table). ``TRADE_CLOSED`` is ``refunded``
    when the trade had been paid (closed by a full refund), ``closed`` when it never was."""
    if trade_status == "WAIT_BUYER_PAY":
        return TradeState.WAITING
    if trade_status in _PAID:
        return TradeState.PAID
    if trade_status == "TRADE_CLOSED":
        return TradeState.REFUNDED if was_paid else TradeState.CLOSED
    raise ChannelError("malformed", f"trade_status {trade_status!r}")


class Alipay:
    """The Alipay ``CashChannel`` (OpenAPI, RSA2). One kept-alive connection to the gateway per thread."""

    name = "alipay"
    settle_before_answer = True  # Alipay: answer "success" only once the notify is stored and processed

    def __init__(
        self,
        *,
        gateway: str,
        app_id: str,
        app_private_key_pem: bytes,
        alipay_public_key_pem: bytes,
        seller_id: str | None = None,
        return_url: str | None = None,
        timeout: float = 5.0,
        notify_max_age: int = 300,
    ) -> None:
        """``gateway``: ``https://openapi.alipay.com/gateway.do`` (a URL without a path gets ``/gateway.do``).
        ``seller_id``: the merchant's PID; when given, notifies for another seller are ``foreign``.
        ``return_url``: where the cashier sends the payer back after paying (optional)."""
        parts = urlsplit(gateway)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"gateway must be an http(s) URL, not {gateway!r}")
        path = parts.path if parts.path not in ("", "/") else GATEWAY_PATH
        self.gateway = f"{parts.scheme}://{parts.netloc}{path}"
        self.app_id = app_id
        self.seller_id = seller_id
        self.return_url = return_url
        self.timeout = timeout
        self.notify_max_age = notify_max_age
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self._target = path + (f"?{parts.query}" if parts.query else "")
        self._key = load_private_key(app_private_key_pem)
        self._alipay_key = load_public_key(alipay_public_key_pem)
        self._local = threading.local()

    # -- orders

    def create_order(
        self,
        *,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        notify_url: str,
        expires_at: dt.datetime,
        client_ip: str = "127.0.0.1",
    ) -> ChannelOrder:
        """The wap pay order: the signed ``alipay.trade.wap.pay`` request as the URL the payer opens."""
        if amount_fen <= 0:
            raise ValueError("an order needs a positive amount")
        if not description:
            raise ValueError("an order needs a subject")
        biz = {
            "out_trade_no": out_trade_no,
            "total_amount": yuan(amount_fen),
            "subject": description[:256],
            "product_code": "QUICK_WAP_WAY",
            "time_expire": beijing(expires_at),
        }
        params = self._params("alipay.trade.wap.pay", biz, notify_url=notify_url, return_url=self.return_url)
        return ChannelOrder(out_trade_no=out_trade_no, h5_url=f"{self.gateway}?{urlencode(params)}")

    def query_order(self, *, out_trade_no: str) -> ChannelTrade:
        answer = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        _same(answer, "out_trade_no", out_trade_no)
        status = _str(answer, "trade_status")
        if status not in TRADE_STATUSES:
            raise ChannelError("malformed", f"trade_status {status!r}")
        paid_at = answer.get("send_pay_date") or None
        state = trade_state(status, was_paid=paid_at is not None)
        payer = answer.get("buyer_pay_amount")
        return ChannelTrade(
            out_trade_no=out_trade_no,
            state=state,
            transaction_id=answer.get("trade_no") or None,
            amount_fen=_fen(answer, "total_amount"),
            payer_total_fen=_fen(answer, "buyer_pay_amount") if payer and state != TradeState.WAITING else None,
            success_time=_time(paid_at) if paid_at else None,
        )

    def close_order(self, *, out_trade_no: str) -> None:
        """Close an unpaid trade. ``not_found`` if the payer never opened the cashier (nothing to close);
        ``paid`` if it was paid meanwhile. Alipay answers ``ACQ.TRADE_STATUS_ERROR`` for a trade that is not
        waiting, paid or already closed alike: the trade is queried to tell them apart."""
        try:
            answer = self._call("alipay.trade.close", {"out_trade_no": out_trade_no})
        except ChannelError as error:
            if error.code != "refused" or error.detail != "ACQ.TRADE_STATUS_ERROR":
                raise
            state = self.query_order(out_trade_no=out_trade_no).state
            if state in (TradeState.PAID, TradeState.REFUNDED):
                raise ChannelError("paid", error.detail) from None
            if state != TradeState.CLOSED:
                raise
            return  # closed already: nothing to do
        if answer.get("out_trade_no"):
            _same(answer, "out_trade_no", out_trade_no)

    # -- refunds

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str, notify_url: str
    ) -> ChannelRefund:
        """``alipay.trade.refund``; the same ``out_refund_no`` again is the same refund (Alipay's idempotence).

        ``succeeded`` when Alipay says the money moved (``fund_change=Y``), ``processing`` otherwise (a repeated
        request, or not yet known: ask ``query_refund``). ``total_fen`` and ``notify_url`` are not Alipay's
        parameters: the refund's notify goes to the payment's notify URL."""
        if refund_fen <= 0:
            raise ValueError("a refund needs a positive amount")
        biz = {
            "out_trade_no": out_trade_no,
            "out_request_no": out_refund_no,
            "refund_amount": yuan(refund_fen),
            "refund_reason": reason[:256],
        }
        answer = self._call("alipay.trade.refund", biz)
        _same(answer, "out_trade_no", out_trade_no)
        state = RefundState.SUCCEEDED if answer.get("fund_change") == "Y" else RefundState.PROCESSING
        return ChannelRefund(
            out_refund_no=out_refund_no, out_trade_no=out_trade_no, refund_id=None, state=state, refund_fen=refund_fen
        )

    def query_refund(self, *, out_refund_no: str, out_trade_no: str) -> ChannelRefund:
        """``alipay.trade.fastpay.refund.query``: ``succeeded`` with ``refund_status=REFUND_SUCCESS``,
        ``processing`` while it is absent; ``not_found`` if Alipay does not know the refund (Alipay answers
        success without the refund's fields): sending it again with the same number is then safe."""
        biz = {"out_trade_no": out_trade_no, "out_request_no": out_refund_no, "query_options": ["gmt_refund_pay"]}
        answer = self._call("alipay.trade.fastpay.refund.query", biz)
        if not answer.get("out_request_no") or not answer.get("refund_amount"):
            raise ChannelError("not_found", "no such refund")
        _same(answer, "out_request_no", out_refund_no)
        _same(answer, "out_trade_no", out_trade_no)
        done = answer.get("refund_status") == "REFUND_SUCCESS"
        return ChannelRefund(
            out_refund_no=out_refund_no,
            out_trade_no=out_trade_no,
            refund_id=None,
            state=RefundState.SUCCEEDED if done else RefundState.PROCESSING,
            refund_fen=_fen(answer, "refund_amount"),
        )

    # -- the daily bill

    def trade_bill(self, *, bill_date: dt.date) -> list[BillRow]:
        """The day's trade bill (业务明细). A day without a bill is ``not_found`` (``isp.bill_not_exist``)."""
        biz = {"bill_type": "trade", "bill_date": bill_date.isoformat()}
        answer = self._call("alipay.data.dataservice.bill.downloadurl.query", biz)
        return parse_trade_bill(self._download(_str(answer, "bill_download_url")))

    # -- notifies

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes, now: float) -> ChannelNotify:
        """Verify (RSA2 over the sorted parameters, our app and seller, ``notify_time`` fresh) and decode."""
        params = _form(body)
        signature = params.get("sign", "")
        if not signature or params.get("sign_type", "RSA2") != "RSA2":
            raise ChannelError("bad_signature", "notify without an RSA2 sign")
        if not rsa2_verify(self._alipay_key, notify_content(params), signature):
            raise ChannelError("bad_signature", "notify signature does not verify")
        if params.get("app_id") != self.app_id:
            raise ChannelError("foreign", f"notify for app {params.get('app_id')!r}")
        if self.seller_id and params.get("seller_id", self.seller_id) != self.seller_id:
            raise ChannelError("foreign", f"notify for seller {params.get('seller_id')!r}")
        sent = _time(params.get("notify_time"))
        if abs(now - sent.timestamp()) > self.notify_max_age:
            raise ChannelError("stale", f"notify_time {params.get('notify_time')}")
        return self.decode_notify(body=body)

    def decode_notify(self, *, body: bytes) -> ChannelNotify:
        """The notify's content, for a body verified earlier and stored raw. A notify carrying ``out_biz_no``
        (the refund's ``out_request_no``) is about a refund; Alipay sends one only for a refund done."""
        params = _form(body)
        notify_type = _str(params, "notify_type")
        if notify_type != "trade_status_sync":
            raise ChannelError("malformed", f"notify_type {notify_type!r}")
        out_biz_no = params.get("out_biz_no") or None
        status = _str(params, "trade_status")
        was_paid = bool(params.get("gmt_payment") or out_biz_no)
        kind: Literal["transaction", "refund"] = "refund" if out_biz_no else "transaction"
        return ChannelNotify(
            notify_id=_str(params, "notify_id"),
            event=notify_type,
            kind=kind,
            out_trade_no=_str(params, "out_trade_no"),
            transaction_id=params.get("trade_no") or None,
            trade_state=trade_state(status, was_paid=was_paid),
            amount_fen=_fen(params, "total_amount") if params.get("total_amount") else None,
            out_refund_no=out_biz_no,
            refund_state=RefundState.SUCCEEDED if out_biz_no else None,
            refund_fen=None,  # refund_fee is the trade's refunded total, not this refund's amount
        )

    def notify_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Nothing: an Alipay notify's signature is inside its body."""
        return {}

    def notify_answer(self, *, accepted: bool, message: str = "", status: int | None = None) -> NotifyAnswer:
        """``success`` (Alipay stops) or ``fail`` (it tries again, whatever the HTTP status)."""
        if accepted:
            return NotifyAnswer(status=200, content_type="text/plain; charset=utf-8", body=b"success")
        return NotifyAnswer(status=status or 200, content_type="text/plain; charset=utf-8", body=b"fail")

    # -- HTTP

    def _params(
        self, method: str, biz: Mapping[str, Any], *, notify_url: str | None = None, return_url: str | None = None
    ) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": beijing(dt.datetime.now(BEIJING)),
            "version": "1.0",
            "biz_content": biz_json(biz),
        }
        if notify_url:
            params["notify_url"] = notify_url
        if return_url:
            params["return_url"] = return_url
        return signed(self._key, params)

    def _call(self, method: str, biz: Mapping[str, Any]) -> dict[str, Any]:
        """The verified ``*_response`` of a successful call (``code`` 10000), or ChannelError."""
        status, content = self._post(urlencode(self._params(method, biz)).encode(), method)
        if status >= 500:
            raise ChannelError("unavailable", f"{method}: HTTP {status}", retryable=True)
        if status != 200:
            raise ChannelError("malformed", f"{method}: HTTP {status}")
        try:
            members = split_answer(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ChannelError("malformed", f"{method}: answer is not a JSON object ({error})") from None
        found = members.get(answer_key(method)) or members.get("error_response")
        if found is None or not isinstance(found[0], dict):
            raise ChannelError("malformed", f"{method}: no {answer_key(method)}")
        answer, raw = found
        code, sub_code = str(answer.get("code") or ""), str(answer.get("sub_code") or "")
        signature = members.get("sign", (None, ""))[0]
        if not isinstance(signature, str) or not signature:
            if code == "20000":  # the gateway itself is unavailable: nothing to act on but "try again"
                raise ChannelError("unavailable", f"{method}: 20000 {sub_code}".strip(), retryable=True)
            raise ChannelError("bad_signature", f"{method}: unsigned answer (code {code} {sub_code})")
        if not rsa2_verify(self._alipay_key, raw, signature):
            raise ChannelError("bad_signature", f"{method}: answer signature does not verify")
        if code == SUCCESS:
            return answer
        if code == "20000" or sub_code in RETRY_SUB_CODES:
            raise ChannelError("unavailable", sub_code or code, retryable=True)
        if sub_code in NOT_FOUND_SUB_CODES:
            raise ChannelError("not_found", sub_code)
        raise ChannelError("refused", sub_code or code or "no code")

    def _post(self, body: bytes, method: str) -> tuple[int, bytes]:
        """POST to the gateway on this thread's kept-alive connection. A connection the server closed while
        idle is replaced once (the request never reached it); a time-out is never retried here."""
        headers = {"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json", "User-Agent": _USER_AGENT}
        for attempt in (1, 2):
            connection, reused = self._connection()
            try:
                connection.request("POST", self._target, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
            except TimeoutError as error:
                self._drop()
                raise ChannelError("timeout", f"{method}: {error}", retryable=True) from None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self._drop()
                if reused and attempt == 1:
                    continue
                raise ChannelError("unavailable", f"{method}: {error!r}", retryable=True) from None
            except (OSError, http.client.HTTPException) as error:
                self._drop()
                raise ChannelError("unavailable", f"{method}: {error!r}", retryable=True) from None
            if response.will_close:
                self._drop()
            return response.status, content
        raise AssertionError("unreachable")

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection, True
        connection_class = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        connection = connection_class(self._netloc, timeout=self.timeout)
        self._local.connection = connection
        return connection, False

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def close(self) -> None:
        """Close this thread's connection to the gateway (a later call opens a new one)."""
        self._drop()

    def _download(self, url: str) -> bytes:
        """GET the bill file. Its URL came in a verified answer and is pre-signed by Alipay (on its own
        host, valid for a short while); the file itself is not signed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ChannelError("malformed", f"bill_download_url {url!r}")
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(parts.netloc, timeout=self.timeout)
        try:
            connection.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
            response = connection.getresponse()
            content = response.read(MAX_BILL_BYTES + 1)
        except TimeoutError as error:
            raise ChannelError("timeout", f"bill download: {error}", retryable=True) from None
        except (OSError, http.client.HTTPException) as error:
            raise ChannelError("unavailable", f"bill download: {error!r}", retryable=True) from None
        finally:
            connection.close()
        if response.status >= 500:
            raise ChannelError("unavailable", f"bill download: HTTP {response.status}", retryable=True)
        if response.status != 200:
            raise ChannelError("refused", f"bill download: HTTP {response.status}")
        if len(content) > MAX_BILL_BYTES:
            raise ChannelError("malformed", "bill file too large")
        return content


def _form(body: bytes) -> dict[str, str]:
    try:
        return parse_form(body)
    except ValueError as error:
        raise ChannelError("malformed", f"notify: {error}") from None


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ChannelError("malformed", f"missing {key}")
    return value


def _same(data: Mapping[str, Any], key: str, expected: str) -> None:
    if data.get(key) != expected:
        raise ChannelError("malformed", f"answer is about another {key}: {data.get(key)!r}")


def _fen(data: Mapping[str, Any], key: str) -> int:
    try:
        return fen(_str(data, key))
    except ValueError:
        raise ChannelError("malformed", f"{key} {data.get(key)!r} is not an amount") from None


def _time(value: Any) -> dt.datetime:
    try:
        return parse_beijing(value)
    except (TypeError, ValueError, AttributeError):
        raise ChannelError("malformed", f"time {value!r}") from None
