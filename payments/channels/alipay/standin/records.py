"""What the Alipay stand-in keeps (trades, refunds, queued notifies) and how it renders them Alipay's way.

The records are plain dataclasses held in memory; the functions here turn them into the members of query
answers, the parameters of ``trade_status_sync`` notifies and the rows of the daily bill.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from payments.channels.alipay.protocol import BEIJING, beijing, yuan
from payments.channels.standin_kit import StandInFailure

PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")


class StandInError(StandInFailure):
    """An Alipay-style failure: ``code`` (40004 business, 40002 invalid arguments, 20000 unavailable),
    ``sub_code`` and ``sub_msg``; ``status`` is the HTTP status of pages and controls (answers are 200)."""

    _MSG = {"40004": "Business Failed", "40002": "Invalid Arguments", "40001": "Missing Required Arguments"}

    def __init__(self, sub_code: str, sub_msg: str, code: str = "40004", status: int = 400) -> None:
        super().__init__(f"{code} {sub_code}: {sub_msg}")
        self.code, self.sub_code, self.sub_msg, self.status = code, sub_code, sub_msg, status

    def payload(self) -> dict[str, str]:
        msg = self._MSG.get(self.code, "Service Currently Unavailable")
        return {"code": self.code, "msg": msg, "sub_code": self.sub_code, "sub_msg": self.sub_msg}


@dataclass
class StandInTrade:
    out_trade_no: str
    trade_no: str
    subject: str
    total: int  # fen
    notify_url: str
    return_url: str
    time_expire: dt.datetime | None
    gmt_create: dt.datetime
    trade_status: str = "WAIT_BUYER_PAY"
    gmt_payment: dt.datetime | None = None
    gmt_close: dt.datetime | None = None
    refunded: int = 0  # refunds accepted and not failed, fen
    buyer_id: str = "2088102177846880"
    buyer_logon_id: str = "dev***@example.com"


@dataclass
class StandInRefund:
    out_request_no: str
    out_trade_no: str
    trade_no: str
    refund: int  # fen
    reason: str
    created: dt.datetime
    status: str = "PROCESSING"  # REFUND_SUCCESS once done (Alipay's refund_status)
    gmt_refund: dt.datetime | None = None


@dataclass
class Notify:
    """A notify to deliver: its parameters but ``notify_time`` and ``sign`` (added at each attempt)."""

    url: str
    params: dict[str, str]
    out_trade_no: str
    out_refund_no: str = ""
    copies: int = 1
    notify_id: str = field(init=False)
    trade_status: str = field(init=False)

    def __post_init__(self) -> None:
        self.notify_id, self.trade_status = self.params["notify_id"], self.params["trade_status"]


def now() -> dt.datetime:
    return dt.datetime.now(BEIJING).replace(microsecond=0)


def new_trade_no(moment: dt.datetime) -> str:
    """28 digits, as Alipay's: the date, ``2200``, then 16 random digits."""
    return f"{moment:%Y%m%d}2200{secrets.randbelow(10**16):016d}"


def new_notify_id(moment: dt.datetime) -> str:
    return f"{moment:%Y%m%d}00222{secrets.token_hex(12)}"


def expire(trade: StandInTrade, moment: dt.datetime) -> None:
    """An unpaid trade past its time_expire is closed (lazily, as Alipay does)."""
    if trade.trade_status == "WAIT_BUYER_PAY" and trade.time_expire is not None and moment > trade.time_expire:
        trade.trade_status, trade.gmt_close = "TRADE_CLOSED", trade.time_expire


def trade_answer(trade: StandInTrade) -> dict[str, Any]:
    """The members of an ``alipay.trade.query`` answer (without ``code``/``msg``)."""
    paid = trade.gmt_payment is not None
    answer: dict[str, Any] = {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_logon_id": trade.buyer_logon_id,
        "trade_status": trade.trade_status,
        "total_amount": yuan(trade.total),
        "buyer_pay_amount": yuan(trade.total if paid else 0),
        "point_amount": "0.00",
        "invoice_amount": yuan(trade.total if paid else 0),
        "receipt_amount": yuan(trade.total if paid else 0),
        "buyer_user_id": trade.buyer_id,
    }
    if trade.gmt_payment is not None:
        answer["send_pay_date"] = beijing(trade.gmt_payment)
    return answer


def notify_params(
    *, app_id: str, seller_id: str, trade: StandInTrade, notify_id: str, refund: StandInRefund | None
) -> dict[str, str]:
    """A ``trade_status_sync`` notify as Alipay sends it, but ``notify_time`` and ``sign``."""
    paid = trade.gmt_payment is not None
    params = {
        "notify_type": "trade_status_sync",
        "notify_id": notify_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "app_id": app_id,
        "auth_app_id": app_id,
        "seller_id": seller_id,
        "seller_email": "dev-seller@example.com",
        "buyer_id": trade.buyer_id,
        "buyer_logon_id": trade.buyer_logon_id,
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.trade_status,
        "subject": trade.subject,
        "total_amount": yuan(trade.total),
        "receipt_amount": yuan(trade.total if paid else 0),
        "invoice_amount": yuan(trade.total if paid else 0),
        "buyer_pay_amount": yuan(trade.total if paid else 0),
        "point_amount": "0.00",
        "gmt_create": beijing(trade.gmt_create),
    }
    if trade.gmt_payment is not None:
        params["gmt_payment"] = beijing(trade.gmt_payment)
        params["fund_bill_list"] = f'[{{"amount":"{yuan(trade.total)}","fundChannel":"ALIPAYACCOUNT"}}]'
    if trade.gmt_close is not None:
        params["gmt_close"] = beijing(trade.gmt_close)
    if refund is not None and refund.gmt_refund is not None:
        params["out_biz_no"] = refund.out_request_no
        params["refund_fee"] = yuan(trade.refunded)  # the trade's refunded total, as Alipay sends it
        params["gmt_refund"] = f"{refund.gmt_refund.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}.000"
    return params


def bill_row(trade: StandInTrade, refund: StandInRefund | None) -> dict[str, str]:
    """A line of the 业务明细: the payment, or one of its refunds (商家实收 negative)."""
    moment = refund.gmt_refund if refund else trade.gmt_payment
    assert moment is not None
    row = {
        "支付宝交易号": trade.trade_no,
        "商户订单号": trade.out_trade_no,
        "业务类型": "退款" if refund else "交易",
        "商品名称": trade.subject,
        "创建时间": beijing(trade.gmt_create),
        "完成时间": beijing(moment),
        "对方账户": trade.buyer_logon_id,
        "订单金额（元）": yuan(trade.total),
        "商家实收（元）": yuan(-refund.refund if refund else trade.total),
        "支付宝红包（元）": "0.00",
        "集分宝（元）": "0.00",
        "支付宝优惠（元）": "0.00",
        "商家优惠（元）": "0.00",
        "券核销金额（元）": "0.00",
        "商家红包消费金额（元）": "0.00",
        "卡消费金额（元）": "0.00",
        "退款批次号/请求号": refund.out_request_no if refund else "",
        "服务费（元）": "0.00" if refund else f"-{fee_yuan(trade.total)}",
        "分润（元）": "0.00",
    }
    return row


def fee_yuan(fen: int, rate: Decimal = Decimal("0.006")) -> str:
    """The service fee for an amount, to the fen (half up)."""
    return f"{(Decimal(fen) * rate / 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"
