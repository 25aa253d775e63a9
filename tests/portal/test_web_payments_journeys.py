"""Issue 18, "payments speak internal words": the bill page's journeys for a resident on their own, in a
real browser (360x780 screenshots ``pay-*``): confirming again after going back, cancelling a held payment
(and a payment that beat the cancel), an expired bill, why a part is ¥0, paying without the personal account;
and issue 20's Alipay journey inside Alipay, through the Alipay stand-in's cashier and back (``pay-alipay-*``).
The money invariants (``check_invariants``) hold after each."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from payments.online.models import OnlineOrder, OnlineRefund, ReconciliationRun
from portal.family.models import FamilyBinding
from portal.ledger.selectors import account_balance, personal_account
from portal.ops.invariants import check_all
from portal.people.models import Person
from tests.payments.online_helpers import deductible_met, hospital_client, patient, upload, wait_for
from tests.portal.browser import BROWSER_TESTS, shot, sign_in

pytestmark = BROWSER_TESTS


def invariants_hold() -> None:
    broken = [(r.name, r.violations) for r in check_all() if not r.ok]
    assert not broken, broken


def status_of(number: str) -> str:
    return OnlineOrder.objects.get(number=number).status


def balance(person: Person) -> int:
    return account_balance(account_id=personal_account(person=person).pk)


def mixed_bill(phone: str, *, spouse: bool = False) -> tuple[Person, str]:
    """Fund 150, personal 100, cash 50 (with ``spouse``: 60 mine + 40 shared by my spouse)."""
    me = patient(name="李娜", phone=phone, insurance_type="employee", balance_fen=6_000 if spouse else 10_000)
    if spouse:
        initiator = patient(name="王强", insurance_type="employee", balance_fen=4_000)
        FamilyBinding.objects.create(
            initiator=initiator,
            bound=me,
            relation="spouse",
            status="active",
            consent_expires_at=timezone.now(),
            activated_at=timezone.now(),
        )
    deductible_met(me)
    uploaded = upload(hospital_client(), me, amounts=(30_000,))
    assert uploaded.status_code == 201, uploaded.json()
    return me, uploaded.json()["order"]


def test_confirming_again_after_going_back_goes_to_the_cash_step_again(page: Any, standin: Any) -> None:
    me, number = mixed_bill("13900011001")
    sign_in(page, "13900011001")
    page.goto(f"/payments/orders/{number}")
    stale = page.context.new_page()  # the same bill left open: what Back shows on many phones
    stale.goto(f"/payments/orders/{number}")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    assert status_of(number) == "awaiting_cash"
    # Confirming again from the old page: no "订单当前状态（awaiting_cash）", just the cash step again.
    stale.get_by_role("button", name=re.compile("确认支付")).click()
    stale.wait_for_url(f"{standin.base_url}/h5/pay**")
    expect(stale.get_by_text("¥50.00")).to_be_visible()
    stale.close()
    # Back from the cashier shows the bill as it was, 确认支付 and all: tapping it again goes on to pay.
    page.go_back()
    page.wait_for_url(f"**/payments/orders/{number}")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    # Opened afresh, the bill says what it waits for, in words, and offers to go on or to cancel.
    page.goto(f"/payments/orders/{number}")
    expect(page.get_by_test_id("order-status")).to_have_text("待付款")
    expect(page.get_by_role("link", name=re.compile("继续付款 · 微信支付"))).to_be_visible()
    expect(page.get_by_test_id("cancel-link")).to_be_visible()
    assert "awaiting_cash" not in page.content().replace(f'"{number}"', "")
    shot(page, "pay-confirm-again")
    page.get_by_role("link", name=re.compile("继续付款 · 微信支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    assert status_of(number) == "awaiting_cash" and balance(me) == 0  # held once, not twice
    invariants_hold()


def test_cancelling_a_held_payment_gives_the_money_back(page: Any, standin: Any) -> None:
    me, number = mixed_bill("13900011002", spouse=True)
    spouse = FamilyBinding.objects.get(bound=me).initiator
    page.clock.install()  # no automatic reloads while the resident reads
    sign_in(page, "13900011002")
    page.goto(f"/payments/orders/{number}")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    assert balance(me) == 0 and balance(spouse) == 0  # held
    page.goto(f"/payments/orders/{number}")
    page.get_by_test_id("cancel-link").click()
    page.wait_for_url(f"**/payments/orders/{number}/cancel")
    question = page.get_by_test_id("cancel-question")
    expect(question.get_by_role("heading")).to_have_text("要取消这笔支付吗？")
    expect(question).to_contain_text("冻结的医保基金和个人账户款项会退回")
    shot(page, "pay-cancel-question")
    page.get_by_role("button", name="是，取消支付").click()
    page.wait_for_url(f"**/payments/orders/{number}")  # post/redirect/get: reloading cancels nothing twice
    expect(page.get_by_role("status")).to_contain_text("已取消支付")
    expect(page.get_by_test_id("order-status")).to_have_text("已关闭，未付款")
    expect(page.get_by_test_id("closed-why")).to_have_text("您取消了这笔支付。")
    expect(page.get_by_test_id("closed")).to_contain_text("请联系开具账单的医院重新开具账单")
    shot(page, "pay-cancelled")
    assert status_of(number) == "closed" and standin.orders[number].trade_state == "CLOSED"
    assert balance(me) == 6_000 and balance(spouse) == 4_000
    invariants_hold()
    # The question page again (Back, or a second tab): nothing left to cancel, the bill says where it stands.
    page.goto(f"/payments/orders/{number}/cancel")
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_test_id("closed-why")).to_be_visible()
    assert balance(me) == 6_000
    invariants_hold()


def test_a_cancel_after_the_cash_was_paid_says_it_is_paid(page: Any, standin: Any) -> None:
    me, number = mixed_bill("13900011003")
    page.clock.install()
    sign_in(page, "13900011003")
    page.goto(f"/payments/orders/{number}")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    page.goto(f"/payments/orders/{number}/cancel")
    standin.hold_notifies()
    standin.pay(number)  # paid in WeChat on another screen; the notify is late
    page.get_by_role("button", name="是，取消支付").click()
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_role("status")).to_contain_text("您已经在微信支付完成了付款，所以没有取消")
    expect(page.get_by_test_id("order-status")).to_have_text("已支付")
    shot(page, "pay-cancel-already-paid")
    standin.release_notifies()
    wait_for(lambda: standin.notify_log and standin.notify_log[-1]["status"] == 200)
    assert status_of(number) == "settled" and balance(me) == 0
    invariants_hold()


def test_an_expired_bill_offers_nothing_to_pay_and_says_what_to_do(page: Any, standin: Any) -> None:
    me, number = mixed_bill("13900011004")
    _, held = mixed_bill("13900011005")
    held_person = OnlineOrder.objects.get(number=held).person
    sign_in(page, "13900011004")
    OnlineOrder.objects.filter(number=number).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page.goto("/payments/")
    expect(page.get_by_test_id("waiting")).to_contain_text("没有待支付的账单")
    expect(page.get_by_test_id("history")).to_contain_text("已过支付时间")
    page.get_by_test_id("history").get_by_role("link").first.click()
    page.wait_for_url(f"**/payments/orders/{number}")
    expired = page.get_by_test_id("expired")
    expect(expired).to_contain_text("已过支付时间")
    expect(expired).to_contain_text("没有从您的医保或个人账户扣任何钱")
    expect(expired).to_contain_text("请联系开具账单的医院重新开具账单")
    expect(page.get_by_role("button", name=re.compile("确认"))).to_have_count(0)
    shot(page, "pay-expired")
    assert status_of(number) == "pre_settled" and balance(me) == 10_000

    # A payment started in time, whose time then ran out: no 继续付款, but check or cancel.
    page.context.clear_cookies()
    page.clock.install()
    sign_in(page, "13900011005")
    page.goto(f"/payments/orders/{held}")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    OnlineOrder.objects.filter(number=held).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page.goto(f"/payments/orders/{held}")
    expect(page.get_by_test_id("order-status")).to_have_text("已过支付时间")
    expect(page.get_by_role("link", name=re.compile("继续付款 · 微信支付"))).to_have_count(0)
    expect(page.get_by_test_id("expired")).to_contain_text("冻结的医保和个人账户款项会在几分钟内自动退回")
    shot(page, "pay-expired-held")
    page.get_by_role("button", name="我已支付，查询结果").click()
    expect(page.get_by_role("status")).to_contain_text("没有查到付款")
    expect(page.get_by_test_id("closed-why")).to_contain_text("到了支付截止时间还没有付款")
    assert status_of(held) == "closed" and balance(held_person) == 10_000
    invariants_hold()


def test_every_zero_part_says_why(page: Any) -> None:
    # A resident (no personal account) at a level-3 internet hospital: residents' outpatient pooling is
    # for primary-level institutions only, so the fund pays nothing and it is all cash.
    resident = patient(phone="13900011006", insurance_type="resident")
    cash_only = upload(hospital_client(), resident, amounts=(8_800,)).json()["order"]
    # An employee below this year's deductible, with enough in the account: all from the account.
    employee = patient(phone="13900011007", insurance_type="employee", balance_fen=100_000)
    account_only = upload(hospital_client(), employee, amounts=(30_000,)).json()["order"]

    sign_in(page, "13900011006")
    page.goto(f"/payments/orders/{cash_only}")
    expect(page.get_by_test_id("part-fund")).to_have_text("¥0.00")
    expect(page.get_by_test_id("why-fund")).to_contain_text("居民普通门诊仅限基层医疗机构（¥88.00）")
    expect(page.get_by_test_id("why-fund")).to_contain_text("社区卫生服务中心")
    expect(page.get_by_test_id("why-personal")).to_contain_text("没有可用的个人账户")
    expect(page.get_by_test_id("why-cash")).to_have_count(0)
    shot(page, "pay-zero-reasons")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("why-fund")).to_contain_text("Why the fund pays nothing")
    expect(page.get_by_test_id("why-fund")).to_contain_text("primary-level institutions (¥88.00)")
    shot(page, "pay-zero-reasons-en")
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()

    page.context.clear_cookies()
    sign_in(page, "13900011007")
    page.goto(f"/payments/orders/{account_only}")
    expect(page.get_by_test_id("why-fund")).to_contain_text("起付线以下自付（¥300.00）")
    expect(page.get_by_test_id("why-fund")).to_contain_text("计入您今年的起付线")
    expect(page.get_by_test_id("why-cash")).to_contain_text("不需要现金支付")
    page.get_by_role("button", name="确认医保支付").click()
    expect(page.get_by_role("status")).to_contain_text("支付成功")
    # The receipt keeps the reasons: the bill counted toward the deductible.
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("why-fund")).to_contain_text("起付线以下自付（¥300.00）")
    expect(receipt.get_by_test_id("why-cash")).to_contain_text("不需要现金支付")
    shot(page, "pay-zero-reasons-receipt")
    invariants_hold()


def test_paying_without_the_personal_account(page: Any, standin: Any) -> None:
    me, number = mixed_bill("13900011008")
    sign_in(page, "13900011008")
    page.goto(f"/payments/orders/{number}")
    expect(page.get_by_test_id("part-personal")).to_have_text("¥100.00")
    choice = page.get_by_test_id("personal-choice")
    choice.get_by_role("link", name="不用个人账户，这部分改用现金支付").click()
    page.wait_for_url(f"**/payments/orders/{number}?personal=0")
    expect(page.get_by_test_id("part-personal")).to_have_text("¥0.00")
    expect(page.get_by_test_id("why-personal")).to_contain_text("您选择了不使用个人账户")
    expect(page.get_by_test_id("part-cash")).to_have_text("¥150.00")
    expect(page.get_by_test_id("personal-choice").get_by_role("link")).to_have_text("改回使用个人账户")
    shot(page, "pay-without-personal")
    page.get_by_role("button", name=re.compile("确认支付 · 现金 ¥150.00")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    expect(page.get_by_text("¥150.00")).to_be_visible()
    assert balance(me) == 10_000  # nothing held from the account
    invariants_hold()
    page.get_by_role("button", name="确认支付").click()
    page.get_by_role("link", name="返回商户").click()
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_test_id("order-status")).to_have_text("已支付", timeout=15_000)
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("part-personal")).to_have_text("¥0.00")
    expect(receipt.get_by_test_id("why-personal")).to_contain_text("您选择了不使用个人账户")
    expect(receipt.get_by_test_id("part-cash")).to_have_text("¥150.00")
    shot(page, "pay-without-personal-receipt")
    assert status_of(number) == "settled" and balance(me) == 10_000
    invariants_hold()


def test_choosing_how_to_pay_in_a_large_accessible_radio_group(page: Any, standin: Any) -> None:
    """Issue 20: WeChat Pay or Alipay, chosen for the browser (inside Alipay, Alipay), large in 长辈模式, free
    of serious axe findings, and a way not offered refused in words."""
    from axe_playwright_python.sync_playwright import Axe

    me = patient(phone="13900011009", insurance_type="resident")  # no account, no fund at level 3: all cash
    number = upload(hospital_client(), me, amounts=(8_800,)).json()["order"]
    sign_in(page, "13900011009")
    page.goto(f"/payments/orders/{number}")
    ways = page.get_by_role("group", name="付款方式")
    expect(ways.get_by_role("radio", name="微信支付")).to_be_checked()  # neither app: the first offered
    # The same resident inside Alipay (its browser's User-Agent), in 长辈模式: Alipay chosen, every way large.
    context = page.context
    inside = context.browser.new_context(
        viewport={"width": 360, "height": 780},
        base_url=page.url.split("/payments/")[0],
        locale="zh-CN",
        user_agent="Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 AlipayClient/10.5.86.8000",
    )
    inside.add_cookies(context.cookies())
    alipay = inside.new_page()
    alipay.goto(f"/payments/orders/{number}")
    expect(alipay.get_by_role("group", name="付款方式").get_by_role("radio", name="支付宝")).to_be_checked()
    expect(alipay.get_by_test_id("part-cash")).to_have_text("¥88.00")
    alipay.get_by_role("button", name="长辈模式").click()
    alipay.wait_for_load_state()
    expect(alipay.get_by_role("group", name="付款方式").get_by_role("radio", name="支付宝")).to_be_checked()
    assert all(box["height"] >= 60 for box in (w.bounding_box() for w in alipay.locator("label.way").all()))
    shot(alipay, "pay-channel-elderly")
    serious = [v["id"] for v in Axe().run(alipay).response["violations"] if v["impact"] in ("critical", "serious")]
    assert not serious, serious
    inside.close()
    # Here (neither app) WeChat Pay is chosen; the payer picks Alipay and back, tapping the words.
    page.get_by_text("支付宝", exact=True).click()  # the whole label is the target
    expect(ways.get_by_role("radio", name="支付宝")).to_be_checked()
    page.get_by_text("微信支付", exact=True).click()  # the whole label is the target
    expect(ways.get_by_role("radio", name="微信支付")).to_be_checked()
    shot(page, "pay-channel")
    # A way to pay this deployment does not offer (a tampered form): refused in words, nothing held.
    page.evaluate("document.querySelector('input[name=channel][value=wechatpay]').value = 'bitcoin'")
    page.get_by_role("button", name=re.compile("确认支付")).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请选择付款方式：微信支付或支付宝")
    summary.get_by_role("link").click()
    expect(ways.get_by_role("radio", name="微信支付")).to_be_focused()
    assert status_of(number) == "pre_settled"
    shot(page, "pay-channel-refused")
    # WeChat Pay, then: the order records it and the cashier is WeChat Pay's.
    ways.get_by_role("radio", name="微信支付").check()
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url(f"{standin.base_url}/h5/pay**")
    order = OnlineOrder.objects.get(number=number)
    assert (order.status, order.channel) == ("awaiting_cash", "wechatpay")
    invariants_hold()


ALIPAY_UA = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 AlipayClient/10.5.86.8000 Language/zh-Hans"


@pytest.fixture
def inside_alipay(page: Any, live_server: Any) -> Iterator[Any]:
    """A page in Alipay's own browser (its User-Agent), beside ``page``: a context of its own, signed out."""
    context = page.context.browser.new_context(
        viewport={"width": 360, "height": 780}, base_url=live_server.url, locale="zh-CN", user_agent=ALIPAY_UA
    )
    alipay_page = context.new_page()
    yield alipay_page
    alipay_page.goto("about:blank")  # no request left running in the live server when the database is emptied
    context.close()


def test_paying_a_cash_bill_inside_alipay_through_its_cashier_and_back(
    inside_alipay: Any, standins: Any, live_server: Any, settings: Any
) -> None:
    """Issue 20, end to end through the Alipay stand-in: inside Alipay the bill offers Alipay first; its cashier
    takes the cash, Alipay's return brings the payer back to a settled bill that names only 支付宝; the refund
    goes back through Alipay; both channels' bills for today reconcile with no difference."""
    settings.PUBLIC_BASE_URL = live_server.url  # where the channels send the payer back (and the notifies)
    alipay, wechat = standins["alipay"], standins["wechatpay"]
    me = patient(phone="13900011010", insurance_type="resident")  # no account, no fund at level 3: all cash
    hospital = hospital_client()
    number = upload(hospital, me, amounts=(8_800,)).json()["order"]
    page = inside_alipay
    sign_in(page, "13900011010")
    page.goto(f"/payments/orders/{number}")
    ways = page.get_by_role("group", name="付款方式")
    expect(ways.get_by_role("radio", name="支付宝")).to_be_checked()  # inside Alipay: Alipay first
    expect(page.get_by_test_id("part-cash")).to_have_text("¥88.00")
    page.get_by_role("button", name="确认支付 · 现金 ¥88.00").click()

    # Alipay's cashier (the stand-in's page for the signed alipay.trade.wap.pay request): the bill's amount.
    page.wait_for_url(f"{alipay.gateway}?**")
    expect(page.get_by_role("heading", name="支付宝")).to_be_visible()
    expect(page.get_by_text("¥88.00")).to_be_visible()
    order = OnlineOrder.objects.get(number=number)
    assert (order.status, order.channel) == ("awaiting_cash", "alipay")
    shot(page, "pay-alipay-cashier")
    page.get_by_role("button", name="确认付款").click()
    expect(page.get_by_role("heading", name="支付成功")).to_be_visible()
    shot(page, "pay-alipay-paid")

    # Back through the app's return URL to the bill: settled by Alipay's notify, every word of it 支付宝.
    back = page.get_by_role("link", name="返回商户")
    assert back.count() == 1, "Alipay's cashier offers no way back to the app (the pay request had no return_url)"
    assert back.get_attribute("href").startswith(f"{live_server.url}/payments/alipay/return?")
    back.click()
    page.wait_for_url(f"**/payments/orders/{number}")
    expect(page.get_by_test_id("order-status")).to_have_text("已支付", timeout=15_000)
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("part-cash")).to_have_text("¥88.00")
    expect(receipt).to_contain_text("现金（支付宝）")
    expect(receipt).to_contain_text("支付宝交易号")
    trade = alipay.orders[number]
    expect(receipt.get_by_test_id("receipt-transaction")).to_have_text(trade.trade_no)
    assert "微信" not in page.locator("main").inner_text()
    shot(page, "pay-alipay-receipt")
    order.refresh_from_db()
    assert (order.status, order.channel, order.channel_transaction_id) == ("settled", "alipay", trade.trade_no)
    assert trade.trade_status == "TRADE_SUCCESS" and trade.total == 8_800
    assert number not in wechat.orders and not wechat.notify_log  # WeChat Pay never saw it
    assert [(n["out_trade_no"], n["status"]) for n in alipay.notify_log][-1] == (number, 200)

    # The hospital refunds it: the cash goes back the way it came, through Alipay.
    refunded = hospital.post(
        f"/api/v1/hospital/orders/{number}/refunds", {"idempotency_key": "alipay-web-refund", "whole": True}
    )
    assert refunded.status_code == 201, refunded.json()
    refund_number = refunded.json()["refund"]
    wait_for(lambda: OnlineRefund.objects.get(number=refund_number).status == "succeeded")
    refund = OnlineRefund.objects.get(number=refund_number)
    assert (refund.channel, refund.cash_fen) == ("alipay", 8_800)
    assert [(r.out_trade_no, r.refund, r.status) for r in alipay.refunds.values()] == [
        (number, 8_800, "REFUND_SUCCESS")
    ]
    assert not wechat.refunds
    page.reload()
    expect(page.get_by_test_id("refunds")).to_contain_text("退回支付宝")
    expect(page.get_by_test_id("refunds")).to_contain_text("¥88.00")
    assert "微信" not in page.locator("main").inner_text()
    shot(page, "pay-alipay-refunded")

    invariants_hold()
    today = timezone.localdate()
    call_command("reconcile_payments", date=today, stdout=io.StringIO())
    runs = {run.channel: run for run in ReconciliationRun.objects.filter(bill_date=today)}
    assert set(runs) == {"alipay", "wechatpay"}
    for run in runs.values():
        assert run.differences == 0, list(run.differences_found.values("kind", "out_trade_no", "details"))
    assert (runs["alipay"].bill_rows, runs["alipay"].matched) == (2, 2)  # the payment and its refund
    assert (runs["wechatpay"].bill_rows, runs["wechatpay"].matched) == (0, 0)


def test_alipays_return_goes_to_the_bill_it_names_through_sign_in(client: Any) -> None:
    """The app's return URL believes nothing of Alipay's return but the bill to show; signed out, sign-in comes
    first and then that bill (its page checks whose it is)."""
    back = client.get("/payments/alipay/return?method=alipay.trade.wap.pay.return&out_trade_no=P2026AB12&trade_no=1")
    assert (back.status_code, back["Location"]) == (302, "/payments/orders/P2026AB12")
    assert client.get(back["Location"])["Location"] == "/signin?next=/payments/orders/P2026AB12"
    for malformed in ("", "../admin", "P1/../x"):
        assert client.get("/payments/alipay/return", {"out_trade_no": malformed})["Location"] == "/payments/"
