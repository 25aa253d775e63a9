"""A Hypothesis state machine over create / authorise / pay / notify / duplicate / refund / close /
reconcile, against the real adapter and the stand-in channel, once per channel (WeChat Pay, Alipay).
Invariants after every step: ledger legs sum to zero, no negative balance, refunds never above what was
paid, parts sum to the total, orders only move along declared transitions; at the end, after draining,
reconciliation finds nothing."""

import http.server
import itertools
import threading

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from payments.benefits.models import BenefitUsage
from payments.channels import factory
from payments.channels.alipay.dev import dev_standin as alipay_standin
from payments.channels.wechatpay.standin import dev_standin
from payments.online import confirm, pay, refunds
from payments.online.models import OnlineOrder, OnlineRefund, OrderEvent
from payments.online.notifies import notify_receive
from payments.online.reconcile import reconcile
from portal.errors import DomainError
from portal.ledger.models import LedgerAccount
from portal.ledger.selectors import accounts_out_of_step, unbalanced_transactions
from tests import factories
from tests.payments.online_helpers import patient

pytestmark = pytest.mark.django_db
_keys = itertools.count()


class Capture(http.server.ThreadingHTTPServer):
    """Receives the stand-in's notifies and keeps them; the machine delivers them when it decides."""

    def __init__(self) -> None:
        self.notifies: list[tuple[dict[str, str], bytes]] = []
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler) -> None:
                body = handler.rfile.read(int(handler.headers["Content-Length"]))
                with lock:
                    self.notifies.append((dict(handler.headers.items()), body))
                handler.send_response(200)  # "success" is what Alipay waits for; WeChat reads the status
                handler.send_header("Content-Length", "7")
                handler.end_headers()
                handler.wfile.write(b"success")

            def log_message(handler, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/notify"


class OnlinePayments(RuleBasedStateMachine):
    CHANNEL = "wechatpay"

    def __init__(self) -> None:
        super().__init__()
        from django.conf import settings as django_settings

        # A fresh channel and database state for every example.
        self.capture = Capture()
        if self.CHANNEL == "wechatpay":
            self.standin = dev_standin(retry_delays=(0.01,))
            django_settings.CASH_CHANNEL_BASE_URL = self.standin.start()
        else:
            self.standin = alipay_standin(retry_delays=(0.01,))
            self.standin.start()
            django_settings.ALIPAY_BASE_URL = self.standin.gateway
        django_settings.CASH_CHANNELS = [self.CHANNEL]
        django_settings.PAYMENT_NOTIFY_URLS = {self.CHANNEL: self.capture.url}
        factory.reset()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.delivered: list[tuple[dict[str, str], bytes]] = []
        self.hospital = factories.terminal(
            of=factories.institution(kind="internet_hospital", level="3"), kind="system"
        )[0]
        self.person = patient(insurance_type="employee", balance_fen=20_000)
        BenefitUsage.objects.create(
            person=self.person,
            year=timezone.localdate().year,
            scheme="outpatient",
            deductible_fen=40_000,
            reference=f"sm-{next(_keys)}",
            service_date=timezone.localdate(),
        )
        self.numbers: list[str] = []

    def teardown(self) -> None:
        try:
            # Drain: every notify delivered, late orders and refunds queried; then nothing may differ.
            self.deliver_all()
            for number in list(self.numbers):
                confirm.order_query_late(number=number)
            for number in refunds.refunds_needing_a_query():
                refunds.refund_query(number=number)
            self.deliver_all()
            run = reconcile(bill_date=timezone.localdate(), channel_name=self.CHANNEL)
            assert run.differences == 0, list(run.differences_found.values("kind", "out_trade_no", "details"))
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)
            self.standin.stop()
            self.capture.shutdown()

    def deliver_all(self) -> None:
        while self.capture.notifies:
            headers, body = self.capture.notifies.pop(0)
            notify_receive(channel_name=self.CHANNEL, headers=headers, body=body)
            self.delivered.append((headers, body))

    @rule(amount=st.sampled_from([5_000, 30_000, 60_000]))
    def create(self, amount: int) -> None:
        order, _ = pay.order_upload(
            terminal=self.hospital,
            person=self.person,
            idempotency_key=f"sm-{next(_keys)}",
            items=[{"code": "F1", "name": "药品", "amount_fen": amount}],
            description="复诊",
        )
        self.numbers.append(order.number)

    @precondition(lambda self: self.numbers)
    @rule(index=st.integers(0, 50))
    def authorise_and_pay(self, index: int) -> None:
        order = OnlineOrder.objects.get(number=self.numbers[index % len(self.numbers)])
        try:
            raw, _, _ = pay.order_authorize(order=order, payer=self.person)
            pay.order_pay(order_number=order.number, payer=self.person, pay_auth_no=raw)
        except DomainError as error:
            assert error.code in {"order_state_refused", "split_changed", "insufficient_balance"}, error.code

    @precondition(lambda self: self.numbers)
    @rule(index=st.integers(0, 50))
    def channel_payment(self, index: int) -> None:
        number = self.numbers[index % len(self.numbers)]
        kept = self.standin.orders.get(number)
        if self.CHANNEL == "wechatpay":
            if kept is not None and kept.trade_state == "NOTPAY":
                self.standin.pay(number)
            return
        # Alipay: the trade exists once the payer opens the wap page (even after we closed the bill: then
        # the payment is late, and refunded automatically)
        h5_url = OnlineOrder.objects.get(number=number).h5_url
        if h5_url and (kept is None or kept.trade_status == "WAIT_BUYER_PAY"):
            self.standin.pay(number, h5_url=h5_url)

    @rule()
    def notify(self) -> None:
        self.deliver_all()

    @precondition(lambda self: self.delivered)
    @rule(index=st.integers(0, 50))
    def duplicate_notify(self, index: int) -> None:
        headers, body = self.delivered[index % len(self.delivered)]
        notify_receive(channel_name=self.CHANNEL, headers=headers, body=body)

    @precondition(lambda self: self.numbers)
    @rule(
        index=st.integers(0, 50),
        part=st.sampled_from(["cash", "personal", "fund", None]),
        amount=st.integers(1, 20_000),
    )
    def refund(self, index: int, part: str | None, amount: int) -> None:
        order = OnlineOrder.objects.get(number=self.numbers[index % len(self.numbers)])
        try:
            refunds.refund_request(
                institution_id=order.institution_id,
                number=order.number,
                idempotency_key=f"sm-{next(_keys)}",
                parts=None if part is None else {part: amount},
            )
        except DomainError as error:
            assert error.code in {
                "refund_not_allowed",
                "refund_in_progress",
                "refund_exceeds_payment",
                "refund_empty",
            }, error.code
        for number in refunds.refunds_needing_a_query():
            refunds.refund_query(number=number)  # what the scheduled job does (no on_commit inside a test)

    @precondition(lambda self: self.numbers)
    @rule(index=st.integers(0, 50))
    def close(self, index: int) -> None:
        confirm.order_close(number=self.numbers[index % len(self.numbers)], reason="state machine")

    @rule()
    def reconcile_today(self) -> None:
        reconcile(bill_date=timezone.localdate(), channel_name=self.CHANNEL)  # never fails; checked at the end

    @invariant()
    def ledger_balanced_and_nothing_negative(self) -> None:
        assert not unbalanced_transactions().exists()
        assert not accounts_out_of_step().exists()
        assert not LedgerAccount.objects.filter(allow_negative=False, balance__lt=0).exists()

    @invariant()
    def refunds_never_exceed_what_was_paid(self) -> None:
        for order in OnlineOrder.objects.filter(number__in=self.numbers):
            left = refunds.refundable(order)
            assert all(value >= 0 for value in left.values()), (order.number, left)
            assert order.fund_fen + order.assistance_fen + order.personal_fen + order.cash_fen == order.total_fen

    @invariant()
    def states_only_move_along_declared_transitions(self) -> None:
        for event in OrderEvent.objects.filter(order__number__in=self.numbers).exclude(from_status=""):
            assert (
                event.from_status == event.to_status or event.to_status in OnlineOrder.TRANSITIONS[event.from_status]
            ), (event.from_status, event.to_status)
        assert not OnlineRefund.objects.filter(order__number__in=self.numbers, status="failed").exists()


@pytest.mark.parametrize("channel", ["wechatpay", "alipay"])
def test_any_sequence_of_payment_events_keeps_the_invariants(settings, channel: str) -> None:
    settings.CASH_CHANNEL_DEV_KEYS = True  # the machine points the channel at its own stand-in
    machine = type(f"OnlinePayments_{channel}", (OnlinePayments,), {"CHANNEL": channel})
    try:
        run_state_machine_as_test(
            machine,
            settings=hypothesis_settings(
                max_examples=10, stateful_step_count=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
            ),
        )
    finally:
        factory.reset()
