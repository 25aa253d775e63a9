"""The WeChat Pay v3 adapter, driven over real HTTP against the local stand-in (its own keys, real signatures)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payments.channels.base import ChannelError, ChannelNotify
from payments.channels.standin import (
    StandInError,
    WeChatPayStandIn,
    dev_channel,
    dev_config,
    dev_standin,
)
from payments.channels.wechatpay import (
    WeChatPay,
    authorization,
    encrypt_resource,
    load_private_key,
    message,
    notify_ack,
    parse_authorization,
    platform_headers,
    verify,
)
from payments.channels.wechatpay_bill import BEIJING, parse_trade_bill, yuan_to_fen

ROOT = Path(__file__).resolve().parents[2]


# --- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture
def standin() -> Iterator[WeChatPayStandIn]:
    server = dev_standin(retry_delays=(0.05, 0.1, 0.2))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def channel(standin: WeChatPayStandIn) -> WeChatPay:
    return dev_channel(standin.base_url, timeout=2.0)


class Receiver:
    """The merchant's notify endpoint: verifies each notify with ``parse_notify`` and answers with ``notify_ack``."""

    def __init__(self, channel: WeChatPay) -> None:
        self.channel = channel
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.notifies: list[ChannelNotify] = []
        self.errors: list[ChannelError] = []
        self.fail_next = 0
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = receiver.receive(dict(self.headers.items()), body)
                content = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pay/notify"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def receive(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        with self.changed:
            self.raw.append((headers, body))
            try:
                notify = self.channel.parse_notify(headers=headers, body=body, now=time.time())
            except ChannelError as error:
                self.errors.append(error)
                self.changed.notify_all()
                return notify_ack(False, error.code)
            self.notifies.append(notify)
            self.changed.notify_all()
            if self.fail_next > 0:
                self.fail_next -= 1
                return notify_ack(False, "busy", status=503)
            return notify_ack(True)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ChannelNotify]:
        """Wait until ``count`` notifies have been verified; the notifies so far."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.notifies) >= count, timeout=timeout)
            return list(self.notifies)


@pytest.fixture
def receiver(channel: WeChatPay) -> Iterator[Receiver]:
    merchant = Receiver(channel)
    yield merchant
    merchant.server.shutdown()
    merchant.server.server_close()


def number(prefix: str = "P") -> str:
    return f"{prefix}{secrets.token_hex(8).upper()}"


def in_30_minutes() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)


def h5_order(channel: WeChatPay, receiver: Receiver, amount_fen: int = 1234, **options: Any) -> str:
    out_trade_no = options.pop("out_trade_no", None) or number()
    channel.create_order(
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        description=options.pop("description", "门诊缴费"),
        notify_url=receiver.url,
        expires_at=options.pop("expires_at", in_30_minutes()),
        **options,
    )
    return out_trade_no


def paid_order(channel: WeChatPay, receiver: Receiver, standin: WeChatPayStandIn, amount_fen: int = 1234) -> str:
    out_trade_no = h5_order(channel, receiver, amount_fen)
    standin.pay(out_trade_no)
    return out_trade_no


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def refused(call: Callable[[], object]) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        call()
    return caught.value


# --- orders -----------------------------------------------------------------------------------------------------


def test_it_creates_an_h5_order_that_stays_unpaid_until_the_payer_pays(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = number()
    order = channel.create_order(
        out_trade_no=out_trade_no,
        amount_fen=1234,
        description="门诊缴费",
        notify_url=receiver.url,
        expires_at=in_30_minutes(),
        scene="h5",
        client_ip="10.1.2.3",
    )

    assert order.out_trade_no == out_trade_no and order.prepay_id is None
    assert order.h5_url == f"{standin.base_url}/h5/pay?out_trade_no={out_trade_no}"
    trade = channel.query_order(out_trade_no=out_trade_no)
    assert (trade.trade_state, trade.transaction_id, trade.amount_fen, trade.success_time) == (
        "NOTPAY",
        None,
        1234,
        None,
    )
    kept = standin.orders[out_trade_no]
    assert (kept.trade_type, kept.client_ip, kept.notify_url, kept.total) == ("MWEB", "10.1.2.3", receiver.url, 1234)
    assert kept.time_expire is not None and kept.time_expire.utcoffset() == dt.timedelta(hours=8)


def test_it_creates_a_jsapi_order_and_gets_the_same_prepay_id_for_the_same_request(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = number()
    request = {
        "out_trade_no": out_trade_no,
        "amount_fen": 500,
        "description": "药品",
        "notify_url": receiver.url,
        "expires_at": in_30_minutes(),
        "scene": "jsapi",
        "payer_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    }

    first = channel.create_order(**request)
    again = channel.create_order(**request)

    assert first.prepay_id and first.prepay_id.startswith("wx") and first.h5_url is None
    assert again.prepay_id == first.prepay_id
    assert standin.orders[out_trade_no].openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert standin.orders[out_trade_no].trade_type == "JSAPI"


def test_it_refuses_an_order_number_reused_with_another_amount(channel: WeChatPay, receiver: Receiver) -> None:
    out_trade_no = h5_order(channel, receiver, 1000)

    error = refused(lambda: h5_order(channel, receiver, 1001, out_trade_no=out_trade_no))

    assert (error.code, error.detail, error.retryable) == ("refused", "INVALID_REQUEST", False)
    assert channel.query_order(out_trade_no=out_trade_no).amount_fen == 1000


def test_an_unknown_order_is_not_found(channel: WeChatPay) -> None:
    error = refused(lambda: channel.query_order(out_trade_no=number()))

    assert (error.code, error.detail) == ("not_found", "ORDER_NOT_EXIST")


def test_it_closes_an_unpaid_order_which_can_then_not_be_paid(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = h5_order(channel, receiver)

    channel.close_order(out_trade_no=out_trade_no)

    assert channel.query_order(out_trade_no=out_trade_no).trade_state == "CLOSED"
    with pytest.raises(StandInError, match="ORDER_CLOSED"):
        standin.pay(out_trade_no)


def test_closing_a_paid_order_is_refused_with_orderpaid(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = paid_order(channel, receiver, standin)

    error = refused(lambda: channel.close_order(out_trade_no=out_trade_no))

    assert (error.code, error.detail, error.retryable) == ("refused", "ORDERPAID", False)
    assert channel.query_order(out_trade_no=out_trade_no).trade_state == "SUCCESS"


def test_an_unpaid_order_past_its_expiry_is_closed_on_query(channel: WeChatPay, receiver: Receiver) -> None:
    out_trade_no = h5_order(channel, receiver, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert channel.query_order(out_trade_no=out_trade_no).trade_state == "NOTPAY"

    assert eventually(lambda: channel.query_order(out_trade_no=out_trade_no).trade_state == "CLOSED", timeout=3)


# --- payment notifies -------------------------------------------------------------------------------------------


def test_a_paid_order_is_notified_with_a_verified_and_decrypted_transaction(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = h5_order(channel, receiver, 1234)

    paid = standin.pay(out_trade_no)
    [notify] = receiver.wait_for(1)

    assert notify.kind == "transaction" and notify.event_type == "TRANSACTION.SUCCESS"
    assert (notify.mchid, notify.appid) == ("1900000109", "wxd678efh567hg6787")
    assert (notify.out_trade_no, notify.trade_state, notify.amount_fen) == (out_trade_no, "SUCCESS", 1234)
    assert notify.transaction_id == paid.transaction_id and len(paid.transaction_id) == 28
    headers, body = receiver.raw[0]
    envelope = json.loads(body)
    assert envelope["id"] == notify.notify_id and envelope["resource_type"] == "encrypt-resource"
    resource = envelope["resource"]
    assert (resource["algorithm"], resource["associated_data"], resource["original_type"]) == (
        "AEAD_AES_256_GCM",
        "transaction",
        "transaction",
    )
    assert len(resource["nonce"]) == 12 and out_trade_no.encode() not in base64.b64decode(resource["ciphertext"])
    assert headers["Wechatpay-Serial"] == "DEVPLATFORM0001"
    trade = channel.query_order(out_trade_no=out_trade_no)
    assert (trade.trade_state, trade.transaction_id, trade.amount_fen, trade.payer_total_fen) == (
        "SUCCESS",
        paid.transaction_id,
        1234,
        1234,
    )
    assert trade.success_time is not None and abs(trade.success_time - dt.datetime.now(dt.UTC)) < dt.timedelta(
        seconds=5
    )
    assert [(e["attempt"], e["status"]) for e in standin.notify_log] == [(1, 200)]


def test_it_retries_a_notify_until_the_merchant_acknowledges_it(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    receiver.fail_next = 2

    paid_order(channel, receiver, standin)
    notifies = receiver.wait_for(3)

    assert len({n.notify_id for n in notifies}) == 1
    assert eventually(lambda: len(standin.notify_log) == 3)
    assert [(e["attempt"], e["status"]) for e in standin.notify_log] == [(1, 503), (2, 503), (3, 200)]


def test_a_duplicated_notify_arrives_twice_with_the_same_id(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    standin.duplicate_notifies(1)

    out_trade_no = paid_order(channel, receiver, standin)
    first, second = receiver.wait_for(2)

    assert first.notify_id == second.notify_id and first.out_trade_no == second.out_trade_no == out_trade_no
    time.sleep(0.2)
    assert len(receiver.notifies) == 2


def test_a_dropped_notify_never_arrives_but_a_query_shows_the_payment(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    standin.drop_notifies(1)

    out_trade_no = paid_order(channel, receiver, standin)
    time.sleep(0.3)

    assert receiver.raw == []
    assert [(e["out_trade_no"], e["error"]) for e in standin.notify_log] == [(out_trade_no, "dropped")]
    assert channel.query_order(out_trade_no=out_trade_no).trade_state == "SUCCESS"
    second = paid_order(channel, receiver, standin)
    assert [n.out_trade_no for n in receiver.wait_for(1)] == [second]


def test_held_notifies_are_delivered_later_in_reverse_order(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    standin.hold_notifies()
    first = paid_order(channel, receiver, standin)
    second = paid_order(channel, receiver, standin)
    time.sleep(0.2)
    assert receiver.raw == []

    assert standin.release_notifies(reverse=True) == 2

    assert [n.out_trade_no for n in receiver.wait_for(2)] == [second, first]


def test_a_delayed_notify_arrives_only_after_the_delay(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    standin.delay_notifies(0.5)
    started = time.monotonic()

    paid_order(channel, receiver, standin)

    assert receiver.wait_for(1, timeout=0.2) == []
    assert len(receiver.wait_for(1)) == 1 and time.monotonic() - started >= 0.5


def test_it_refuses_a_forged_notify(channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver) -> None:
    out_trade_no = h5_order(channel, receiver)

    status = standin.send_forged_notify(receiver.url, out_trade_no, 1234)

    assert status == 400
    assert [e.code for e in receiver.errors] == ["bad_signature"] and receiver.notifies == []
    assert channel.query_order(out_trade_no=out_trade_no).trade_state == "NOTPAY"


def test_it_refuses_a_stale_notify(channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver) -> None:
    status = standin.send_stale_notify(receiver.url, number(), 1234)

    assert status == 400
    assert [e.code for e in receiver.errors] == ["stale"] and receiver.notifies == []
    assert [(e["kind"], e["status"]) for e in standin.notify_log] == [("stale", 400)]


def test_it_accepts_a_notify_only_within_its_freshness_window_and_with_any_header_case(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    paid_order(channel, receiver, standin)
    receiver.wait_for(1)
    headers, body = receiver.raw[0]
    sent_at = int(headers["Wechatpay-Timestamp"])
    upper = {name.upper(): value for name, value in headers.items()}

    assert (
        channel.parse_notify(headers=upper, body=body, now=sent_at + 300).out_trade_no
        == receiver.notifies[0].out_trade_no
    )
    assert refused(lambda: channel.parse_notify(headers=headers, body=body, now=sent_at + 301)).code == "stale"
    assert refused(lambda: channel.parse_notify(headers=headers, body=body, now=sent_at - 301)).code == "stale"


def test_it_refuses_a_notify_whose_body_was_tampered_with(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    paid_order(channel, receiver, standin)
    receiver.wait_for(1)
    headers, body = receiver.raw[0]
    tampered = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCES ")
    unsigned = {k: v for k, v in headers.items() if k != "Wechatpay-Signature"}

    assert (
        refused(lambda: channel.parse_notify(headers=headers, body=tampered, now=time.time())).code == "bad_signature"
    )
    assert refused(lambda: channel.parse_notify(headers=unsigned, body=body, now=time.time())).code == "bad_signature"


def test_it_refuses_a_signed_notify_whose_resource_was_encrypted_under_another_key(channel: WeChatPay) -> None:
    config = dev_config()
    resource = {"mchid": config["mchid"], "out_trade_no": number(), "trade_state": "SUCCESS", "amount": {"total": 1}}
    body = json.dumps(
        {
            "id": "x",
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "resource": encrypt_resource(
                b"another-apiv3-key-of-32-bytes-xx", json.dumps(resource).encode(), "transaction", "transaction"
            ),
        }
    ).encode()
    headers = platform_headers(
        key=load_private_key(config["platform_private_key_pem"]), serial=config["platform_serial"], body=body
    )

    error = refused(lambda: channel.parse_notify(headers=headers, body=body, now=time.time()))

    assert (error.code, error.detail) == ("bad_signature", "resource does not decrypt")


# --- refunds ----------------------------------------------------------------------------------------------------


def test_it_refunds_in_parts_notifies_each_refund_and_refuses_more_than_was_paid(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = paid_order(channel, receiver, standin, 1000)
    receiver.wait_for(1)

    partial = channel.refund(
        out_trade_no=out_trade_no,
        out_refund_no=number("R"),
        refund_fen=300,
        total_fen=1000,
        reason="部分退费",
        notify_url=receiver.url,
    )
    rest = channel.refund(
        out_trade_no=out_trade_no,
        out_refund_no=number("R"),
        refund_fen=700,
        total_fen=1000,
        reason="退费",
        notify_url=receiver.url,
    )
    over = refused(
        lambda: channel.refund(
            out_trade_no=out_trade_no,
            out_refund_no=number("R"),
            refund_fen=1,
            total_fen=1000,
            reason="多退",
            notify_url=receiver.url,
        )
    )

    assert (partial.status, partial.refund_fen, partial.out_trade_no) == ("PROCESSING", 300, out_trade_no)
    assert partial.refund_id and rest.refund_fen == 700
    assert (over.code, over.detail, over.retryable) == ("refused", "NOT_ENOUGH", False)
    refund_notifies = [n for n in receiver.wait_for(3) if n.kind == "refund"]
    assert sorted((n.out_refund_no, n.refund_fen) for n in refund_notifies) == sorted(
        [(partial.out_refund_no, 300), (rest.out_refund_no, 700)]
    )
    assert {(n.event_type, n.refund_status, n.amount_fen, n.appid, n.trade_state) for n in refund_notifies} == {
        ("REFUND.SUCCESS", "SUCCESS", 1000, None, None)
    }
    queried = channel.query_refund(out_refund_no=partial.out_refund_no)
    assert (queried.status, queried.refund_fen, queried.refund_id) == ("SUCCESS", 300, partial.refund_id)
    assert channel.query_order(out_trade_no=out_trade_no).trade_state == "REFUND"


def test_refunding_an_unpaid_order_is_refused(channel: WeChatPay, receiver: Receiver) -> None:
    out_trade_no = h5_order(channel, receiver, 1000)

    error = refused(
        lambda: channel.refund(
            out_trade_no=out_trade_no,
            out_refund_no=number("R"),
            refund_fen=100,
            total_fen=1000,
            reason="退费",
            notify_url=receiver.url,
        )
    )

    assert (error.code, error.detail) == ("refused", "INVALID_REQUEST")


def test_a_refund_stays_processing_until_the_channel_completes_it_and_repeats_are_idempotent(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    standin.auto_refund_seconds = None
    out_trade_no = paid_order(channel, receiver, standin, 800)
    out_refund_no = number("R")

    def ask(fen: int) -> Any:
        return channel.refund(
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
            refund_fen=fen,
            total_fen=800,
            reason="退费",
            notify_url=receiver.url,
        )

    first, again = ask(800), ask(800)
    assert first.status == again.status == "PROCESSING" and first.refund_id == again.refund_id
    assert refused(lambda: ask(500)).detail == "INVALID_REQUEST"
    assert channel.query_refund(out_refund_no=out_refund_no).status == "PROCESSING"

    standin.complete_refund(out_refund_no)

    assert channel.query_refund(out_refund_no=out_refund_no).status == "SUCCESS"
    notify = receiver.wait_for(2)[-1]
    assert (notify.kind, notify.out_refund_no, notify.refund_status, notify.refund_fen) == (
        "refund",
        out_refund_no,
        "SUCCESS",
        800,
    )


def test_an_unknown_refund_is_not_found(channel: WeChatPay) -> None:
    error = refused(lambda: channel.query_refund(out_refund_no=number("R")))

    assert (error.code, error.detail) == ("not_found", "RESOURCE_NOT_EXISTS")


# --- the trade bill ---------------------------------------------------------------------------------------------


def test_it_downloads_and_parses_the_trade_bill_with_exact_fen_amounts(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    one_fen = paid_order(channel, receiver, standin, 1)
    refunded = paid_order(channel, receiver, standin, 12345)
    large = paid_order(channel, receiver, standin, 1999999)
    h5_order(channel, receiver, 777)  # unpaid: not in the bill
    out_refund_no = number("R")
    channel.refund(
        out_trade_no=refunded,
        out_refund_no=out_refund_no,
        refund_fen=2345,
        total_fen=12345,
        reason="退费",
        notify_url=receiver.url,
    )
    assert eventually(lambda: standin.refunds[out_refund_no].status == "SUCCESS")

    rows = channel.trade_bill(bill_date=dt.datetime.now(BEIJING).date())

    payments = {row.out_trade_no: row for row in rows if row.trade_state == "SUCCESS"}
    assert {no: row.amount_fen for no, row in payments.items()} == {one_fen: 1, refunded: 12345, large: 1999999}
    assert payments[large].transaction_id == standin.orders[large].transaction_id
    [refund_row] = [row for row in rows if row.trade_state == "REFUND"]
    assert (refund_row.out_trade_no, refund_row.out_refund_no, refund_row.refund_fen, refund_row.amount_fen) == (
        refunded,
        out_refund_no,
        2345,
        12345,
    )
    assert all(row.trade_time.utcoffset() == dt.timedelta(hours=8) for row in rows)
    assert {row.refund_fen for row in payments.values()} == {0}


def test_a_bill_that_does_not_match_its_announced_hash_is_refused(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    paid_order(channel, receiver, standin)
    standin.tamper_next_bills(1)

    error = refused(lambda: channel.trade_bill(bill_date=dt.datetime.now(BEIJING).date()))

    assert (error.code, error.detail) == ("bad_signature", "bill hash")


def test_a_day_without_trades_has_no_bill(channel: WeChatPay) -> None:
    error = refused(lambda: channel.trade_bill(bill_date=dt.date(2020, 1, 1)))

    assert (error.code, error.detail) == ("not_found", "NO_STATEMENT_EXIST")


BILL = (
    "\ufeff交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,"
    "费率,订单金额,申请退款金额,费率备注\r\n"
    "`2026-03-01 09:15:02,`wxd678efh567hg6787,`1900000109,`0,`,`4200002026030112345678901234,`P1,`oUpF8u,`JSAPI,"
    "`SUCCESS,`OTHERS,`CNY,`0.29,`0.00,`0,`0,`0.00,`0.00,`,`,`门诊缴费,`,`0.00000,`0.60%,`0.29,`0.00,`\r\n"
    "`2026-03-01 23:59:59,`wxd678efh567hg6787,`1900000109,`0,`,`4200002026030112345678909999,`P2,`oUpF8u,`MWEB,"
    "`REFUND,`OTHERS,`CNY,`1234567.89,`0.00,`50300001234567890123456789012,`R2,`1.10,`0.00,`ORIGINAL,`SUCCESS,"
    "`药品,`,`0.00000,`0.60%,`1234567.89,`1.10,`\r\n"
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
    "`2,`1234568.18,`1.10,`0.00,`0.00000,`1234568.18,`1.10\r\n"
)


def test_the_bill_parser_reads_wechats_format_in_exact_fen_and_stops_at_the_summary() -> None:
    first, second = parse_trade_bill(BILL.encode())

    assert (first.out_trade_no, first.trade_state, first.amount_fen, first.refund_fen) == ("P1", "SUCCESS", 29, 0)
    assert first.trade_time == dt.datetime(2026, 3, 1, 9, 15, 2, tzinfo=BEIJING)
    assert first.transaction_id == "4200002026030112345678901234"
    assert (second.trade_state, second.amount_fen, second.refund_fen, second.out_refund_no) == (
        "REFUND",
        123456789,
        110,
        "R2",
    )
    assert yuan_to_fen("0.29") == 29 and int(Decimal("0.29") * 100) == 29 and int(0.29 * 100) == 28


def test_the_bill_parser_refuses_fractions_of_a_fen_and_truncated_files() -> None:
    summary_at = BILL.index("总交易单数")

    assert refused(lambda: yuan_to_fen("1.234")).code == "malformed"
    assert refused(lambda: yuan_to_fen("NaN")).code == "malformed"
    assert refused(lambda: parse_trade_bill(BILL[:summary_at].encode())).code == "malformed"
    assert refused(lambda: parse_trade_bill(BILL.replace("`0.29,", "`0.295,").encode())).code == "malformed"


# --- answers that must not be trusted, and network failures ------------------------------------------------------


def test_it_refuses_an_answer_signed_with_another_platform_key() -> None:
    impostor_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = impostor_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    impostor = dev_standin(platform_private_key_pem=pem)
    try:
        channel = dev_channel(impostor.start(), timeout=2.0)
        error = refused(lambda: channel.query_order(out_trade_no=number()))
    finally:
        impostor.stop()

    assert (error.code, error.detail, error.retryable) == ("bad_signature", "signature does not verify", False)


def test_it_refuses_an_answer_from_an_unknown_platform_serial() -> None:
    other = dev_standin(platform_serial="UNKNOWN0001")
    try:
        channel = dev_channel(other.start(), timeout=2.0)
        error = refused(
            lambda: channel.create_order(
                out_trade_no=number(),
                amount_fen=1,
                description="x",
                notify_url="http://127.0.0.1:9/n",
                expires_at=in_30_minutes(),
            )
        )
    finally:
        other.stop()

    assert (error.code, error.detail) == ("bad_signature", "unknown platform serial UNKNOWN0001")


def test_a_slow_answer_is_a_retryable_timeout_although_the_call_took_effect(
    standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    impatient = dev_channel(standin.base_url, timeout=0.3)
    standin.timeout_next_requests(1, 2.0)

    error = refused(lambda: h5_order(impatient, receiver, 100))

    assert (error.code, error.retryable) == ("timeout", True)
    [kept] = standin.orders.values()
    assert impatient.query_order(out_trade_no=kept.out_trade_no).trade_state == "NOTPAY"


def test_a_channel_that_does_not_listen_is_unavailable_and_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = dev_channel(f"http://127.0.0.1:{port}", timeout=1.0)

    error = refused(lambda: channel.query_order(out_trade_no=number()))

    assert (error.code, error.retryable) == ("unavailable", True)


def test_the_standin_refuses_requests_not_signed_by_the_merchant(standin: WeChatPayStandIn) -> None:
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(f"{standin.base_url}/v3/refund/domestic/refunds/R1", timeout=2)
    assert unsigned.value.code == 401 and json.loads(unsigned.value.read())["code"] == "SIGN_ERROR"
    assert unsigned.value.headers["Wechatpay-Serial"] == "DEVPLATFORM0001"

    config = dev_config()
    stranger = WeChatPay(
        base_url=standin.base_url,
        mchid=config["mchid"],
        appid=config["appid"],
        merchant_private_key_pem=rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        merchant_serial=config["merchant_serial"],
        platform_public_keys={config["platform_serial"]: config["platform_public_key_pem"]},
        apiv3_key=config["apiv3_key"],
    )
    error = refused(lambda: stranger.query_order(out_trade_no=number()))
    assert (error.code, error.detail) == ("refused", "SIGN_ERROR")


def test_a_request_is_signed_in_the_v3_authorization_format() -> None:
    config = dev_config()
    body = b'{"mchid":"1900000109"}'
    target = "/v3/pay/transactions/out-trade-no/P1234567/close"

    header = authorization(
        mchid=config["mchid"],
        serial=config["merchant_serial"],
        key=load_private_key(config["merchant_private_key_pem"]),
        method="POST",
        target=target,
        body=body,
    )

    assert re.fullmatch(
        r'WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="[A-Z0-9]{32}",signature="[A-Za-z0-9+/=]{344}",'
        r'timestamp="\d{10}",serial_no="DEVMERCHANT0001"',
        header,
    )
    params = parse_authorization(header)
    assert params is not None
    signed = message("POST", target, params["timestamp"], params["nonce_str"], body)
    assert signed.endswith(b'\n{"mchid":"1900000109"}\n') and signed.startswith(b"POST\n" + target.encode() + b"\n")
    public_key = serialization.load_pem_public_key(config["merchant_public_key_pem"])
    assert isinstance(public_key, rsa.RSAPublicKey) and verify(public_key, signed, params["signature"])


# --- the H5 cashier page, the control endpoint, the command line -------------------------------------------------


def test_the_h5_page_shows_the_amount_and_paying_through_it_works(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = number()
    order = channel.create_order(
        out_trade_no=out_trade_no,
        amount_fen=1234,
        description="门诊缴费 <急诊>",
        notify_url=receiver.url,
        expires_at=in_30_minutes(),
    )
    back = "https://portal.example/orders/1?paid=1"
    assert order.h5_url is not None

    with urllib.request.urlopen(f"{order.h5_url}&redirect_url={quote(back, safe='')}", timeout=2) as page:
        cashier = page.read().decode()
    form = urlencode({"out_trade_no": out_trade_no, "redirect_url": back}).encode()
    with urllib.request.urlopen(f"{standin.base_url}/h5/pay", data=form, timeout=2) as page:
        done = page.read().decode()

    assert '<html lang="zh-hans">' in cashier and "¥12.34" in cashier and "确认支付" in cashier
    assert "门诊缴费 &lt;急诊&gt;" in cashier and "1900000109" in cashier and 'action="/h5/pay"' in cashier
    assert "支付成功" in done and 'href="https://portal.example/orders/1?paid=1"' in done
    assert receiver.wait_for(1)[0].out_trade_no == out_trade_no
    assert channel.query_order(out_trade_no=out_trade_no).trade_state == "SUCCESS"


def test_the_control_endpoint_drives_the_standin_from_another_process(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = h5_order(channel, receiver)

    def control(**command: Any) -> tuple[int, Any]:
        request = urllib.request.Request(f"{standin.base_url}/_control", data=json.dumps(command).encode())
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    status, paid = control(action="pay", out_trade_no=out_trade_no)
    assert status == 200 and paid["result"]["trade_state"] == "SUCCESS"
    assert paid["result"]["success_time"].endswith("+08:00")
    assert control(action="orders")[1]["result"][out_trade_no]["transaction_id"] == paid["result"]["transaction_id"]
    assert control(action="drop_notifies", n=2) == (200, {"result": None})
    assert control(action="format_disk")[0] == 400
    assert control(action="pay", out_trade_no="P-UNKNOWN-1")[1]["code"] == "ORDER_NOT_EXIST"
    assert receiver.wait_for(1)[0].out_trade_no == out_trade_no


def test_the_command_line_serves_the_standin_with_the_dev_keys() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "payments.channels.standin", "--port", "0", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first_line)
        assert url, first_line
        channel = dev_channel(url.group(), timeout=2.0)
        assert refused(lambda: channel.query_order(out_trade_no=number())).code == "not_found"
    finally:
        process.terminate()
        process.wait(timeout=5)


# --- small pieces -----------------------------------------------------------------------------------------------


def test_notify_ack_answers_what_wechat_expects() -> None:
    assert notify_ack(True) == (200, {"code": "SUCCESS", "message": "成功"})
    assert notify_ack(False, "验签失败") == (400, {"code": "FAIL", "message": "验签失败"})  # never a 500
    assert notify_ack(False, "busy", status=503) == (503, {"code": "FAIL", "message": "busy"})


def test_the_dev_config_has_a_32_byte_apiv3_key_and_matching_key_pairs() -> None:
    config = dev_config()
    pairs = [
        (config["merchant_private_key_pem"], config["merchant_public_key_pem"]),
        (config["platform_private_key_pem"], config["platform_public_key_pem"]),
    ]

    assert len(config["apiv3_key"]) == 32 and AESGCM(config["apiv3_key"])
    for private_pem, public_pem in pairs:
        private = load_private_key(private_pem)
        public = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert private.key_size == 2048 and public == public_pem
        assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
