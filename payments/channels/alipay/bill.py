"""Alipay's daily trade bill (``bill_type=trade``, 业务明细): parse it into ``BillRow``s, and write it.

``alipay.data.dataservice.bill.downloadurl.query`` answers a short-lived ``bill_download_url``; the file
there is a zip holding two CSV files in GBK: the detail (``<account>_<yyyyMMdd>_业务明细.csv``) and a
summary (``..._业务明细(汇总).csv``). The detail file has ``#`` comment lines around the table: a title, the
account and period, ``#----...业务明细列表----``, then the header row (支付宝交易号,商户订单号,业务类型,...),
one row per payment (业务类型 ``交易``) or refund (``退款``), ``#----...业务明细列表结束----`` and the totals.
Fields may carry a trailing tab (it keeps spreadsheets from mangling long numbers). Amounts are yuan; a
refund's 商家实收 is negative. Writing is for the stand-in (:mod:`payments.channels.alipay.standin`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Mapping, Sequence

from payments.channels.alipay.protocol import BEIJING, TIME_FORMAT, fen, yuan
from payments.channels.base import BillRow, ChannelError

DETAIL_HEADER: tuple[str, ...] = (
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
)
_REQUIRED = (
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "完成时间",
    "订单金额（元）",
    "商家实收（元）",
    "退款批次号/请求号",
)
_LIST_START = "#-----------------------------------------业务明细列表----------------------------------------"
_LIST_END = "#-----------------------------------------业务明细列表结束------------------------------------"
_KINDS = {"交易": "payment", "退款": "refund"}
MAX_BILL_BYTES = 64 << 20  # a day's detail file, unpacked


def parse_trade_bill(content: bytes) -> list[BillRow]:
    """The detail rows of a downloaded bill (the zip). Raises ``ChannelError("malformed")`` on anything odd."""
    text = _detail_text(content)
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.startswith(DETAIL_HEADER[0])), None)
    if header_at is None:
        raise ChannelError("malformed", "bill has no detail header")
    end_at = next((i for i in range(header_at + 1, len(lines)) if lines[i].startswith("#")), None)
    if end_at is None or not lines[end_at].startswith("#" + "-" * 10) or "结束" not in lines[end_at]:
        raise ChannelError("malformed", "bill has no end of the detail list (truncated?)")
    table = [row for row in csv.reader(lines[header_at:end_at]) if any(field.strip() for field in row)]
    header = [name.strip() for name in table[0]]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise ChannelError("malformed", f"bill header lacks {','.join(missing)}")
    column = {name: index for index, name in enumerate(header)}
    rows: list[BillRow] = []
    for number, raw in enumerate(table[1:], start=header_at + 2):
        if len(raw) != len(header):
            raise ChannelError("malformed", f"bill line {number}: {len(raw)} fields, header has {len(header)}")
        rows.append(_bill_row({name: raw[index].strip() for name, index in column.items()}, number))
    return rows


def _detail_text(content: bytes) -> str:
    """The detail CSV of the zip, decoded from GBK: the member whose table starts with 支付宝交易号."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for info in archive.infolist():
                if info.is_dir() or info.file_size > MAX_BILL_BYTES:
                    continue
                text = archive.read(info).decode("gbk")
                if any(line.startswith(DETAIL_HEADER[0]) for line in text.splitlines()):
                    return text
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as error:
        raise ChannelError("malformed", f"bill is not a readable zip: {error}") from None
    except UnicodeDecodeError:
        raise ChannelError("malformed", "bill is not GBK") from None
    raise ChannelError("malformed", "bill zip has no detail file")


def _bill_row(field: Mapping[str, str], number: int) -> BillRow:
    kind = _KINDS.get(field["业务类型"])
    if kind is None:
        raise ChannelError("malformed", f"bill line {number}: business type {field['业务类型']!r}")
    moment = field["完成时间"] or field.get("创建时间", "")
    try:
        trade_time = dt.datetime.strptime(moment, TIME_FORMAT).replace(tzinfo=BEIJING)
    except ValueError:
        raise ChannelError("malformed", f"bill line {number}: time {moment!r}") from None
    try:
        amount, received = abs(fen(field["订单金额（元）"])), fen(field["商家实收（元）"])
    except ValueError as error:
        raise ChannelError("malformed", f"bill line {number}: {error}") from None
    out_trade_no, trade_no = field["商户订单号"], field["支付宝交易号"]
    if not out_trade_no or not trade_no:
        raise ChannelError("malformed", f"bill line {number}: no order number")
    if kind == "payment":
        return BillRow(
            trade_time=trade_time, kind="payment", out_trade_no=out_trade_no, transaction_id=trade_no, amount_fen=amount
        )
    out_refund_no = field["退款批次号/请求号"]
    if not out_refund_no:
        raise ChannelError("malformed", f"bill line {number}: a refund without its request number")
    return BillRow(
        trade_time=trade_time,
        kind="refund",
        out_trade_no=out_trade_no,
        transaction_id=trade_no,
        amount_fen=amount,
        refund_fen=abs(received),
        out_refund_no=out_refund_no,
    )


def render_trade_bill(
    *, account: str, bill_date: dt.date, rows: Sequence[Mapping[str, str]], exported_at: dt.datetime
) -> bytes:
    """A bill zip from rows keyed by ``DETAIL_HEADER`` names (missing fields empty; amounts yuan strings)."""

    def total(kind: str, name: str) -> int:
        return sum(fen(row[name]) for row in rows if row.get("业务类型") == kind)

    def count(kind: str) -> int:
        return sum(1 for row in rows if row.get("业务类型") == kind)

    start = dt.datetime.combine(bill_date, dt.time.min)
    period = (
        f"#起始日期：[{start:%Y年%m月%d日 %H:%M:%S}]   终止日期：[{start + dt.timedelta(days=1):%Y年%m月%d日 %H:%M:%S}]"
    )
    out = io.StringIO()
    out.write(f"#支付宝业务明细查询\r\n#账号：[{account}]\r\n{period}\r\n{_LIST_START}\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DETAIL_HEADER)
    for row in rows:
        writer.writerow([row.get(name, "") + "\t" for name in DETAIL_HEADER])
    out.write(f"{_LIST_END}\r\n")
    out.write(
        f"#交易合计：{count('交易')}笔，商家实收共：{yuan(total('交易', '商家实收（元）'))}元\r\n"
        f"#退款合计：{count('退款')}笔，商家实收退款共：{yuan(total('退款', '商家实收（元）'))}元\r\n"
        f"#导出时间：[{exported_at.astimezone(BEIJING):%Y年%m月%d日 %H:%M:%S}]\r\n"
    )
    summary = io.StringIO()
    summary.write(f"#支付宝业务汇总查询\r\n#账号：[{account}]\r\n{period}\r\n")
    csv.writer(summary, lineterminator="\r\n").writerows(
        [
            ("门店编号", "门店名称", "交易订单总笔数", "退款订单总笔数", "订单金额（元）", "商家实收（元）"),
            (
                "",
                "合计",
                str(count("交易")),
                str(count("退款")),
                yuan(total("交易", "订单金额（元）")),
                yuan(total("交易", "商家实收（元）") + total("退款", "商家实收（元）")),
            ),
        ]
    )
    stem = f"{account}_{bill_date:%Y%m%d}"
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}_业务明细.csv", out.getvalue().encode("gbk"))
        archive.writestr(f"{stem}_业务明细(汇总).csv", summary.getvalue().encode("gbk"))
    return packed.getvalue()
