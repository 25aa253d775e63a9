"""Two cash channels side by side: a channel per bill, refunds back the way the cash came, one notify route
per channel, and a day of mixed-channel payments and refunds that reconciles with no difference."""

import pytest
from django.utils import timezone

from payments.online.models import ChannelNotification, OnlineOrder, OnlineRefund
from payments.online.reconcile import reconcile_all
from portal.ledger.selectors import accounts_out_of_step, unbalanced_transactions
from tests.payments.online_helpers import authorize_and_pay, deductible_met, hospital_client, patient, upload, wait_for
from tests.payments.test_online_e2e import api_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _paid(standins, channel: str, client, amount_fen: int = 30_000) -> str:
    person = patient(insurance_type="employee", balance_fen=5_000)
    deductible_met(person)
    number = upload(client, person, amounts=(amount_fen,)).json()["order"]
    paid = authorize_and_pay(api_for(person), number, channel=channel).json()
    assert paid["status"] == "awaiting_cash", paid
    standins[channel].pay(number)
    wait_for(lambda: OnlineOrder.objects.get(number=number).status == "settled")
    return number


def test_a_day_of_mixed_channel_payments_and_refunds_reconciles_with_no_difference(standins) -> None:
    client = hospital_client()
    wechat = [_paid(standins, "wechatpay", client) for _ in range(2)]
    alipay = [_paid(standins, "alipay", client, amount_fen=20_000) for _ in range(2)]
    refunds = []
    for n, number in enumerate([wechat[0], alipay[0]]):
        answer = client.post(
            f"/api/v1/hospital/orders/{number}/refunds",
            {"idempotency_key": f"mixed-refund-{n}", "parts": {"cash": 1_000}},
        )
        assert answer.status_code == 201, answer.json()
        refunds.append(answer.json()["refund"])
    whole = client.post(
        f"/api/v1/hospital/orders/{alipay[1]}/refunds", {"idempotency_key": "mixed-refund-whole", "whole": True}
    )
    refunds.append(whole.json()["refund"])
    for number in refunds:
        wait_for(lambda number=number: OnlineRefund.objects.get(number=number).status == "succeeded")

    # each order and refund went through its own channel, and each channel saw only its own
    assert {o.channel for o in OnlineOrder.objects.filter(number__in=wechat)} == {"wechatpay"}
    assert {o.channel for o in OnlineOrder.objects.filter(number__in=alipay)} == {"alipay"}
    for refund in OnlineRefund.objects.select_related("order").filter(number__in=refunds):
        assert refund.channel == refund.order.channel
    assert set(standins["wechatpay"].orders) == set(wechat) and set(standins["alipay"].orders) == set(alipay)
    assert {n.channel for n in ChannelNotification.objects.filter(duplicate_of__isnull=True)} == {"wechatpay", "alipay"}

    runs = {run.channel: run for run in reconcile_all(bill_date=timezone.localdate())}
    assert set(runs) == {"wechatpay", "alipay"}
    for run in runs.values():
        assert run.differences == 0, list(run.differences_found.values("kind", "out_trade_no", "details"))
    assert (runs["wechatpay"].matched, runs["alipay"].matched) == (2 + 1, 2 + 2)  # payments + refunds each
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_each_channel_has_its_own_notify_route(standins, live_server) -> None:
    import urllib.error
    import urllib.request

    def post(path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        request = urllib.request.Request(live_server.url + path, data=body, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    # a channel this deployment does not run: not found, in the error shape
    status, body = post("/api/v1/payments/notify/unionpay", b"{}", "application/json")
    assert status == 404 and b'"code"' in body
    # Alipay's route answers Alipay's way: a form that does not verify is "fail", kept for staff
    status, body = post("/api/v1/payments/notify/alipay", b"notify_id=x&sign=bad", "application/x-www-form-urlencoded")
    assert body == b"fail" and status >= 400
    # WeChat's answers WeChat's way (JSON FAIL)
    status, body = post("/api/v1/payments/notify/wechatpay", b"{}", "application/json")
    assert status >= 400 and b'"FAIL"' in body
    assert set(ChannelNotification.objects.values_list("channel", flat=True)) == {"alipay", "wechatpay"}


def test_an_unknown_channel_is_refused_in_words(standins) -> None:
    person = patient(insurance_type="resident")
    number = upload(hospital_client(), person, amounts=(8_800,)).json()["order"]
    answer = authorize_and_pay(api_for(person), number, channel="unionpay")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_input"
    assert OnlineOrder.objects.get(number=number).status == "pre_settled"
