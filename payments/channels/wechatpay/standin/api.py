"""The stand-in's side of WeChat Pay API v3: the endpoints, the H5 cashier page, the trade bill, ``/_control``.

``StandInApi._dispatch`` takes one HTTP request (method, target, lower-cased headers, body) and returns the
answer: requests under ``/v3/`` are authenticated with the merchant's public key and answered signed with the
platform key, with WeChat's semantics and error codes; ``/h5/pay`` is the cashier page; ``/_control`` drives
the test/demo controls of ``StandInState`` over HTTP.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import re
import secrets
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from payments.channels.standin_kit import Answer as _Answer
from payments.channels.standin_kit import cashier_page
from payments.channels.wechatpay.bill import BEIJING, fen_to_yuan, render_trade_bill
from payments.channels.wechatpay.client import message, parse_authorization, platform_headers, rfc3339, verify
from payments.channels.wechatpay.standin.records import (
    _PAID,
    StandInError,
    StandInOrder,
    StandInRefund,
    _bill_row,
    _expire,
    _now,
    _refund_answer,
    _transaction,
)
from payments.channels.wechatpay.standin.state import StandInState

_OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_\-|*@]{6,32}")
_OUT_REFUND_NO = re.compile(r"[A-Za-z0-9_\-|*@]{1,64}")


class StandInApi(StandInState):
    """Request handling: the v3 endpoints the adapter uses, the H5 page, the trade bill, the control endpoint."""

    # -- orders and refunds

    def _create(self, data: dict[str, Any], host: str) -> dict[str, str]:
        """``POST /v3/pay/transactions/h5``: an H5 order (the adapter's only kind; JSAPI is not served)."""
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
        client_ip = _text(_sub(data, "scene_info"), "payer_client_ip")
        _text(_sub(_sub(data, "scene_info"), "h5_info"), "type")
        trade_type = "MWEB"
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is not None:
                _expire(order, _now())
                if order.trade_state in _PAID:
                    raise StandInError("ORDERPAID", "该订单已支付")
                if order.trade_state == "CLOSED":
                    raise StandInError("ORDER_CLOSED", "订单已关闭")
                if (order.total, order.description) != (total, description):
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
                    client_ip=client_ip,
                )
                self._orders[out_trade_no] = order
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
            if self._take_tampered_bill():
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
            answer = self._signed(error.status, error.payload())
        except Exception:  # a stand-in bug: answer like WeChat's own failures, and say so
            traceback.print_exc()
            answer = self._signed(500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
        self._wait_if_slow()
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
        if method == "POST" and path == "/v3/pay/transactions/h5":
            return self._signed(200, self._create(_json(body), host))
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

    # -- /_control (``StandInKit._control``)

    def _control_error(self, message: str) -> StandInError:
        return StandInError("PARAM_ERROR", message)

    def _arguments_payload(self, message: str) -> dict[str, str]:
        return {"code": "PARAM_ERROR", "message": message}

    def _control_time(self, value: dt.datetime) -> str:
        return rfc3339(value)


def _page(status: int, title: str, inner: str) -> _Answer:
    return cashier_page(status, title, inner, colour="#07c160", note="开发用模拟收银台，非真实微信支付")


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
