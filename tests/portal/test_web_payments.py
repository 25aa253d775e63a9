"""The residents' payments pages in a real browser: internet-hospital bills paid end to end through the
cash channel's H5 page (the local WeChat Pay stand-in, its signed notify back to the live server), and the
counter-settlement history and receipts.

Screenshots at 360x780 go to artifacts/screenshots/ (payments, payment-split, payment-receipt, settlements, ...).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from payments.online.models import OnlineOrder, OnlineRefund
from payments.settlement.models import Settlement
from portal.family.models import FamilyBinding
from portal.ledger.selectors import account_balance, accounts_out_of_step, personal_account, unbalanced_transactions
from portal.people.models import Contribution, Person
from portal.people.services import person_id_number
from tests import factories
from tests.conftest import TerminalClient
from tests.payments.online_helpers import deductible_met, hospital_client, patient, upload, wait_for
from tests.portal.browser import BROWSER_TESTS, shot, sign_in
from vouchers.family import holding_register_by_staff, holding_request
from vouchers.models import Voucher
from vouchers.scanning import code_issue
from vouchers.services import voucher_issue

pytestmark = BROWSER_TESTS

_trace = itertools.count(20_000_000_000_000_000_000)


def bind(initiator: Person, bound: Person, relation: str = "spouse") -> None:
    """An active family-sharing binding: ``bound`` may spend ``initiator``'s personal account."""
    FamilyBinding.objects.create(
        initiator=initiator,
        bound=bound,
        relation=relation,
        status="active",
        consent_expires_at=timezone.now(),
        activated_at=timezone.now(),
    )


def sign_out(page: Any) -> None:
    page.goto("/")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/signin")


def test_paying_a_hospital_bill_end_to_end_through_the_channel_page(page: Any, standin: Any) -> None:
    # An employee with the deductible met and 60 yuan, whose spouse shares 40 yuan (家庭共济).
    me = patient(name="李娜", phone="13900005555", insurance_type="employee", balance_fen=6_000)
    spouse = patient(name="王强", insurance_type="employee", balance_fen=4_000)
    bind(spouse, me)
    deductible_met(me)
    # The internet hospital uploads a 300-yuan bill (a signed terminal request).
    hospital = hospital_client()
    uploaded = upload(hospital, me, amounts=(30_000,))
    assert uploaded.status_code == 201, uploaded.json()
    number = uploaded.json()["order"]

    sign_in(page, "13900005555")
    page.get_by_role("link", name="账单与支付").click()
    page.wait_for_url("**/payments/")
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_contain_text("复诊 · 处方药")
    expect(waiting).to_contain_text("¥300.00")
    expect(waiting).to_contain_text("待确认支付")
    shot(page, "payments")

    # The split before paying: fund 150 (50%), personal account 100 (60 mine + 40 my spouse's), cash 50.
    waiting.get_by_role("link").first.click()
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_test_id("part-fund")).to_have_text("¥150.00")
    expect(page.get_by_test_id("part-personal")).to_have_text("¥100.00")
    owners = page.get_by_test_id("personal-owner")
    expect(owners).to_have_count(2)
    expect(owners.nth(0)).to_contain_text("李娜")
    expect(owners.nth(0)).to_contain_text("¥60.00")
    expect(owners.nth(1)).to_contain_text("王强（家庭共济）")
    expect(owners.nth(1)).to_contain_text("¥40.00")
    expect(page.get_by_test_id("part-cash")).to_have_text("¥50.00")
    expect(page.get_by_test_id("part-total")).to_have_text("¥300.00")
    # The way to pay: outside WeChat and Alipay, the first channel offered (WeChat Pay) is chosen.
    choice = page.get_by_role("group", name="付款方式")
    expect(choice.get_by_role("radio", name="微信支付")).to_be_checked()
    expect(choice.get_by_role("radio", name="支付宝")).not_to_be_checked()
    assert page.locator("label.way").first.bounding_box()["height"] >= 44  # a large target, the label included
    shot(page, "payment-split")

    # Pay: the insurance legs are held and the browser goes to the channel's H5 cashier.
    standin.hold_notifies()
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    assert OnlineOrder.objects.get(number=number).status == "awaiting_cash"
    assert account_balance(account_id=personal_account(person=me).pk) == 0  # held
    assert account_balance(account_id=personal_account(person=spouse).pk) == 0
    expect(page.get_by_text("¥50.00")).to_be_visible()
    shot(page, "payment-channel")
    page.get_by_role("button", name="确认支付").click()
    expect(page.get_by_text("支付成功").first).to_be_visible()
    page.get_by_role("link", name="返回商户").click()
    page.wait_for_url(f"**/payments/orders/{number}")
    # Back before the channel's notify: the page says it is waiting, then updates by itself.
    expect(page.get_by_test_id("order-status")).to_have_text("待付款")
    expect(page.get_by_test_id("waiting-note")).to_contain_text("在微信支付完成付款后")
    shot(page, "payment-waiting")
    assert standin.release_notifies() == 1
    expect(page.get_by_test_id("order-status")).to_have_text("已支付", timeout=15_000)

    order = OnlineOrder.objects.get(number=number)
    assert order.status == "settled" and order.channel_transaction_id and order.settled_at
    assert order.channel == "wechatpay"
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("part-fund")).to_have_text("¥150.00")
    expect(receipt.get_by_test_id("part-personal")).to_have_text("¥100.00")
    expect(receipt.get_by_test_id("personal-owner")).to_have_count(2)
    expect(receipt.get_by_test_id("part-cash")).to_have_text("¥50.00")
    expect(page.get_by_test_id("receipt-order")).to_have_text(number)
    expect(page.get_by_test_id("receipt-transaction")).to_have_text(order.channel_transaction_id)
    expect(receipt.get_by_text("微信支付交易号")).to_be_visible()  # the channel that was paid, named
    expect(page.get_by_test_id("receipt-settled-at")).to_have_text(
        timezone.localtime(order.settled_at).strftime("%Y-%m-%d %H:%M:%S")
    )
    shot(page, "payment-receipt")
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()

    # The hospital refunds part of it: the refund shows with its status, the order is partly refunded.
    refund = hospital.post(
        f"/api/v1/hospital/orders/{number}/refunds",
        {"idempotency_key": "web-refund-0001", "parts": {"cash": 2_000, "personal": 3_000}},
    )
    assert refund.status_code == 201, refund.json()
    wait_for(lambda: OnlineRefund.objects.get(number=refund.json()["refund"]).status == "succeeded")
    page.reload()
    expect(page.get_by_test_id("order-status")).to_have_text("部分退款")
    refunds = page.get_by_test_id("refunds")
    expect(refunds).to_contain_text(refund.json()["refund"])
    expect(refunds).to_contain_text("已退款")
    expect(refunds).to_contain_text("¥50.00")
    expect(refunds).to_contain_text("退回微信支付")  # back through the channel that was paid
    shot(page, "payment-refund")
    page.goto("/payments/")
    expect(page.get_by_test_id("waiting")).to_contain_text("没有待支付的账单")
    expect(page.get_by_test_id("history")).to_contain_text("部分退款")


def test_a_dropped_notify_is_fetched_when_the_payer_asks(page: Any, standin: Any) -> None:
    me = patient(phone="13900006666", insurance_type="resident")  # no account, no fund at level 3: all cash
    number = upload(hospital_client(), me, amounts=(8_800,)).json()["order"]
    page.clock.install()  # no automatic reloads: the payer asks
    sign_in(page, "13900006666")
    page.goto(f"/payments/orders/{number}")
    expect(page.get_by_test_id("part-cash")).to_have_text("¥88.00")
    standin.drop_notifies(1)
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    page.get_by_role("button", name="确认支付").click()
    page.get_by_role("link", name="返回商户").click()
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_test_id("order-status")).to_have_text("待付款")
    assert OnlineOrder.objects.get(number=number).status == "awaiting_cash"
    page.get_by_role("button", name="我已支付，查询结果").click()
    expect(page.get_by_role("status")).to_have_text("支付成功")
    expect(page.get_by_test_id("order-status")).to_have_text("已支付")
    assert OnlineOrder.objects.get(number=number).status == "settled"


def test_a_guardian_pays_a_relatives_bill_and_an_outsider_sees_nothing(page: Any) -> None:
    guardian = patient(name="赵刚", phone="13900007777")
    child = patient(name="赵小明", insurance_type="employee", balance_fen=50_000, phone="")
    holding = holding_request(holder=guardian, name=child.name, id_number=person_id_number(child))
    holding_register_by_staff(holding_id=holding.pk)
    patient(phone="13900008888")  # the outsider
    number = upload(hospital_client(), child, amounts=(10_000,)).json()["order"]

    sign_in(page, "13900007777")
    page.goto("/payments/")
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_contain_text("患者 赵小明")
    page.get_by_role("button", name="长辈模式").click()  # large text: bills stay readable and easy to tap
    page.wait_for_load_state()
    assert waiting.get_by_role("link").first.bounding_box()["height"] >= 60
    shot(page, "payments-elderly")
    page.get_by_role("button", name="标准模式").click()
    page.wait_for_load_state()
    waiting.get_by_role("link").first.click()
    # The child's own account pays it all: no cash, no channel.
    expect(page.get_by_test_id("part-personal")).to_have_text("¥100.00")
    expect(page.get_by_test_id("part-cash")).to_have_text("¥0.00")
    page.get_by_role("button", name="确认医保支付").click()
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_role("status")).to_have_text("支付成功，已由医保结算")
    expect(page.get_by_test_id("order-status")).to_have_text("已支付")
    assert OnlineOrder.objects.get(number=number).status == "settled"
    assert account_balance(account_id=personal_account(person=child).pk) == 40_000

    sign_out(page)
    sign_in(page, "13900008888")
    page.goto("/payments/")
    expect(page.get_by_test_id("waiting")).to_contain_text("没有待支付的账单")
    expect(page.get_by_test_id("history")).not_to_contain_text("复诊")
    response = page.goto(f"/payments/orders/{number}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text("未找到该订单")
    response = page.request.post(f"/payments/orders/{number}/pay", form={"split": "x"})
    assert response.status in (403, 404)  # no CSRF token, and not theirs either way
    assert OnlineOrder.objects.get(number=number).status == "settled"


def test_a_changed_split_and_an_expired_bill_are_refused_with_the_reason(page: Any) -> None:
    me = patient(phone="13900009999", insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), me, amounts=(30_000,)).json()["order"]
    sign_in(page, "13900009999")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto(f"/payments/orders/{number}/pay")  # opening the pay address pays nothing: it shows the bill
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_test_id("part-personal")).to_have_text("¥300.00")
    assert OnlineOrder.objects.get(number=number).status == "pre_settled"
    # A balance moves after the page showed the split: paying refuses and shows the split as it is now.
    from portal.ledger.services import Leg, institution_account, ledger_post

    shop = institution_account(institution=factories.institution())
    ledger_post(kind="payment", legs=[Leg(personal_account(person=me).pk, -90_000), Leg(shop.pk, 90_000)])
    page.get_by_role("button", name="Confirm the insurance payment").click()
    expect(page.get_by_role("alert")).to_contain_text("The split changed since you authorised")
    expect(page.get_by_test_id("part-personal")).to_have_text("¥100.00")
    expect(page.get_by_test_id("part-cash")).to_have_text("¥200.00")
    shot(page, "payment-split-changed")
    assert OnlineOrder.objects.get(number=number).status == "pre_settled"
    # The time to pay passes while the page is open: the bill says so and what to do, and offers nothing to pay.
    OnlineOrder.objects.filter(number=number).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page.get_by_role("button", name=re.compile("Confirm and pay")).click()
    expect(page.get_by_test_id("expired")).to_contain_text("The time to pay has passed")
    expect(page.get_by_test_id("expired")).to_contain_text("ask the hospital that sent it for a new bill")
    expect(page.get_by_test_id("pay-error")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Confirm"))).to_have_count(0)
    assert OnlineOrder.objects.get(number=number).status == "pre_settled"
    assert account_balance(account_id=personal_account(person=me).pk) == 10_000  # nothing held


def insured(**extra: Any) -> Person:
    person = factories.person(**extra)
    Contribution.objects.create(person=person, year=timezone.localdate().year, paid=True)
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    return person


def counter_settle(client: TerminalClient, person: Person, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The pharmacy scans the resident's code and settles (signed terminal requests)."""
    code = code_issue(viewer=person, subject=person).text
    scanned = client.post("/api/v1/scanner/scan", {"code": code, "business_type": "02121"})
    assert scanned.status_code == 201, scanned.json()
    body = {"scan_session_id": scanned.json()["scan_session_id"], "idempotency_key": key, "items": items}
    settled = client.post("/api/v1/scanner/settlements", body)
    assert settled.status_code == 201, settled.json()
    return settled.json()


def drug(name: str, price: int, quantity: int = 1) -> dict[str, Any]:
    return {
        "code": f"X{price}",
        "name": name,
        "kind": "drug",
        "quantity": quantity,
        "unit_price_fen": price,
        "days_supply": 7,
        "trace_codes": [str(next(_trace)) for _ in range(quantity)],
    }


def test_the_counter_settlement_history_and_receipts(page: Any) -> None:
    me = insured(name="陈静", phone="13900001212", insurance_type="employee", balance_fen=100_000)
    pharmacy = factories.institution(kind="pharmacy")
    client = TerminalClient(*factories.terminal(of=pharmacy))
    first = counter_settle(
        client, me, [drug("阿莫西林胶囊", 15_000, quantity=2), drug("布洛芬缓释胶囊", 2_000)], key="web-settle-0001"
    )
    refunded = client.post(
        f"/api/v1/scanner/settlements/{first['settlement']}/refunds", {"lines": [2], "idempotency_key": "web-ref-01"}
    )
    assert refunded.status_code == 201, refunded.json()
    second = counter_settle(client, me, [drug("维生素C片", 1_000)], key="web-settle-0002")
    assert client.post(f"/api/v1/scanner/settlements/{second['settlement']}/reversal").status_code == 200
    patient(phone="13900003434")  # an outsider

    page.goto("/payments/")
    assert "/signin?next=/payments/" in page.url
    sign_in(page, "13900001212")
    page.goto("/payments/")
    rows = page.get_by_test_id("settlements")
    expect(rows.get_by_role("link")).to_have_count(2)
    expect(rows).to_contain_text(pharmacy.name)
    expect(rows).to_contain_text("部分退费")
    expect(rows).to_contain_text("已冲正")
    page.get_by_role("link", name=re.compile("全部结算记录")).click()
    page.wait_for_url("**/payments/settlements/")
    expect(page.get_by_test_id("settlements").get_by_role("link")).to_have_count(2)
    shot(page, "settlements")

    page.goto(f"/payments/settlements/{first['settlement']}")
    settlement = Settlement.objects.get(number=first["settlement"])
    expect(page.get_by_test_id("settlement-number")).to_have_text(settlement.number)
    expect(page.get_by_test_id("settlement-status")).to_have_text("部分退费")
    items = page.get_by_test_id("settlement-items")
    expect(items).to_contain_text("阿莫西林胶囊 × 2")
    expect(items).to_contain_text("布洛芬缓释胶囊 × 1")
    expect(items).to_contain_text("已退费")
    totals = first["totals"]
    expect(page.get_by_test_id("part-fund")).to_have_text(f"¥{totals['fund']['yuan']}")
    expect(page.get_by_test_id("part-personal")).to_have_text(f"¥{totals['personal_account']['yuan']}")
    expect(page.get_by_test_id("part-cash")).to_have_text(f"¥{totals['cash']['yuan']}")
    expect(page.get_by_test_id("part-total")).to_have_text("¥320.00")
    refunds = page.get_by_test_id("refunds")
    expect(refunds).to_contain_text("布洛芬缓释胶囊")
    refund = settlement.refunds.get()
    refund_total = refund.fund_fen + refund.assistance_fen + refund.personal_account_fen + refund.cash_fen
    assert refund_total == 2_000
    expect(refunds).to_contain_text("¥20.00")
    shot(page, "settlement-receipt")

    page.goto(f"/payments/settlements/{second['settlement']}")
    expect(page.get_by_test_id("settlement-status")).to_have_text("已冲正")
    expect(page.get_by_test_id("reversed")).to_be_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("settlement-status")).to_have_text(
        "Reversed"
    )  # English labels start with a capital on every page
    expect(page.get_by_test_id("reversed")).to_contain_text("This settlement was reversed")
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()

    sign_out(page)
    sign_in(page, "13900003434")
    page.goto("/payments/")
    expect(page.get_by_test_id("settlements").get_by_role("link")).to_have_count(0)
    response = page.goto(f"/payments/settlements/{first['settlement']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text("未找到该结算")
