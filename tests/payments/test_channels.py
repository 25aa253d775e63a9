"""The WeChat Pay v3 adapter, driven over real HTTP against the local stand-in (its own keys, real signatures)."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
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
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payments.channels.base import ChannelError, ChannelNotify, NotifyAnswer, RefundState, TradeState
from payments.channels.wechatpay.bill import BEIJING, parse_trade_bill, yuan_to_fen
from payments.channels.wechatpay.client import (
    WeChatPay,
    authorization,
    encrypt_resource,
    load_private_key,
    message,
    parse_authorization,
    platform_headers,
    verify,
)
from payments.channels.wechatpay.standin import (
    StandInError,
    WeChatPayStandIn,
    dev_channel,
    dev_config,
    dev_standin,
)
from payments.channels.wechatpay.standin.dev import dev_transaction_notify
from tests.payments.channel_receiver import serve_notify_endpoint

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
    """The merchant's notify endpoint: verifies each notify with ``parse_notify`` and answers with ``notify_answer``."""

    def __init__(self, channel: WeChatPay) -> None:
        self.channel = channel
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.notifies: list[ChannelNotify] = []
        self.errors: list[ChannelError] = []
        self.fail_next = 0
        self.changed = threading.Condition()
        self.server, self.url = serve_notify_endpoint(self.receive, "/pay/notify")

    def receive(self, headers: dict[str, str], body: bytes) -> NotifyAnswer:
        with self.changed:
            self.raw.append((headers, body))
            try:
                notify = self.channel.parse_notify(headers=headers, body=body, now=time.time())
            except ChannelError as error:
                self.errors.append(error)
                self.changed.notify_all()
                return self.channel.notify_answer(accepted=False, message=error.code)
            self.notifies.append(notify)
            self.changed.notify_all()
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.channel.notify_answer(accepted=False, message="busy", status=503)
            return self.channel.notify_answer(accepted=True)

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
        client_ip="10.1.2.3",
    )

    assert order.out_trade_no == out_trade_no
    assert order.h5_url == f"{standin.base_url}/h5/pay?out_trade_no={out_trade_no}"
    trade = channel.query_order(out_trade_no=out_trade_no)
    assert (trade.state, trade.transaction_id, trade.amount_fen, trade.success_time) == (
        TradeState.WAITING,
        None,
        1234,
        None,
    )
    kept = standin.orders[out_trade_no]
    assert (kept.trade_type, kept.client_ip, kept.notify_url, kept.total) == ("MWEB", "10.1.2.3", receiver.url, 1234)
    assert kept.time_expire is not None and kept.time_expire.utcoffset() == dt.timedelta(hours=8)


def test_the_same_order_asked_again_is_the_same_order(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = number()
    expires_at = in_30_minutes()

    first = h5_order(channel, receiver, 500, out_trade_no=out_trade_no, expires_at=expires_at)
    again = channel.create_order(
        out_trade_no=out_trade_no,
        amount_fen=500,
        description="门诊缴费",
        notify_url=receiver.url,
        expires_at=expires_at,
    )

    assert first == out_trade_no and again.out_trade_no == out_trade_no
    assert len(standin.orders) == 1 and standin.orders[out_trade_no].trade_type == "MWEB"


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

    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.CLOSED
    with pytest.raises(StandInError, match="ORDER_CLOSED"):
        standin.pay(out_trade_no)


def test_closing_a_paid_order_is_refused_with_orderpaid(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = paid_order(channel, receiver, standin)

    error = refused(lambda: channel.close_order(out_trade_no=out_trade_no))

    assert (error.code, error.detail, error.retryable) == ("paid", "ORDERPAID", False)
    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.PAID


def test_an_unpaid_order_past_its_expiry_is_closed_on_query(channel: WeChatPay, receiver: Receiver) -> None:
    out_trade_no = h5_order(channel, receiver, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.WAITING

    assert eventually(lambda: channel.query_order(out_trade_no=out_trade_no).state == TradeState.CLOSED, timeout=3)


# --- payment notifies -------------------------------------------------------------------------------------------


def test_a_paid_order_is_notified_with_a_verified_and_decrypted_transaction(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = h5_order(channel, receiver, 1234)

    paid = standin.pay(out_trade_no)
    [notify] = receiver.wait_for(1)

    assert notify.kind == "transaction" and notify.event == "TRANSACTION.SUCCESS"
    assert (notify.out_trade_no, notify.trade_state, notify.amount_fen) == (out_trade_no, TradeState.PAID, 1234)
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
    assert (trade.state, trade.transaction_id, trade.amount_fen, trade.payer_total_fen) == (
        TradeState.PAID,
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
    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.PAID
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
    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.WAITING


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


def signed_notify(resource: dict[str, Any], event: str = "TRANSACTION.SUCCESS") -> tuple[dict[str, str], bytes]:
    """A notify as the development platform would sign and encrypt it, with this resource."""
    config = dev_config()
    kind = "transaction" if event.startswith("TRANSACTION.") else "refund"
    body = json.dumps(
        {
            "id": secrets.token_hex(8),
            "event_type": event,
            "resource_type": "encrypt-resource",
            "resource": encrypt_resource(config["apiv3_key"], json.dumps(resource).encode(), kind, kind),
        }
    ).encode()
    key = load_private_key(config["platform_private_key_pem"])
    return platform_headers(key=key, serial=config["platform_serial"], body=body), body


def test_it_refuses_a_genuine_notify_for_another_merchant_or_app(channel: WeChatPay) -> None:
    config = dev_config()
    ours = {
        "mchid": config["mchid"],
        "appid": config["appid"],
        "out_trade_no": number(),
        "transaction_id": "4200000000000000000000000001",
        "trade_state": "SUCCESS",
        "amount": {"total": 100},
    }
    refund = {
        "mchid": config["mchid"],
        "out_trade_no": number(),
        "out_refund_no": number("R"),
        "refund_status": "ABNORMAL",
        "amount": {"total": 100, "refund": 40},
    }

    def parse(resource: dict[str, Any], event: str = "TRANSACTION.SUCCESS") -> ChannelNotify:
        headers, body = signed_notify(resource, event)
        return channel.parse_notify(headers=headers, body=body, now=time.time())

    assert parse(ours).trade_state == TradeState.PAID
    assert parse({**ours, "trade_state": "PAYERROR"}).trade_state == TradeState.FAILED
    assert parse(refund, "REFUND.ABNORMAL").refund_state == RefundState.FAILED  # a refund has no appid
    for foreign in (
        {**ours, "mchid": "1900000999"},
        {**ours, "appid": "wx0ther"},
        {k: v for k, v in ours.items() if k != "appid"},
    ):
        assert refused(lambda foreign=foreign: parse(foreign)).code == "foreign"
    assert refused(lambda: parse({**refund, "mchid": "1900000999"}, "REFUND.SUCCESS")).code == "foreign"
    assert refused(lambda: parse({**ours, "trade_state": "PAID"})).code == "malformed"
    # a stored notify decodes again without the checks it passed when it came
    _, body = signed_notify({**ours, "mchid": "1900000999"})
    assert channel.decode_notify(body=body).out_trade_no == ours["out_trade_no"]


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

    assert (partial.state, partial.refund_fen, partial.out_trade_no) == (RefundState.PROCESSING, 300, out_trade_no)
    assert partial.refund_id and rest.refund_fen == 700
    assert (over.code, over.detail, over.retryable) == ("refused", "NOT_ENOUGH", False)
    refund_notifies = [n for n in receiver.wait_for(3) if n.kind == "refund"]
    assert sorted((n.out_refund_no, n.refund_fen) for n in refund_notifies) == sorted(
        [(partial.out_refund_no, 300), (rest.out_refund_no, 700)]
    )
    assert {(n.event, n.refund_state, n.amount_fen, n.trade_state) for n in refund_notifies} == {
        ("REFUND.SUCCESS", RefundState.SUCCEEDED, 1000, None)
    }
    queried = channel.query_refund(out_refund_no=partial.out_refund_no, out_trade_no=out_trade_no)
    assert (queried.state, queried.refund_fen, queried.refund_id) == (RefundState.SUCCEEDED, 300, partial.refund_id)
    # WeChat's REFUND: refunds were asked for (here in full, but a partial refund says the same)
    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.REFUNDED


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
    assert first.state == again.state == RefundState.PROCESSING and first.refund_id == again.refund_id
    assert refused(lambda: ask(500)).detail == "INVALID_REQUEST"
    query = {"out_refund_no": out_refund_no, "out_trade_no": out_trade_no}
    assert channel.query_refund(**query).state == RefundState.PROCESSING

    standin.complete_refund(out_refund_no)

    assert channel.query_refund(**query).state == RefundState.SUCCEEDED
    notify = receiver.wait_for(2)[-1]
    assert (notify.kind, notify.out_refund_no, notify.refund_state, notify.refund_fen) == (
        "refund",
        out_refund_no,
        RefundState.SUCCEEDED,
        800,
    )


def test_an_unknown_refund_is_not_found(channel: WeChatPay) -> None:
    error = refused(lambda: channel.query_refund(out_refund_no=number("R"), out_trade_no=number()))

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

    payments = {row.out_trade_no: row for row in rows if row.kind == "payment"}
    assert {no: row.amount_fen for no, row in payments.items()} == {one_fen: 1, refunded: 12345, large: 1999999}
    assert payments[large].transaction_id == standin.orders[large].transaction_id
    [refund_row] = [row for row in rows if row.kind == "refund"]
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

    assert (first.out_trade_no, first.kind, first.amount_fen, first.refund_fen) == ("P1", "payment", 29, 0)
    assert first.trade_time == dt.datetime(2026, 3, 1, 9, 15, 2, tzinfo=BEIJING)
    assert first.transaction_id == "4200002026030112345678901234"
    assert (second.kind, second.amount_fen, second.refund_fen, second.out_refund_no) == (
        "refund",
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
    assert impatient.query_order(out_trade_no=kept.out_trade_no).state == TradeState.WAITING


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


# --- kept-alive connections -------------------------------------------------------------------------------------


def test_calls_from_one_thread_share_one_connection(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    paid = paid_order(channel, receiver, standin, 300)
    unpaid = h5_order(channel, receiver)
    for _ in range(5):
        channel.query_order(out_trade_no=unpaid)
    channel.close_order(out_trade_no=unpaid)  # a 204 without a body
    assert refused(lambda: channel.query_order(out_trade_no=number())).code == "not_found"  # a 404
    channel.refund(
        out_trade_no=paid,
        out_refund_no=number("R"),
        refund_fen=300,
        total_fen=300,
        reason="退费",
        notify_url=receiver.url,
    )
    assert eventually(lambda: all(r.status == "SUCCESS" for r in standin.refunds.values()))
    assert len(channel.trade_bill(bill_date=dt.datetime.now(BEIJING).date())) == 2  # the answer and the file

    assert standin.connections_accepted == 1
    assert channel._pool.opened == 1


def test_threads_share_the_pool_without_sharing_a_connection_at_once(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    numbers = [h5_order(channel, receiver, 100 + i) for i in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(out_trade_no: str) -> None:
        try:
            start.wait()
            for _ in range(10):
                assert channel.query_order(out_trade_no=out_trade_no).out_trade_no == out_trade_no
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert errors == []
    assert 1 <= standin.connections_accepted <= 4  # at most one per thread calling at the same time
    before = standin.connections_accepted
    for n in numbers:
        channel.query_order(out_trade_no=n)
    assert standin.connections_accepted == before


def test_a_connection_the_server_closed_while_idle_is_replaced(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    out_trade_no = h5_order(channel, receiver)

    assert standin.close_idle_connections() == 1

    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.WAITING
    assert standin.connections_accepted == 2
    channel.query_order(out_trade_no=out_trade_no)
    assert standin.connections_accepted == 2


def test_a_request_the_server_hangs_up_on_over_a_reused_connection_is_sent_once_more_on_a_new_one(
    channel: WeChatPay, standin: WeChatPayStandIn, receiver: Receiver
) -> None:
    first = h5_order(channel, receiver)
    standin.hang_up_next_requests(1)

    second = h5_order(channel, receiver, 777)  # a POST: WeChat's order creation is idempotent on out_trade_no

    assert standin.connections_accepted == 2
    assert {no: order.total for no, order in standin.orders.items()} == {first: 1234, second: 777}

    standin.hang_up_next_requests(2)  # the new connection is hung up on too: that is not retried
    error = refused(lambda: channel.query_order(out_trade_no=first))

    assert (error.code, error.retryable) == ("unavailable", True)
    assert standin.connections_accepted == 3
    assert channel.query_order(out_trade_no=first).state == TradeState.WAITING


def test_a_request_hung_up_on_over_a_new_connection_is_not_sent_again(standin: WeChatPayStandIn) -> None:
    channel = dev_channel(standin.base_url, timeout=2.0)
    standin.hang_up_next_requests(1)

    error = refused(lambda: channel.close_order(out_trade_no=number()))

    assert (error.code, error.retryable) == ("unavailable", True)
    assert standin.connections_accepted == 1
    assert refused(lambda: channel.query_order(out_trade_no=number())).code == "not_found"


def test_idle_connections_are_dropped_after_the_keepalive_time_and_on_close(standin: WeChatPayStandIn) -> None:
    brief = dev_channel(standin.base_url, timeout=2.0, keepalive_seconds=0.0)
    for _ in range(3):
        refused(lambda: brief.query_order(out_trade_no=number()))
    assert standin.connections_accepted == 3

    channel = dev_channel(standin.base_url, timeout=2.0)
    refused(lambda: channel.query_order(out_trade_no=number()))
    channel.close()
    refused(lambda: channel.query_order(out_trade_no=number()))
    assert standin.connections_accepted == 5


def test_the_standin_keeps_connections_alive_and_says_every_answers_length(standin: WeChatPayStandIn) -> None:
    connection = http.client.HTTPConnection(urlsplit(standin.base_url).netloc, timeout=2)
    try:
        for target in ("/v3/refund/domestic/refunds/R1", "/nowhere", "/h5/pay?out_trade_no=P404404"):
            connection.request("GET", target)
            answer = connection.getresponse()
            body = answer.read()
            assert answer.version == 11 and int(answer.headers["Content-Length"]) == len(body) > 0
            assert not answer.will_close
    finally:
        connection.close()
    assert standin.connections_accepted == 1


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
    assert channel.query_order(out_trade_no=out_trade_no).state == TradeState.PAID


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
        [sys.executable, "-m", "payments.channels.wechatpay.standin", "--port", "0", "--quiet"],
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


def test_the_notify_answer_is_what_wechat_expects(channel: WeChatPay) -> None:
    def answer(**options: Any) -> tuple[int, str, Any]:
        given = channel.notify_answer(**options)
        return given.status, given.content_type, json.loads(given.body)

    json_type = "application/json; charset=utf-8"
    assert answer(accepted=True) == (200, json_type, {"code": "SUCCESS", "message": "成功"})
    assert answer(accepted=False, message="验签失败") == (400, json_type, {"code": "FAIL", "message": "验签失败"})
    assert answer(accepted=False, message="busy", status=503) == (503, json_type, {"code": "FAIL", "message": "busy"})
    assert answer(accepted=False)[2] == {"code": "FAIL", "message": "失败"}
    assert len(answer(accepted=False, message="x" * 500)[2]["message"]) == 100
    assert "验签失败".encode() in channel.notify_answer(accepted=False, message="验签失败").body  # not \\u-escaped
    with pytest.raises(ValueError):  # a 2xx would tell WeChat to stop sending
        channel.notify_answer(accepted=False, status=204)
    assert channel.settle_before_answer is False


def test_the_notify_headers_kept_are_the_signed_ones_by_their_canonical_names(channel: WeChatPay) -> None:
    headers, body = dev_transaction_notify(number(), 100)
    received = {name.lower(): value for name, value in headers.items()}
    received.update({"content-type": "application/json", "user-agent": "Mozilla/4.0", "cookie": "a=b"})

    kept = channel.notify_headers(received)

    assert kept == headers and set(kept) == {
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
        "Wechatpay-Signature-Type",
    }
    assert channel.parse_notify(headers=kept, body=body, now=time.time()).amount_fen == 100


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
