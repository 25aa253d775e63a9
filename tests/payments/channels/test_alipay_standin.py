"""The Alipay adapter against the Alipay stand-in, over real HTTP: pay, close, refund, bill, notifies, faults."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from payments.channels.alipay.client import Alipay
from payments.channels.alipay.dev import dev_channel, dev_config, dev_standin
from payments.channels.alipay.protocol import BEIJING
from payments.channels.alipay.standin import AlipayStandIn
from payments.channels.base import ChannelError, ChannelNotify, NotifyAnswer, RefundState, TradeState
from tests.payments.channel_receiver import serve_notify_endpoint


class Receiver:
    """Our notify endpoint, as payments.online would run it: verify, then answer ``success`` or ``fail``."""

    def __init__(self, channel: Alipay) -> None:
        self.channel = channel
        self.notifies: list[ChannelNotify] = []
        self.errors: list[ChannelError] = []
        self.refuse = 0  # answer "fail" to the next n verified notifies (not processed yet)
        self._lock = threading.Lock()
        self.server, self.url = serve_notify_endpoint(self.receive, "/api/v1/payments/notify/alipay")

    def receive(self, headers: dict[str, str], body: bytes) -> NotifyAnswer:
        try:
            notify = self.channel.parse_notify(headers=headers, body=body, now=time.time())
        except ChannelError as error:
            with self._lock:
                self.errors.append(error)
            return self.channel.notify_answer(accepted=False, message=error.code, status=400)
        with self._lock:
            refused = self.refuse > 0
            self.refuse -= 1 if refused else 0
            if not refused:
                self.notifies.append(notify)
        return self.channel.notify_answer(accepted=not refused, status=503)

    def wait(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting")
            time.sleep(0.02)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def standin() -> Iterator[AlipayStandIn]:
    server = dev_standin(retry_delays=(0.05, 0.1, 0.2))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def channel(standin: AlipayStandIn) -> Alipay:
    return dev_channel(standin.base_url, timeout=2.0)


@pytest.fixture
def receiver(channel: Alipay) -> Iterator[Receiver]:
    endpoint = Receiver(channel)
    yield endpoint
    endpoint.close()


def control(standin: AlipayStandIn, action: str, **arguments: Any) -> Any:
    """The stand-in's ``/_control`` API, over HTTP."""
    request = urllib.request.Request(
        standin.base_url + "/_control", data=json.dumps({"action": action, **arguments}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["result"]


def order(channel: Alipay, receiver: Receiver, number: str, fen: int = 1234, *, minutes: int = 30) -> str:
    """A wap order, and the payer opening it: the cashier page with its pay button."""
    placed = channel.create_order(
        out_trade_no=number,
        amount_fen=fen,
        description="门诊费用 / clinic bill",
        notify_url=receiver.url,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes),
    )
    with urllib.request.urlopen(placed.h5_url, timeout=5) as response:
        page = response.read().decode()
    assert "确认付款" in page and "¥" in page
    return placed.h5_url


def paid(channel: Alipay, standin: AlipayStandIn, receiver: Receiver, number: str, fen: int = 1234) -> ChannelNotify:
    h5_url = order(channel, receiver, number, fen)
    control(standin, "pay", out_trade_no=number, h5_url=h5_url)
    receiver.wait(lambda: any(n.out_trade_no == number for n in receiver.notifies))
    return next(n for n in receiver.notifies if n.out_trade_no == number)


def test_order_wap_url_pay_notify_query(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    placed = channel.create_order(
        out_trade_no="P20260102PAY001",
        amount_fen=1234,
        description="门诊费用",
        notify_url=receiver.url,
        expires_at=dt.datetime(2026, 1, 2, 12, 30, tzinfo=dt.UTC),
    )
    url = urlsplit(placed.h5_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == standin.gateway
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert query["method"] == "alipay.trade.wap.pay" and query["sign_type"] == "RSA2" and query["sign"]
    assert query["notify_url"] == receiver.url
    assert json.loads(query["biz_content"]) == {
        "out_trade_no": "P20260102PAY001",
        "total_amount": "12.34",
        "subject": "门诊费用",
        "product_code": "QUICK_WAP_WAY",
        "time_expire": "2026-01-02 20:30:00",
    }
    # Alipay knows a wap order only once the payer opens it.
    with pytest.raises(ChannelError) as caught:
        channel.query_order(out_trade_no="P20260102PAY001")
    assert caught.value.code == "not_found" and caught.value.detail == "ACQ.TRADE_NOT_EXIST"

    h5_url = order(channel, receiver, "P20260102PAY002")
    waiting = channel.query_order(out_trade_no="P20260102PAY002")
    assert (waiting.state, waiting.amount_fen, waiting.success_time) == (TradeState.WAITING, 1234, None)

    control(standin, "pay", out_trade_no="P20260102PAY002")
    receiver.wait(lambda: len(receiver.notifies) == 1)
    notify = receiver.notifies[0]
    assert notify.kind == "transaction" and notify.event == "trade_status_sync"
    assert (notify.out_trade_no, notify.trade_state, notify.amount_fen) == ("P20260102PAY002", TradeState.PAID, 1234)
    assert notify.notify_id and notify.transaction_id and notify.out_refund_no is None
    trade = channel.query_order(out_trade_no="P20260102PAY002")
    assert (trade.state, trade.transaction_id, trade.amount_fen, trade.payer_total_fen) == (
        TradeState.PAID,
        notify.transaction_id,
        1234,
        1234,
    )
    assert trade.success_time is not None and trade.success_time.tzinfo is not None
    # Opening the page again shows it paid; the notify was answered "success" at once.
    with urllib.request.urlopen(h5_url, timeout=5) as response:
        assert "支付成功" in response.read().decode()
    log = [entry for entry in standin.notify_log if entry["out_trade_no"] == "P20260102PAY002"]
    assert [(entry["attempt"], entry["status"], entry["answer"]) for entry in log] == [(1, 200, "success")]


def test_pay_with_the_page_button(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    order(channel, receiver, "P20260102BTN001", 500)
    form = urlencode({"out_trade_no": "P20260102BTN001"}).encode()
    with urllib.request.urlopen(standin.base_url + "/cashier/pay", data=form, timeout=5) as response:
        assert "支付成功" in response.read().decode()
    receiver.wait(lambda: len(receiver.notifies) == 1)
    assert channel.query_order(out_trade_no="P20260102BTN001").state == TradeState.PAID


def test_a_tampered_wap_url_is_refused(channel: Alipay, receiver: Receiver) -> None:
    placed = channel.create_order(
        out_trade_no="P20260102TMP001",
        amount_fen=1234,
        description="x",
        notify_url=receiver.url,
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(placed.h5_url.replace("12.34", "0.01"), timeout=5)
    assert "invalid-signature" in caught.value.read().decode()


def test_close_an_unpaid_order(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    order(channel, receiver, "P20260102CLS001")
    channel.close_order(out_trade_no="P20260102CLS001")
    channel.close_order(out_trade_no="P20260102CLS001")  # again: still closed
    closed = channel.query_order(out_trade_no="P20260102CLS001")
    assert (closed.state, closed.success_time) == (TradeState.CLOSED, None)
    form = urlencode({"out_trade_no": "P20260102CLS001"}).encode()  # the payer can no longer pay
    with pytest.raises(urllib.error.HTTPError) as page:
        urllib.request.urlopen(standin.base_url + "/cashier/pay", data=form, timeout=5)
    assert "交易已关闭" in page.value.read().decode()
    assert receiver.notifies == []
    # Never opened: nothing at Alipay to close. Paid: refused.
    with pytest.raises(ChannelError) as caught:
        channel.close_order(out_trade_no="P20260102CLS002")
    assert caught.value.code == "not_found"
    paid(channel, standin, receiver, "P20260102CLS003")
    with pytest.raises(ChannelError) as caught:
        channel.close_order(out_trade_no="P20260102CLS003")
    assert (caught.value.code, caught.value.detail) == ("paid", "ACQ.TRADE_STATUS_ERROR")


def test_an_expired_order_closes(channel: Alipay, receiver: Receiver) -> None:
    order(channel, receiver, "P20260102EXP001", minutes=0)
    time.sleep(1.1)
    assert channel.query_order(out_trade_no="P20260102EXP001").state == TradeState.CLOSED


def test_refund_and_refund_query(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    payment = paid(channel, standin, receiver, "P20260102REF001", 1000)
    first = channel.refund(
        out_trade_no="P20260102REF001",
        out_refund_no="R20260102REF001",
        refund_fen=300,
        total_fen=1000,
        reason="退药",
        notify_url=receiver.url,
    )
    assert (first.state, first.refund_fen, first.out_trade_no) == (RefundState.SUCCEEDED, 300, "P20260102REF001")
    receiver.wait(lambda: any(n.kind == "refund" for n in receiver.notifies))
    refund_notify = next(n for n in receiver.notifies if n.kind == "refund")
    assert (refund_notify.out_refund_no, refund_notify.refund_state, refund_notify.trade_state) == (
        "R20260102REF001",
        RefundState.SUCCEEDED,
        TradeState.PAID,  # a partial refund leaves the trade paid
    )
    assert refund_notify.transaction_id == payment.transaction_id
    assert refund_notify.notify_id != payment.notify_id
    queried = channel.query_refund(out_refund_no="R20260102REF001", out_trade_no="P20260102REF001")
    assert (queried.state, queried.refund_fen) == (RefundState.SUCCEEDED, 300)
    # The same request again is the same refund (Alipay answers fund_change=N): no money moves twice.
    again = channel.refund(
        out_trade_no="P20260102REF001",
        out_refund_no="R20260102REF001",
        refund_fen=300,
        total_fen=1000,
        reason="退药",
        notify_url=receiver.url,
    )
    assert again.state == RefundState.PROCESSING
    assert standin.orders["P20260102REF001"].refunded == 300
    # Too much: refused. The rest: the trade closes, refunded.
    with pytest.raises(ChannelError) as caught:
        channel.refund(
            out_trade_no="P20260102REF001", out_refund_no="R2", refund_fen=800, total_fen=1000, reason="", notify_url=""
        )
    assert (caught.value.code, caught.value.detail) == ("refused", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
    channel.refund(
        out_trade_no="P20260102REF001", out_refund_no="R3", refund_fen=700, total_fen=1000, reason="", notify_url=""
    )
    assert channel.query_order(out_trade_no="P20260102REF001").state == TradeState.REFUNDED
    receiver.wait(lambda: any(n.out_refund_no == "R3" for n in receiver.notifies))
    assert next(n for n in receiver.notifies if n.out_refund_no == "R3").trade_state == TradeState.REFUNDED
    # A refund Alipay never got: not_found (sending it again is safe).
    with pytest.raises(ChannelError) as caught:
        channel.query_refund(out_refund_no="R404", out_trade_no="P20260102REF001")
    assert caught.value.code == "not_found"


def test_a_refund_processing_then_done_or_failed(receiver: Receiver) -> None:
    standin = dev_standin(auto_refund_seconds=None, retry_delays=(0.05,))
    standin.start()
    try:
        channel = dev_channel(standin.base_url, timeout=2.0)
        receiver.channel = channel
        paid(channel, standin, receiver, "P20260102MAN001", 1000)
        for number in ("R20260102MAN001", "R20260102MAN002"):
            started = channel.refund(
                out_trade_no="P20260102MAN001",
                out_refund_no=number,
                refund_fen=100,
                total_fen=1000,
                reason="",
                notify_url="",
            )
            assert started.state == RefundState.PROCESSING
            assert channel.query_refund(out_refund_no=number, out_trade_no="P20260102MAN001").state == (
                RefundState.PROCESSING
            )
        control(standin, "complete_refund", out_refund_no="R20260102MAN001")
        done = channel.query_refund(out_refund_no="R20260102MAN001", out_trade_no="P20260102MAN001")
        assert done.state == RefundState.SUCCEEDED
        control(standin, "fail_refund", out_refund_no="R20260102MAN002")
        with pytest.raises(ChannelError) as caught:
            channel.query_refund(out_refund_no="R20260102MAN002", out_trade_no="P20260102MAN001")
        assert caught.value.code == "not_found"
    finally:
        standin.stop()


def test_the_days_bill(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    today = dt.datetime.now(BEIJING).date()
    first = paid(channel, standin, receiver, "P20260102BIL001", 1234)
    second = paid(channel, standin, receiver, "P20260102BIL002", 5000)
    channel.refund(
        out_trade_no="P20260102BIL002",
        out_refund_no="R20260102BIL001",
        refund_fen=1500,
        total_fen=5000,
        reason="",
        notify_url="",
    )
    rows = channel.trade_bill(bill_date=today)
    assert sorted(
        (r.kind, r.out_trade_no, r.transaction_id, r.amount_fen, r.refund_fen, r.out_refund_no) for r in rows
    ) == [
        ("payment", "P20260102BIL001", first.transaction_id, 1234, 0, ""),
        ("payment", "P20260102BIL002", second.transaction_id, 5000, 0, ""),
        ("refund", "P20260102BIL002", second.transaction_id, 5000, 1500, "R20260102BIL001"),
    ]
    assert all(row.trade_time.astimezone(BEIJING).date() == today for row in rows)
    # A day passes for the first order: it moves to yesterday's bill.
    standin.backdate(dt.timedelta(days=1), ["P20260102BIL001"])
    yesterday = channel.trade_bill(bill_date=today - dt.timedelta(days=1))
    assert [(row.kind, row.out_trade_no) for row in yesterday] == [("payment", "P20260102BIL001")]
    with pytest.raises(ChannelError) as caught:
        channel.trade_bill(bill_date=today - dt.timedelta(days=2))
    assert (caught.value.code, caught.value.detail) == ("not_found", "isp.bill_not_exist")
    control(standin, "tamper_next_bills", n=1)
    with pytest.raises(ChannelError) as caught:
        channel.trade_bill(bill_date=today)
    assert caught.value.code == "malformed"
    assert len(channel.trade_bill(bill_date=today)) == 2


@pytest.mark.parametrize(
    ("action", "code"),
    [("send_forged_notify", "bad_signature"), ("send_stale_notify", "stale"), ("send_foreign_notify", "foreign")],
)
def test_bad_notifies_are_refused(standin: AlipayStandIn, receiver: Receiver, action: str, code: str) -> None:
    status = control(standin, action, notify_url=receiver.url, out_trade_no="P20260102BAD001", amount_fen=100)
    assert status == 400
    assert [error.code for error in receiver.errors] == [code]
    assert receiver.notifies == []
    assert standin.notify_log[-1]["answer"] == "fail"


def test_notifies_are_retried_until_success(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    receiver.refuse = 2
    paid(channel, standin, receiver, "P20260102RTY001")
    log = [entry for entry in standin.notify_log if entry["out_trade_no"] == "P20260102RTY001"]
    assert [(entry["attempt"], entry["answer"]) for entry in log] == [(1, "fail"), (2, "fail"), (3, "success")]
    assert len({entry["notify_id"] for entry in log}) == 1  # one notify, retried
    assert len(receiver.notifies) == 1


def test_notify_faults_drop_duplicate_hold_reverse(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    control(standin, "drop_notifies", n=1)
    h5_url = order(channel, receiver, "P20260102FLT001")
    control(standin, "pay", out_trade_no="P20260102FLT001", h5_url=h5_url)
    time.sleep(0.2)
    assert receiver.notifies == [] and standin.notify_log[-1]["error"] == "dropped"
    assert channel.query_order(out_trade_no="P20260102FLT001").state == TradeState.PAID  # the query tells

    control(standin, "duplicate_notifies", n=1)
    paid(channel, standin, receiver, "P20260102FLT002")
    receiver.wait(lambda: len(receiver.notifies) == 2)
    assert receiver.notifies[0].notify_id == receiver.notifies[1].notify_id

    control(standin, "hold_notifies")
    for number in ("P20260102FLT003", "P20260102FLT004"):
        control(standin, "pay", out_trade_no=number, h5_url=order(channel, receiver, number))
    assert control(standin, "release_notifies", reverse=True) == 2
    receiver.wait(lambda: len(receiver.notifies) == 4)
    assert [n.out_trade_no for n in receiver.notifies[2:]] == ["P20260102FLT004", "P20260102FLT003"]

    control(standin, "delay_notifies", seconds=0.3)
    started = time.monotonic()
    paid(channel, standin, receiver, "P20260102FLT005")
    assert time.monotonic() - started >= 0.3


def test_an_answer_with_a_bad_signature_is_refused(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    order(channel, receiver, "P20260102SIG001")
    control(standin, "forge_next_answers", n=1)
    with pytest.raises(ChannelError) as caught:
        channel.query_order(out_trade_no="P20260102SIG001")
    assert caught.value.code == "bad_signature" and not caught.value.retryable
    assert channel.query_order(out_trade_no="P20260102SIG001").state == TradeState.WAITING


def test_our_signature_is_checked_by_the_standin(standin: AlipayStandIn) -> None:
    other = dev_config()["alipay_private_key_pem"]  # not the app's key
    impostor = Alipay(
        gateway=standin.gateway,
        app_id=dev_config()["app_id"],
        app_private_key_pem=other,
        alipay_public_key_pem=dev_config()["alipay_public_key_pem"],
    )
    with pytest.raises(ChannelError) as caught:
        impostor.query_order(out_trade_no="P20260102SIG002")
    assert (caught.value.code, caught.value.detail) == ("refused", "isv.invalid-signature")


def test_a_timeout_is_retryable_and_the_call_took_effect(standin: AlipayStandIn, receiver: Receiver) -> None:
    channel = dev_channel(standin.base_url, timeout=0.3)
    receiver.channel = channel
    order(channel, receiver, "P20260102TMO001")
    control(standin, "timeout_next_requests", n=1, seconds=1.0)
    with pytest.raises(ChannelError) as caught:
        channel.close_order(out_trade_no="P20260102TMO001")
    assert caught.value.code == "timeout" and caught.value.retryable
    assert channel.query_order(out_trade_no="P20260102TMO001").state == TradeState.CLOSED  # recovered by query


def test_a_system_error_is_retryable(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    order(channel, receiver, "P20260102SYS001")
    control(standin, "fail_next_requests", n=1)
    with pytest.raises(ChannelError) as caught:
        channel.query_order(out_trade_no="P20260102SYS001")
    assert (caught.value.code, caught.value.detail, caught.value.retryable) == (
        "unavailable",
        "ACQ.SYSTEM_ERROR",
        True,
    )


def test_the_connection_is_kept_alive_and_renewed(channel: Alipay, standin: AlipayStandIn, receiver: Receiver) -> None:
    order(channel, receiver, "P20260102KAL001")
    channel.query_order(out_trade_no="P20260102KAL001")
    first = channel._local.connection
    channel.query_order(out_trade_no="P20260102KAL001")
    assert channel._local.connection is first and first.sock is not None
    first.sock.close()  # as if the server had closed it while idle
    first.sock = None
    assert channel.query_order(out_trade_no="P20260102KAL001").state == TradeState.WAITING


def test_the_standin_runs_from_the_command_line() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "payments.channels.alipay.standin", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "Alipay stand-in" in line and "http://127.0.0.1:" in line
        base_url = line.split(" at ")[1].strip()
        request = urllib.request.Request(base_url + "/_control", data=b'{"action": "orders"}', method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read()) == {"result": {}}
    finally:
        process.terminate()
        process.wait(timeout=5)
