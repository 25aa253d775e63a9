from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery._state import _set_task_join_will_block
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from portal.celery import app as celery_app
from portal.institutions.models import Terminal
from portal.localcache import forget_all
from portal.people.models import Person
from portal.people.services import person_user
from portal.signin.signing import sign_headers
from portal.signin.sms import LocmemSmsBackend
from tests import factories
from vouchers.keys import ring_reset


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """No persistent connections in tests: the live server answers each request in a thread of its own,
    and a connection kept open there would stop the test database from being dropped at the end."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True, scope="session")
def _api_contract() -> Iterator[None]:
    """Every /api/v1/ answer a test receives through the test client is checked against the OpenAPI
    document (tests/contract.py); a mismatch fails the test that made the request."""
    from django.test.client import Client

    from tests import contract

    original = Client.request

    def checked(self: Client, **request: Any) -> Any:
        response = original(self, **request)
        if not getattr(response, "streaming", False):
            contract.check(
                request.get("REQUEST_METHOD", "GET"),
                request.get("PATH_INFO", ""),
                response.status_code,
                response.get("Content-Type", ""),
                response.content,
            )
        return response

    Client.request = checked  # type: ignore[method-assign]
    yield
    Client.request = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolation(settings: Any) -> Iterator[None]:
    settings.SMS_BACKEND = "portal.signin.sms.LocmemSmsBackend"
    settings.HOSPITAL_NOTIFY_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the tests' hospital receivers are local
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    LocmemSmsBackend.outbox.clear()
    cache.clear()
    forget_all()  # per-process caches (terminals, rule sets, audit rules)
    ring_reset()  # the e-voucher signing keys, cached per process: each test's database starts without them
    translation.activate(settings.LANGUAGE_CODE)  # a page requested in English earlier leaves it active
    yield
    cache.clear()
    # Eager tasks run at once in several threads (a live server answering a stand-in's notifies while the
    # test runs its own): Celery's process-wide "inside a task" flag, set and restored around each, can be
    # left up, and a later test's result.get() would then refuse to block.
    _set_task_join_will_block(False)
    ring_reset()


@pytest.fixture
def sms_outbox() -> list[dict[str, str]]:
    return LocmemSmsBackend.outbox


def needs_postgres() -> Any:
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency test: needs PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def resident_api() -> Callable[[Person], APIClient]:
    """An API client signed in (session) as the given resident."""

    def make(person: Person) -> APIClient:
        client = APIClient()
        client.force_login(person_user(person=person))
        return client

    return make


class TerminalClient:
    """Signs every request like a real terminal would."""

    def __init__(self, terminal: Terminal, secret: str) -> None:
        self.terminal, self.secret, self.client = terminal, secret, APIClient()

    def request(self, method: str, path: str, data: Any = None, **headers: Any) -> Any:
        import json

        body = b"" if data is None else json.dumps(data).encode()
        signed = sign_headers(key_id=self.terminal.key_id, secret=self.secret, method=method, path=path, body=body)
        signed.update(headers)
        return self.client.generic(method, path, data=body, content_type="application/json", headers=signed)

    def get(self, path: str, **headers: Any) -> Any:
        return self.request("GET", path, **headers)

    def post(self, path: str, data: Any = None, **headers: Any) -> Any:
        return self.request("POST", path, data, **headers)


@pytest.fixture
def terminal_api() -> Callable[..., TerminalClient]:
    def make(institution: Any = None, kind: str = Terminal.Kind.SCANNER) -> TerminalClient:
        terminal, secret = factories.terminal(of=institution, kind=kind)
        return TerminalClient(terminal, secret)

    return make


CASH_CHANNELS = ["wechatpay", "alipay"]


@pytest.fixture
def cash_channel(request: pytest.FixtureRequest) -> str:
    """The channel a payment test runs with: WeChat Pay unless the module parametrises it
    (``pytest.mark.parametrize("cash_channel", CASH_CHANNELS, indirect=True)``)."""
    return str(getattr(request, "param", "wechatpay"))


class AlipayUnderTest:
    """The Alipay stand-in, with the WeChat stand-in's test controls: ``pay(number)`` finds the order's
    wap URL (an Alipay order exists there only once the payer opens it) and ``state_of`` reads its trade."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)

    @property
    def base_url(self) -> str:
        return str(self.server.base_url)

    def pay(self, out_trade_no: str) -> Any:
        from payments.online.models import OnlineOrder

        h5_url = OnlineOrder.objects.get(number=out_trade_no).h5_url
        return self.server.pay(out_trade_no, h5_url=h5_url)

    def closed(self, out_trade_no: str) -> bool:
        """Closed there, or never opened (an Alipay wap order exists only once the payer opens it)."""
        trade = self.server.orders.get(out_trade_no)
        return trade is None or trade.trade_status == "TRADE_CLOSED"


class WeChatPayUnderTest(AlipayUnderTest):
    def pay(self, out_trade_no: str) -> Any:
        return self.server.pay(out_trade_no)

    def closed(self, out_trade_no: str) -> bool:
        return self.server.orders[out_trade_no].trade_state == "CLOSED"


@pytest.fixture
def standins(settings: Any, live_server: Any, cash_channel: str) -> Iterator[dict[str, Any]]:
    """Both channels' stand-ins, each on a port of its own sending its notifies to its route on the live
    server; ``cash_channel`` is the deployment's first channel (the default when paying)."""
    from payments.channels import factory
    from payments.channels.alipay.dev import dev_standin as alipay_standin
    from payments.channels.wechatpay.standin import dev_standin

    wechat, alipay = dev_standin(retry_delays=(0.05, 0.1, 0.2)), alipay_standin(retry_delays=(0.05, 0.1, 0.2))
    settings.CASH_CHANNEL_BASE_URL = wechat.start()
    alipay.start()
    settings.ALIPAY_BASE_URL = alipay.gateway
    settings.CASH_CHANNEL_DEV_KEYS = True
    settings.CASH_CHANNELS = [cash_channel, *(name for name in CASH_CHANNELS if name != cash_channel)]
    settings.PAYMENT_NOTIFY_URLS = {name: f"{live_server.url}/api/v1/payments/notify/{name}" for name in CASH_CHANNELS}
    running = {"wechatpay": WeChatPayUnderTest(wechat), "alipay": AlipayUnderTest(alipay)}
    for name, wrapped in running.items():
        wrapped.notify_url = settings.PAYMENT_NOTIFY_URLS[name]
    factory.reset()
    yield running
    wechat.stop()
    alipay.stop()
    factory.reset()


@pytest.fixture
def standin(standins: dict[str, Any], cash_channel: str) -> Any:
    """The stand-in of the channel under test (both run)."""
    return standins[cash_channel]
