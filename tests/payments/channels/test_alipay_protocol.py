"""Alipay's signing rules, answer splitting and bill format, without a server."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest

from payments.channels.alipay.bill import parse_trade_bill, render_trade_bill
from payments.channels.alipay.client import trade_state
from payments.channels.alipay.dev import dev_channel, dev_config, dev_transaction_notify
from payments.channels.alipay.protocol import (
    BEIJING,
    fen,
    load_private_key,
    load_public_key,
    notify_content,
    parse_form,
    render_answer,
    rsa2_sign,
    rsa2_verify,
    signing_content,
    split_answer,
    yuan,
)
from payments.channels.base import ChannelError, RefundState, TradeState

# A request's parameters, written by hand: the empty notify_url and the sign itself stay out of the content.
VECTOR_PARAMS = {
    "app_id": "9021000100000001",
    "method": "alipay.trade.query",
    "format": "JSON",
    "charset": "utf-8",
    "sign_type": "RSA2",
    "timestamp": "2026-01-02 03:04:05",
    "version": "1.0",
    "notify_url": "",
    "biz_content": '{"out_trade_no":"P20260102ABCDEF"}',
    "sign": "ignored",
}
VECTOR_CONTENT = (
    'app_id=9021000100000001&biz_content={"out_trade_no":"P20260102ABCDEF"}&charset=utf-8&format=JSON'
    "&method=alipay.trade.query&sign_type=RSA2&timestamp=2026-01-02 03:04:05&version=1.0"
)
# RSA2 (SHA256withRSA, PKCS#1 v1.5) of VECTOR_CONTENT with devkeys/app_private.pem: deterministic.
VECTOR_SIGNATURE = (
    "kW4JbkAf9MHNDfTqjTy3WFNZKgPxt2eanEJr/4gZkyQJ8yC6iMfcZhXesyHsaRg6ph5UD6LrxU4pVLsjSqr5tHhKFJPy2XyJI+z52GpS2bt9"
    "Oi+MPnmshcWDomltTT66ehE3E7710N+cc0Lz6EJ5riPkirHx6lnREHQz9yc9+178mpffMi5NOGKw7NQHXXpaEGixYOhUN2mVp5x9UZ55yQGn"
    "sI+Ga43ONXWA4XyLnUKs45ZXokm/PyUeE8UZzDi5S2Rn/gdbZKr6sxE/1YGlJuvRkyTsp8UAYW29jNShVlEHUPczVPE07RTpK7wp2OzC7/dF"
    "kd8LTFijmi2a+OneMQ=="
)


def test_request_signing_vector() -> None:
    config = dev_config()
    assert signing_content(VECTOR_PARAMS) == VECTOR_CONTENT
    assert rsa2_verify(load_public_key(config["app_public_key_pem"]), VECTOR_CONTENT, VECTOR_SIGNATURE)
    assert rsa2_sign(load_private_key(config["app_private_key_pem"]), VECTOR_CONTENT) == VECTOR_SIGNATURE
    assert not rsa2_verify(load_public_key(config["app_public_key_pem"]), VECTOR_CONTENT + "x", VECTOR_SIGNATURE)
    assert not rsa2_verify(load_public_key(config["alipay_public_key_pem"]), VECTOR_CONTENT, VECTOR_SIGNATURE)


def test_notify_signing_content_is_url_decoded_without_sign_and_sign_type() -> None:
    body = (
        b"subject=%E9%97%A8%E8%AF%8A+%E8%B4%B9%E7%94%A8&notify_time=2026-01-02+03%3A04%3A05&sign_type=RSA2"
        b"&trade_status=TRADE_SUCCESS&sign=abc%2B%2F%3D&total_amount=12.34&body=&app_id=9021000100000001"
    )
    params = parse_form(body)
    assert params["sign"] == "abc+/="
    assert notify_content(params) == (
        "app_id=9021000100000001&notify_time=2026-01-02 03:04:05&subject=门诊 费用&total_amount=12.34"
        "&trade_status=TRADE_SUCCESS"
    )
    with pytest.raises(ValueError):
        parse_form(b"a=1&a=2")


def test_keys_load_from_bare_base64_as_alipay_shows_them() -> None:
    config = dev_config()
    bare = b"".join(line for line in config["alipay_public_key_pem"].splitlines() if not line.startswith(b"-----"))
    assert load_public_key(bare).public_numbers() == load_public_key(config["alipay_public_key_pem"]).public_numbers()


def test_answer_is_verified_over_its_raw_text() -> None:
    """The signature covers the member's text as sent (spacing, escapes); a re-serialisation would differ."""
    key = load_private_key(dev_config()["alipay_private_key_pem"])
    inner = '{ "code":"10000", "msg":"Success", "url":"http:\\/\\/x\\/y", "name":"\\u95e8\\u8bca" }'
    body = f'{{"alipay_trade_query_response":{inner} , "sign":"{rsa2_sign(key, inner)}"}}'
    members = split_answer(body)
    value, raw = members["alipay_trade_query_response"]
    assert raw == inner
    assert value["url"] == "http://x/y" and value["name"] == "门诊"
    assert rsa2_verify(load_public_key(dev_config()["alipay_public_key_pem"]), raw, members["sign"][0])
    assert json.dumps(value, separators=(",", ":")) != raw
    rendered = render_answer(key, "alipay_trade_close_response", {"code": "10000", "msg": "Success"}).decode()
    assert split_answer(rendered)["alipay_trade_close_response"][1] == '{"code":"10000","msg":"Success"}'
    for bad in ("", "[]", '{"a":1} x', '{"a":1,"a":2}', '{"a" 1}'):
        with pytest.raises(ValueError):
            split_answer(bad)


def test_amounts_are_exact() -> None:
    assert yuan(1234) == "12.34" and yuan(5) == "0.05"
    assert fen("12.34") == 1234 and fen("-0.01") == -1 and fen("7") == 700
    for bad in ("12.345", "1e3", "", "abc", "12.3.4"):
        with pytest.raises(ValueError):
            fen(bad)


def test_trade_status_mapping() -> None:
    assert trade_state("WAIT_BUYER_PAY", was_paid=False) == TradeState.WAITING
    assert trade_state("TRADE_SUCCESS", was_paid=True) == TradeState.PAID
    assert trade_state("TRADE_FINISHED", was_paid=True) == TradeState.PAID
    assert trade_state("TRADE_CLOSED", was_paid=False) == TradeState.CLOSED
    assert trade_state("TRADE_CLOSED", was_paid=True) == TradeState.REFUNDED
    with pytest.raises(ChannelError):
        trade_state("NOTPAY", was_paid=False)


def test_notify_decoding_and_answers() -> None:
    channel = dev_channel("http://127.0.0.1:9")
    _, body = dev_transaction_notify("P20260102ABCDEF", 1234)
    notify = channel.decode_notify(body=body)
    assert (notify.kind, notify.event, notify.trade_state, notify.amount_fen) == (
        "transaction",
        "trade_status_sync",
        TradeState.PAID,
        1234,
    )
    refund_body = urlencode(
        {
            **parse_form(body),
            "trade_status": "TRADE_CLOSED",
            "out_biz_no": "R20260102ABCDEF",
            "refund_fee": "12.34",
            "gmt_refund": "2026-01-02 03:04:05.000",
        }
    ).encode()
    refund = channel.decode_notify(body=refund_body)
    assert (refund.kind, refund.out_refund_no, refund.refund_state, refund.trade_state) == (
        "refund",
        "R20260102ABCDEF",
        RefundState.SUCCEEDED,
        TradeState.REFUNDED,
    )
    assert channel.notify_headers({"Content-Type": "x"}) == {}
    ok, fail = channel.notify_answer(accepted=True), channel.notify_answer(accepted=False, status=503)
    assert (ok.status, ok.body, fail.status, fail.body) == (200, b"success", 503, b"fail")
    assert ok.content_type.startswith("text/plain")
    with pytest.raises(ChannelError) as caught:
        channel.decode_notify(body=b"notify_type=other&notify_id=1")
    assert caught.value.code == "malformed"


def test_bill_round_trip_and_damage() -> None:
    day = dt.date(2026, 1, 2)
    rows = [
        {
            "支付宝交易号": "2026010222001234567890123456",
            "商户订单号": "P1",
            "业务类型": "交易",
            "完成时间": "2026-01-02 10:00:00",
            "订单金额（元）": "12.34",
            "商家实收（元）": "12.34",
        },
        {
            "支付宝交易号": "2026010222001234567890123456",
            "商户订单号": "P1",
            "业务类型": "退款",
            "完成时间": "2026-01-02 11:00:00",
            "订单金额（元）": "12.34",
            "商家实收（元）": "-2.34",
            "退款批次号/请求号": "R1",
        },
    ]
    content = render_trade_bill(
        account="20881021776494500156", bill_date=day, rows=rows, exported_at=dt.datetime(2026, 1, 3, tzinfo=BEIJING)
    )
    payment, refund = parse_trade_bill(content)
    assert (payment.kind, payment.amount_fen, payment.refund_fen, payment.out_refund_no) == ("payment", 1234, 0, "")
    assert payment.trade_time == dt.datetime(2026, 1, 2, 10, tzinfo=BEIJING)
    assert (refund.kind, refund.amount_fen, refund.refund_fen, refund.out_refund_no) == ("refund", 1234, 234, "R1")
    for damaged in (content[: len(content) // 2], b"not a zip", b""):
        with pytest.raises(ChannelError) as caught:
            parse_trade_bill(damaged)
        assert caught.value.code == "malformed"
