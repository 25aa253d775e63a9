"""Issue 20: the resident chooses WeChat Pay or Alipay on the bill page, the default following the browser
(inside WeChat, WeChat Pay; inside Alipay, Alipay); the choice goes with the payment and every later word of
the bill names the channel that was paid; a way to pay the deployment does not offer is refused in words.

The channels' cashier is not called here: ``factory._build`` is replaced by a channel that only answers
``create_order`` with its H5 address (the end-to-end run through a stand-in is in the browser tests).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from payments.channels import factory
from payments.channels.base import ChannelOrder
from payments.online.models import OnlineOrder, OnlineRefund, PayAuthorization
from portal.ops.invariants import check_all
from portal.people.models import Person
from portal.people.services import person_user
from tests.payments.online_helpers import hospital_client, patient, upload

pytestmark = pytest.mark.django_db

WECHAT_UA = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI"
ALIPAY_UA = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 AlipayClient/10.5.86.8000 Language/zh-Hans"
PLAIN_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1"


class Cashier:
    """A channel that opens cash orders and remembers them (nothing else is asked of it here)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.opened: list[str] = []

    def create_order(self, *, out_trade_no: str, **_: Any) -> ChannelOrder:
        self.opened.append(out_trade_no)
        return ChannelOrder(out_trade_no=out_trade_no, h5_url=f"https://{self.name}.example/h5/pay?no={out_trade_no}")


@pytest.fixture
def cashiers(monkeypatch: pytest.MonkeyPatch) -> dict[str, Cashier]:
    made = {name: Cashier(name) for name in factory.NAMES}
    monkeypatch.setattr(factory, "_build", lambda name, base_url, dev, return_url="": made[name])
    return made


def signed_in(person: Person, *, agent: str = PLAIN_UA, language: str = "zh-hans") -> Client:
    client = Client(headers={"User-Agent": agent, "Accept-Language": language})
    client.force_login(person_user(person=person))
    return client


def cash_bill() -> tuple[Person, str]:
    """A resident without a personal account at a level-3 hospital: the 88-yuan bill is all cash."""
    me = patient(insurance_type="resident")
    uploaded = upload(hospital_client(), me, amounts=(8_800,))
    assert uploaded.status_code == 201, uploaded.json()
    return me, uploaded.json()["order"]


def checked(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="channel" value="(\w+)"[^>]* checked>', html)


def form_of(html: str, **extra: str) -> dict[str, str]:
    """The confirm form's hidden fields as the page wrote them, and the chosen way to pay."""
    fields = dict(re.findall(r'<input type="hidden" name="(split|personal|channel)" value="([^"]*)"', html))
    return {**fields, **extra}


@pytest.mark.parametrize(
    ("agent", "channel"), [(WECHAT_UA, "wechatpay"), (ALIPAY_UA, "alipay"), (PLAIN_UA, "wechatpay"), ("", "wechatpay")]
)
def test_the_way_to_pay_is_chosen_for_the_browser_it_is_opened_in(agent: str, channel: str) -> None:
    me, number = cash_bill()
    response = signed_in(me, agent=agent).get(f"/payments/orders/{number}")
    html = response.content.decode()
    assert response.status_code == 200 and len(response.content) < 40_000
    assert 'data-testid="channel-choice"' in html and "<legend>付款方式</legend>" in html
    assert checked(html) == [channel]
    assert ">微信支付</label>" in html and ">支付宝</label>" in html
    assert "现金（微信支付或支付宝）" in html and "微信支付交易号" not in html


def test_outside_both_apps_the_first_channel_the_deployment_offers_is_chosen(settings: Any) -> None:
    settings.CASH_CHANNELS = ["alipay", "wechatpay"]
    me, number = cash_bill()
    html = signed_in(me).get(f"/payments/orders/{number}").content.decode()
    assert checked(html) == ["alipay"]
    assert html.index('value="alipay"') < html.index('value="wechatpay"')  # in the deployment's order
    # Inside WeChat it is still WeChat Pay.
    assert checked(signed_in(me, agent=WECHAT_UA).get(f"/payments/orders/{number}").content.decode()) == ["wechatpay"]


def test_with_one_channel_there_is_nothing_to_choose(settings: Any) -> None:
    settings.CASH_CHANNELS = ["alipay"]
    me, number = cash_bill()
    html = signed_in(me, agent=WECHAT_UA).get(f"/payments/orders/{number}").content.decode()
    assert 'data-testid="channel-choice"' not in html and 'type="radio"' not in html
    assert form_of(html)["channel"] == "alipay"  # inside WeChat, but this deployment takes Alipay only
    assert "现金（支付宝）" in html


def test_a_bill_without_cash_offers_no_choice() -> None:
    rich = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), rich, amounts=(30_000,)).json()["order"]
    html = signed_in(rich).get(f"/payments/orders/{number}").content.decode()
    assert 'name="channel"' not in html and "确认医保支付" in html


@pytest.mark.parametrize("channel", ["alipay", "wechatpay"])
def test_paying_goes_through_the_chosen_channel_and_the_bill_names_it(
    channel: str, cashiers: dict[str, Cashier]
) -> None:
    me, number = cash_bill()
    client = signed_in(me, agent=WECHAT_UA if channel == "alipay" else ALIPAY_UA)  # the payer overrides the default
    page = client.get(f"/payments/orders/{number}").content.decode()
    paid = client.post(f"/payments/orders/{number}/pay", form_of(page, channel=channel))
    assert paid.status_code == 302
    assert paid["Location"].startswith(f"https://{channel}.example/h5/pay?no={number}")
    if channel == "alipay":
        assert "redirect_url" not in paid["Location"]  # a signed Alipay request: nothing may be added to it
    else:
        assert "redirect_url=" in paid["Location"]
    order = OnlineOrder.objects.get(number=number)
    assert (order.status, order.channel) == ("awaiting_cash", channel)
    assert cashiers[channel].opened == [number] and not cashiers[next(n for n in factory.NAMES if n != channel)].opened

    label = {"alipay": "支付宝", "wechatpay": "微信支付"}[channel]
    waiting = client.get(f"/payments/orders/{number}").content.decode()
    assert f"等待{label}付款" in waiting and f"继续付款 · {label}" in waiting and f"现金（{label}）" in waiting
    assert f"在{label}完成付款后" in waiting and "待付款" in waiting
    cancel = client.get(f"/payments/orders/{number}/cancel").content.decode()
    assert f"如果您已经在{label}付了款" in cancel
    english = signed_in(me, language="en").get(f"/payments/orders/{number}").content.decode()
    en_label = {"alipay": "Alipay", "wechatpay": "WeChat Pay"}[channel]
    assert f"Waiting for your {en_label} payment" in english and f"Continue to pay · {en_label}" in english

    # The cash arrives; the receipt names the channel's transaction, and a refund goes back the same way.
    OnlineOrder.objects.filter(number=number).update(status="settled", channel_transaction_id="T2026000123")
    OnlineRefund.objects.create(
        order=order, idempotency_key="web-refund", request_hash="x", cash_fen=1_000, channel=channel, status="succeeded"
    )
    receipt = client.get(f"/payments/orders/{number}").content.decode()
    assert f"<dt>{label}交易号</dt>" in receipt and f"退回{label}" in receipt
    if channel == "alipay":
        assert "微信支付" not in receipt


@pytest.mark.parametrize("value", ["bitcoin", "WECHATPAY", "<b>x</b>"])
def test_a_way_to_pay_not_offered_is_refused_in_words_and_nothing_is_held(value: str, cashiers: Any) -> None:
    me, number = cash_bill()
    client = signed_in(me, agent=ALIPAY_UA)
    page = client.get(f"/payments/orders/{number}").content.decode()
    refused = client.post(f"/payments/orders/{number}/pay", form_of(page, channel=value))
    html = refused.content.decode()
    assert refused.status_code == 400
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert '<a href="#channel">请选择付款方式：微信支付或支付宝</a>' in summary
    assert 'id="channel-error"' in html and 'id="channel"' in html  # the summary's link has somewhere to go
    assert checked(html) == ["alipay"]  # nothing valid was chosen: the browser's default again
    assert "<b>x</b>" not in html and "channel_unknown" not in html
    order = OnlineOrder.objects.get(number=number)
    assert (order.status, order.channel) == ("pre_settled", "")
    assert not PayAuthorization.objects.filter(order=order).exists()  # refused before anything was authorised
    assert not any(c.opened for c in cashiers.values())
    english = signed_in(me, language="en").post(f"/payments/orders/{number}/pay", form_of(page, channel=value))
    assert english.status_code == 400 and "Choose how to pay: WeChat Pay or Alipay" in english.content.decode()
    assert all(result.ok for result in check_all())


def test_the_choice_is_kept_when_paying_is_refused_for_another_reason(cashiers: Any) -> None:
    me, number = cash_bill()
    client = signed_in(me, agent=WECHAT_UA)
    page = client.get(f"/payments/orders/{number}").content.decode()
    refused = client.post(f"/payments/orders/{number}/pay", form_of(page, channel="alipay", split="stale"))
    html = refused.content.decode()
    assert refused.status_code == 409 and 'data-testid="pay-error"' in html
    assert checked(html) == ["alipay"]  # not the WeChat default: what the payer chose
    assert OnlineOrder.objects.get(number=number).status == "pre_settled"


def test_the_bills_list_names_the_channels_on_offer(settings: Any) -> None:
    me, _ = cash_bill()
    assert "其余用微信支付或支付宝付款" in signed_in(me).get("/payments/").content.decode()
    assert "the rest by WeChat Pay or Alipay" in signed_in(me, language="en").get("/payments/").content.decode()
    settings.CASH_CHANNELS = ["wechatpay"]
    assert "其余用微信支付付款" in signed_in(me).get("/payments/").content.decode()
