"""What the stand-in keeps (orders, refunds, queued notifies) and how it renders them the WeChat way.

The records are plain dataclasses held in memory by the stand-in; the functions here turn them into the JSON
of query answers and notify resources, the encrypted notify envelope and the rows of the daily trade bill.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from payments.channels.standin_kit import StandInFailure
from payments.channels.wechatpay.bill import BEIJING, fee_yuan, fen_to_yuan
from payments.channels.wechatpay.client import encrypt_resource, rfc3339

_PAID = ("SUCCESS", "REFUND")


class StandInError(StandInFailure):
    """A WeChat-style business error: HTTP ``status`` with ``{"code", "message"}``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status

    def payload(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class StandInOrder:
    out_trade_no: str
    appid: str
    mchid: str
    description: str
    total: int
    notify_url: str
    trade_type: str  # MWEB (H5), the only kind the stand-in serves
    time_expire: dt.datetime | None
    prepay_id: str
    openid: str = ""  # the payer's; a development openid stands in for it in answers
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
