from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
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
    translation.activate(settings.LANGUAGE_CODE)  # a page requested in English earlier leaves it active
    yield
    cache.clear()


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


@pytest.fixture
def standin(settings: Any, live_server: Any) -> Iterator[Any]:
    """The WeChat Pay stand-in on a port of its own, sending its notifies to the live server."""
    from payments.channels import factory
    from payments.channels.standin import dev_standin

    server = dev_standin(retry_delays=(0.05, 0.1, 0.2))
    settings.CASH_CHANNEL_BASE_URL = server.start()
    settings.CASH_CHANNEL_DEV_KEYS = True
    settings.PAYMENT_NOTIFY_URL = live_server.url + "/api/v1/payments/notify/wechatpay"
    factory.reset()
    yield server
    server.stop()
    factory.reset()
