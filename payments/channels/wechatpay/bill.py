"""WeChat Pay's daily trade bill (交易账单, ``bill_type=ALL``): parse it into ``BillRow``s, and write it.

The file is CSV in UTF-8: a header row of Chinese column names, one row per payment (交易状态 ``SUCCESS``:
a ``payment`` row) or refund (``REFUND``: a ``refund`` row) with every field prefixed by a backtick, then a
summary header (``总交易单数,...``) and one summary row. Amounts are yuan with two decimals; they become integer
fen through ``Decimal``, never ``float``. Writing is for the stand-in server (``payments.channels.wechatpay.standin``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from payments.channels.base import BillRow, ChannelError
from portal import money

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

TRADE_BILL_HEADER: tuple[str, ...] = (
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
)
SUMMARY_HEADER: tuple[str, ...] = (
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
)
_REQUIRED = ("交易时间", "微信订单号", "商户订单号", "交易状态", "应结订单金额", "商户退款单号", "退款金额", "订单金额")
_CENT = Decimal("0.01")
_YUAN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def yuan_to_fen(text: str) -> int:
    """``"123.45"`` -> ``12345``, exactly (portal.money). Anything that is not a plain amount in whole fen
    is ``malformed``."""
    text = text.strip()
    if not _YUAN.fullmatch(text):
        raise ChannelError("malformed", f"bill amount {text!r}")
    try:
        return money.yuan_to_fen(text)
    except ValueError:
        raise ChannelError("malformed", f"bill amount {text!r}") from None


fen_to_yuan = money.fen_to_yuan


def parse_trade_bill(content: bytes) -> list[BillRow]:
    """The detail rows of a downloaded trade bill. Raises ``ChannelError("malformed")`` on anything odd."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ChannelError("malformed", "bill is not UTF-8") from None
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(field.strip() for field in row)]
    if not rows:
        raise ChannelError("malformed", "empty bill")
    header = [name.strip().lstrip("`") for name in rows[0]]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise ChannelError("malformed", f"bill header lacks {','.join(missing)}")
    column = {name: index for index, name in enumerate(header)}
    result: list[BillRow] = []
    for number, raw in enumerate(rows[1:], start=2):
        if raw[0].strip().lstrip("`") == SUMMARY_HEADER[0]:
            return result
        if len(raw) != len(header):
            raise ChannelError("malformed", f"bill line {number}: {len(raw)} fields, header has {len(header)}")
        field = {name: raw[index].strip().removeprefix("`").strip() for name, index in column.items()}
        result.append(_bill_row(field, number))
    raise ChannelError("malformed", "bill has no summary (truncated?)")


def _bill_row(field: Mapping[str, str], number: int) -> BillRow:
    state = field["交易状态"]
    if state not in ("SUCCESS", "REFUND"):
        raise ChannelError("malformed", f"bill line {number}: trade state {state!r}")
    try:
        trade_time = dt.datetime.strptime(field["交易时间"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        raise ChannelError("malformed", f"bill line {number}: trade time {field['交易时间']!r}") from None
    # 订单金额 is the order amount before coupons; older bills only have 应结订单金额.
    amount = field.get("订单金额") or field["应结订单金额"]
    refund = field.get("申请退款金额") or field["退款金额"]
    is_refund = state == "REFUND"
    return BillRow(
        trade_time=trade_time,
        kind="refund" if is_refund else "payment",
        out_trade_no=field["商户订单号"],
        transaction_id=field["微信订单号"],
        amount_fen=yuan_to_fen(amount),
        refund_fen=yuan_to_fen(refund) if is_refund else 0,
        out_refund_no=field["商户退款单号"] if is_refund else "",
    )


def render_trade_bill(rows: Sequence[Mapping[str, str]]) -> bytes:
    """A trade bill file from rows keyed by ``TRADE_BILL_HEADER`` names (missing fields are empty).

    Amount fields are yuan strings. The summary sums payments' amounts and refunds' amounts.
    """

    def total(name: str, state: str | None = None) -> Decimal:
        return sum(
            (Decimal(r.get(name) or "0") for r in rows if state is None or r.get("交易状态") == state), Decimal()
        )

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TRADE_BILL_HEADER)
    for row in rows:
        writer.writerow(["`" + row.get(name, "") for name in TRADE_BILL_HEADER])
    writer.writerow(SUMMARY_HEADER)
    summary = [
        str(len(rows)),
        f"{total('应结订单金额', 'SUCCESS'):.2f}",
        f"{total('退款金额', 'REFUND'):.2f}",
        f"{total('充值券退款金额', 'REFUND'):.2f}",
        f"{total('手续费'):.5f}",
        f"{total('订单金额', 'SUCCESS'):.2f}",
        f"{total('申请退款金额', 'REFUND'):.2f}",
    ]
    writer.writerow(["`" + value for value in summary])
    return out.getvalue().encode("utf-8")


def fee_yuan(fen: int, rate: Decimal = Decimal("0.006")) -> str:
    """The channel fee for an amount, to the fen (half up), written as WeChat does with five decimals."""
    return f"{(Decimal(fen) * rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP):.5f}"
