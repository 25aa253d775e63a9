"""Data and calls the deployment tests share: institutions with terminals, residents with app tokens,
bills uploaded and paid over HTTP."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections

from portal.institutions.models import Institution
from portal.people.models import Person
from portal.people.services import person_id_number, person_user
from portal.signin.services import token_issue
from tests import factories
from tests.live.deployment import Answer, Deployment

_keys = itertools.count(1)


def key(prefix: str) -> str:
    return f"{prefix}-{time.time_ns()}-{next(_keys):05d}"


@dataclass
class Terminal:
    key_id: str
    secret: str
    institution: Institution

    def call(self, live: Deployment, method: str, path: str, body: Any = None) -> Answer:
        return live.terminal(self.key_id, self.secret, method, path, body)


def terminal_of(institution: Institution, kind: str = "scanner") -> Terminal:
    terminal, secret = factories.terminal(of=institution, kind=kind)
    return Terminal(terminal.key_id, secret, institution)


def hospital(region_code: str = "340600") -> Terminal:
    return terminal_of(factories.institution(kind="internet_hospital", level="3", region_code=region_code), "system")


def token_of(person: Person) -> str:
    raw, _ = token_issue(user=person_user(person=person))
    return raw


def upload(live: Deployment, hospital: Terminal, person: Person, amounts: tuple[int, ...], **item: Any) -> Answer:
    return hospital.call(
        live,
        "POST",
        "/api/v1/hospital/orders",
        {
            "idempotency_key": key("upload"),
            "patient_id_number": person_id_number(person),
            "description": "复诊 · 处方药",
            "items": [{"code": f"F{n}", "name": "处方药", "amount_fen": a, **item} for n, a in enumerate(amounts)],
        },
    )


def pay(live: Deployment, token: str, number: str) -> Answer:
    auth = live.resident(token, "POST", f"/api/v1/payments/orders/{number}/authorize")
    if auth.status != 201:
        return auth
    return live.resident(
        token, "POST", f"/api/v1/payments/orders/{number}/pay", {"pay_auth_no": auth.body["pay_auth_no"]}
    )


def eventually(condition: Callable[[], bool], seconds: float = 30, what: str = "the condition") -> None:
    """Poll the database (fresh reads) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        close_old_connections()
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")
