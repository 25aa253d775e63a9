"""The Alipay stand-in's side of the gateway: the OpenAPI methods, the wap cashier, the bill file, ``/_control``.

``StandInApi._dispatch`` takes one HTTP request (method, target, lower-cased headers, body) and returns the
answer. ``/gateway.do`` takes the signed parameters (query string and/or form body), checks them as Alipay
does (app_id, RSA2 signature with the app's public key, timestamp, format/charset/version) and answers
``{"<method>_response": {...}, "sign": ...}`` signed with the stand-in's "Alipay" key, with Alipay's codes
(10000, 40002 isv.*, 40004 ACQ.*/isp.*); ``alipay.trade.wap.pay`` opened there is the cashier page, whose
button POSTs to ``/cashier/pay``. ``/bill/download`` serves bill files, ``/_control`` drives the controls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import secrets
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from payments.channels.alipay.bill import render_trade_bill
from payments.channels.alipay.protocol import (
    BEIJING,
    GATEWAY_PATH,
    SUCCESS,
    answer_key,
    beijing,
    fen,
    notify_content,
    parse_beijing,
    parse_form,
    render_answer,
    rsa2_sign,
    rsa2_verify,
    signing_content,
    yuan,
)
from payments.channels.alipay.standin.records import (
    PAID,
    StandInError,
    StandInRefund,
    StandInTrade,
    bill_row,
    expire,
    now,
    trade_answer,
)
from payments.channels.alipay.standin.state import StandInState
from payments.channels.standin_kit import FAULT_CONTROLS, cashier_page
from payments.channels.standin_kit import Answer as _Answer

_NUMBER = re.compile(r"[A-Za-z0-9_]{1,64}")  # out_trade_no, out_request_no: letters, digits, underscores
_MAX_FEN = 100_000_000_00  # 100,000,000.00 yuan
_TIMESTAMP_WINDOW = 15 * 60


class StandInApi(StandInState):
    """Request handling: the gateway methods the adapter uses, the cashier, the bill file, the controls."""

    CONTROLS = FAULT_CONTROLS | {"open_order", "send_foreign_notify", "fail_next_requests", "forge_next_answers"}

    # -- the request rules

    def open_order(self, h5_url: str) -> StandInTrade:
        return self._open(self._wap_terms(_form(urlsplit(h5_url).query.encode())))

    def _authenticate(self, params: Mapping[str, str], *, check_time: bool = True) -> str:
        """Alipay's checks of the common parameters; the method name."""
        for name in ("app_id", "method", "sign", "sign_type", "timestamp", "version"):
            if not params.get(name):
                raise StandInError(f"isv.missing-{name.replace('_', '-')}", f"缺少{name}参数", "40001")
        if params["app_id"] != self.app_id:
            raise StandInError("isv.invalid-app-id", "无效的AppID参数", "40002")
        if params.get("format", "JSON").upper() != "JSON":
            raise StandInError("isv.invalid-format", "无效的数据格式参数", "40002")
        if params.get("charset", "utf-8").lower() != "utf-8":
            raise StandInError("isv.invalid-charset", "字符集错误", "40002")
        if params["sign_type"] != "RSA2":
            raise StandInError("isv.invalid-signature-type", "无效的签名类型", "40002")
        if params["version"] != "1.0":
            raise StandInError("isv.invalid-version", "版本号错误", "40002")
        try:
            sent = parse_beijing(params["timestamp"])
        except ValueError:
            raise StandInError("isv.invalid-timestamp", "非法的时间戳参数", "40002") from None
        if check_time and abs((now() - sent).total_seconds()) > _TIMESTAMP_WINDOW:
            raise StandInError("isv.invalid-timestamp", "非法的时间戳参数", "40002")
        if not rsa2_verify(self._app_key, signing_content(params), params["sign"]):
            raise StandInError(
                "isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配", "40002"
            )
        return params["method"]

    def _wap_terms(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The terms of a verified ``alipay.trade.wap.pay`` request (the cashier does not check its age)."""
        if self._authenticate(params, check_time=False) != "alipay.trade.wap.pay":
            raise StandInError("isv.invalid-method", "不存在的方法名", "40002")
        biz = _biz(params)
        out_trade_no, subject = _text(biz, "out_trade_no", _NUMBER), _text(biz, "subject")
        if biz.get("product_code") != "QUICK_WAP_WAY":
            raise StandInError("ACQ.PRODUCT_CODE_ERROR", "产品码错误")
        expire_at = None
        if biz.get("time_expire"):
            try:
                expire_at = parse_beijing(str(biz["time_expire"]))
            except ValueError:
                raise StandInError(
                    "isv.invalid-parameter", "time_expire 格式应为 yyyy-MM-dd HH:mm:ss", "40002"
                ) from None
        notify_url = params.get("notify_url", "")
        if notify_url and not notify_url.startswith(("http://", "https://")):
            raise StandInError("isv.invalid-notify-url", "notify_url 不合法", "40002")
        return {
            "out_trade_no": out_trade_no,
            "subject": subject[:256],
            "total": _amount(biz, "total_amount"),
            "time_expire": expire_at,
            "notify_url": notify_url,
            "return_url": params.get("return_url", ""),
        }

    # -- the methods

    def _query(self, biz: Mapping[str, Any], host: str) -> dict[str, Any]:
        with self._lock:
            trade = self._trade(biz)
            expire(trade, now())
            return trade_answer(trade)

    def _close(self, biz: Mapping[str, Any], host: str) -> dict[str, Any]:
        with self._lock:
            trade = self._trade(biz)
            expire(trade, now())
            if trade.trade_status in PAID or trade.gmt_payment is not None:
                raise StandInError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if trade.trade_status == "WAIT_BUYER_PAY":
                trade.trade_status, trade.gmt_close = "TRADE_CLOSED", now()
            return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}

    def _refund(self, biz: Mapping[str, Any], host: str) -> dict[str, Any]:
        amount = _amount(biz, "refund_amount")
        with self._lock:
            trade = self._trade(biz)
            out_request_no = str(biz.get("out_request_no") or trade.out_trade_no)
            if not _NUMBER.fullmatch(out_request_no):
                raise StandInError("isv.invalid-parameter", "out_request_no 格式不正确", "40002")
            existing = self._refunds.get(out_request_no)
            if existing is not None:
                if (existing.out_trade_no, existing.refund) != (trade.out_trade_no, amount):
                    raise StandInError("ACQ.INVALID_PARAMETER", "参数与原退款请求不一致")
                return _refund_answer(trade, existing, fund_change=False)  # a repeated request
            expire(trade, now())
            if trade.trade_status == "TRADE_FINISHED":
                raise StandInError("ACQ.TRADE_HAS_FINISHED", "交易已完结")
            if trade.trade_status not in PAID:
                raise StandInError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if amount > trade.total - trade.refunded:
                raise StandInError("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            refund = StandInRefund(
                out_request_no=out_request_no,
                out_trade_no=trade.out_trade_no,
                trade_no=trade.trade_no,
                refund=amount,
                reason=str(biz.get("refund_reason") or ""),
                created=now(),
            )
            self._refunds[out_request_no] = refund
            trade.refunded += amount
        if self.auto_refund_seconds == 0:
            refund = self.complete_refund(out_request_no)
            with self._lock:
                return _refund_answer(self._orders[refund.out_trade_no], refund, fund_change=True)
        if self.auto_refund_seconds is not None:
            timer = threading.Timer(self.auto_refund_seconds, self._auto_complete, args=(out_request_no,))
            timer.daemon = True
            timer.start()
        with self._lock:
            return _refund_answer(self._orders[refund.out_trade_no], refund, fund_change=False)

    def _refund_query(self, biz: Mapping[str, Any], host: str) -> dict[str, Any]:
        with self._lock:
            trade = self._trade(biz)
            refund = self._refunds.get(str(biz.get("out_request_no") or trade.out_trade_no))
            if refund is None or refund.out_trade_no != trade.out_trade_no:
                return {}  # Alipay: success, without the refund's fields
            answer = {
                "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no,
                "out_request_no": refund.out_request_no,
                "total_amount": yuan(trade.total),
                "refund_amount": yuan(refund.refund),
            }
            if refund.status == "REFUND_SUCCESS":
                answer["refund_status"] = "REFUND_SUCCESS"
                options = biz.get("query_options")
                if isinstance(options, list) and "gmt_refund_pay" in options and refund.gmt_refund:
                    answer["gmt_refund_pay"] = beijing(refund.gmt_refund)
            return answer

    def _bill_url(self, biz: Mapping[str, Any], host: str) -> dict[str, Any]:
        if biz.get("bill_type") != "trade":
            raise StandInError("isv.invalid-parameter", "bill_type 仅支持 trade", "40002")
        try:
            day = dt.date.fromisoformat(str(biz.get("bill_date") or ""))
        except ValueError:
            raise StandInError("isv.invalid-parameter", "bill_date 格式应为 yyyy-MM-dd", "40002") from None
        rows: list[tuple[dt.datetime, dict[str, str]]] = []
        with self._lock:
            for trade in self._orders.values():
                if trade.gmt_payment and trade.gmt_payment.astimezone(BEIJING).date() == day:
                    rows.append((trade.gmt_payment, bill_row(trade, None)))
            for refund in self._refunds.values():
                if refund.gmt_refund and refund.gmt_refund.astimezone(BEIJING).date() == day:
                    rows.append((refund.gmt_refund, bill_row(self._orders[refund.out_trade_no], refund)))
            if not rows:
                raise StandInError("isp.bill_not_exist", "账单不存在")
            content = render_trade_bill(
                account=f"{self.seller_id}0156",
                bill_date=day,
                rows=[row for _, row in sorted(rows, key=lambda pair: pair[0])],
                exported_at=now(),
            )
            token = secrets.token_urlsafe(16)
            self._bills[token] = content
        query = urlencode({"bizType": "trade", "fileType": "csv.zip", "downloadFileName": f"{day:%Y%m%d}.csv.zip"})
        return {"bill_download_url": f"http://{host}/bill/download?token={token}&{query}"}

    def _trade(self, biz: Mapping[str, Any]) -> StandInTrade:
        """The trade a request names by out_trade_no (or trade_no); ACQ.TRADE_NOT_EXIST otherwise."""
        out_trade_no, trade_no = biz.get("out_trade_no"), biz.get("trade_no")
        if not out_trade_no and not trade_no:
            raise StandInError("isv.missing-parameter", "out_trade_no 和 trade_no 不能同时为空", "40001")
        trade = self._orders.get(str(out_trade_no)) if out_trade_no else None
        if trade is None and trade_no:
            trade = next((t for t in self._orders.values() if t.trade_no == trade_no), None)
        if trade is None:
            raise StandInError("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return trade

    # -- the bill file

    def _bill_file(self, query: str) -> _Answer:
        token = _form(query.encode()).get("token", "") if query else ""
        with self._lock:
            content = self._bills.get(token)
            if content is None:
                return _Answer(404, "下载链接已失效".encode(), {"Content-Type": "text/plain; charset=utf-8"})
            if self._take_tampered_bill():
                content = content[: len(content) // 2]
        return _Answer(200, content, {"Content-Type": "application/octet-stream"})

    # -- the wap cashier

    def _cashier(self, params: Mapping[str, str]) -> _Answer:
        """The page the payer's browser lands on: the verified order and a pay button."""
        try:
            trade = self._open(self._wap_terms(params))
        except StandInError as error:
            return _page(
                400,
                "支付遇到问题",
                f"<p>错误代码：{html.escape(error.sub_code)}</p><p>{html.escape(error.sub_msg)}</p>",
            )
        return self._trade_page(trade)

    def _cashier_pay(self, body: bytes) -> _Answer:
        """The page's button: pay, then the result (and the way back to the merchant)."""
        out_trade_no = _form(body).get("out_trade_no", "")
        try:
            trade = self.pay(out_trade_no)
        except StandInError as error:
            with self._lock:
                found = self._orders.get(out_trade_no)
                current = dataclasses.replace(found) if found else None
            if current is None:
                return _page(error.status, "交易不存在", "<p>没有找到这笔交易。</p>")
            trade = current
        return self._trade_page(trade)

    def _trade_page(self, trade: StandInTrade) -> _Answer:
        esc = html.escape
        facts = (
            f"<p>收款方：{esc(self.merchant_name)}</p><p>商品：{esc(trade.subject)}</p>"
            f"<p class=amount>¥{yuan(trade.total)}</p>"
        )
        if trade.trade_status in PAID:
            back = ""
            if trade.return_url.startswith(("http://", "https://")):
                back = f'<p><a href="{esc(self._return_link(trade))}">返回商户</a></p>'
            return _page(200, "支付成功", f"{facts}<p class=ok>支付成功</p>{back}")
        if trade.trade_status != "WAIT_BUYER_PAY":
            return _page(400, "交易已关闭", f"{facts}<p>交易已关闭，无法付款。</p>")
        button = (
            '<form method=post action="/cashier/pay">'
            f'<input type=hidden name=out_trade_no value="{esc(trade.out_trade_no)}">'
            "<button type=submit>确认付款</button></form>"
        )
        return _page(200, "支付宝", facts + button)

    def _return_link(self, trade: StandInTrade) -> str:
        """The synchronous return to the merchant, signed as Alipay signs it (like a notify)."""
        params = {
            "method": "alipay.trade.wap.pay.return",
            "app_id": self.app_id,
            "auth_app_id": self.app_id,
            "seller_id": self.seller_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "timestamp": beijing(now()),
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "total_amount": yuan(trade.total),
        }
        params["sign"] = rsa2_sign(self._alipay_key, notify_content(params))
        separator = "&" if "?" in trade.return_url else "?"
        return f"{trade.return_url}{separator}{urlencode(params)}"

    # -- HTTP

    def _dispatch(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Answer:
        url = urlsplit(target)
        host = headers.get("host") or urlsplit(self.base_url).netloc
        if url.path == "/_control" and method == "POST":
            return self._control(body)
        if url.path == "/cashier/pay" and method == "POST":
            return self._cashier_pay(body)
        if url.path == "/bill/download" and method == "GET":
            return self._bill_file(url.query)
        if url.path != GATEWAY_PATH or method not in ("GET", "POST"):
            return _Answer(404, b"not found", {"Content-Type": "text/plain"})
        try:
            params = _form(url.query.encode())
            form = _form(body) if body and "form-urlencoded" in headers.get("content-type", "") else {}
            if params.keys() & form.keys():
                raise StandInError("isv.invalid-parameter", "参数重复", "40002")
            params.update(form)
        except StandInError as error:
            return self._signed("error_response", error.payload())
        if params.get("method") == "alipay.trade.wap.pay":
            return self._cashier(params)
        answer = self._gateway(params, host)
        self._wait_if_slow()
        return answer

    def _gateway(self, params: Mapping[str, str], host: str) -> _Answer:
        api_method = params.get("method", "")
        handler = self._METHODS.get(api_method)
        name = answer_key(api_method) if handler is not None else "error_response"
        try:
            self._authenticate(params)
            if handler is None:
                raise StandInError("isv.invalid-method", "不存在的方法名", "40002")
            biz = _biz(params)
            with self._lock:
                fail = self._fail > 0
                self._fail -= 1 if fail else 0
            if fail:
                raise StandInError(self._fail_sub_code, "系统繁忙")
            payload = {"code": SUCCESS, "msg": "Success", **handler(self, biz, host)}
        except StandInError as error:
            payload = error.payload()
        except Exception:  # a stand-in bug: answer like Alipay's own failures, and say so
            traceback.print_exc()
            payload = {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error"}
        return self._signed(name, payload)

    _METHODS: dict[str, Callable[[StandInApi, Mapping[str, Any], str], dict[str, Any]]] = {
        "alipay.trade.query": _query,
        "alipay.trade.close": _close,
        "alipay.trade.refund": _refund,
        "alipay.trade.fastpay.refund.query": _refund_query,
        "alipay.data.dataservice.bill.downloadurl.query": _bill_url,
    }

    def _signed(self, name: str, payload: Mapping[str, Any]) -> _Answer:
        key = self._alipay_key
        with self._lock:
            if self._forge_answers > 0:
                self._forge_answers -= 1
                key = self._forger()
        return _Answer(200, render_answer(key, name, payload), {"Content-Type": "application/json;charset=utf-8"})

    # -- /_control (``StandInKit._control``)

    def _control_error(self, message: str) -> StandInError:
        return StandInError("isv.invalid-parameter", message, status=400)

    def _arguments_payload(self, message: str) -> dict[str, str]:
        return {"code": "40002", "msg": "Invalid Arguments", "sub_msg": message}

    def _control_time(self, value: dt.datetime) -> str:
        return beijing(value)


def _refund_answer(trade: StandInTrade, refund: StandInRefund, *, fund_change: bool) -> dict[str, Any]:
    """The members of an ``alipay.trade.refund`` answer. ``refund_fee`` is the trade's refunded total."""
    answer = {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_logon_id": trade.buyer_logon_id,
        "buyer_user_id": trade.buyer_id,
        "fund_change": "Y" if fund_change else "N",
        "refund_fee": yuan(trade.refunded),
        "send_back_fee": yuan(refund.refund if refund.gmt_refund else 0),
    }
    if refund.gmt_refund is not None:
        answer["gmt_refund_pay"] = beijing(refund.gmt_refund)
    return answer


def _page(status: int, title: str, inner: str) -> _Answer:
    return cashier_page(status, title, inner, colour="#1677ff", note="开发用模拟收银台，非真实支付宝")


def _form(body: bytes) -> dict[str, str]:
    try:
        return parse_form(body)
    except ValueError as error:
        raise StandInError("isv.invalid-parameter", str(error), "40002") from None


def _biz(params: Mapping[str, str]) -> dict[str, Any]:
    try:
        biz = json.loads(params.get("biz_content") or "")
    except ValueError:
        raise StandInError("isv.invalid-parameter", "biz_content 不是合法的JSON", "40002") from None
    if not isinstance(biz, dict):
        raise StandInError("isv.invalid-parameter", "biz_content 应为JSON对象", "40002")
    return biz


def _text(data: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or (pattern is not None and not pattern.fullmatch(value)):
        raise StandInError("isv.invalid-parameter", f"{key} 缺失或格式不正确", "40002")
    return value


def _amount(data: Mapping[str, Any], key: str) -> int:
    try:
        value = fen(str(data.get(key) or ""))
    except ValueError:
        value = 0
    if not 0 < value <= _MAX_FEN:
        raise StandInError("isv.invalid-parameter", f"{key} 应为 0.01 至 100000000 之间的金额（元）", "40002")
    return value
