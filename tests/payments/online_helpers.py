"""Shared set-up for online-payment tests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from django.utils import timezone

from portal.people.models import Contribution, Person
from portal.people.services import person_id_number
from tests import factories
from tests.conftest import TerminalClient

_keys = itertools.count(1)


def patient(**extra) -> Person:
    person = factories.person(**extra)
    Contribution.objects.create(person=person, year=timezone.localdate().year, paid=True)
    return person


def hospital_client() -> TerminalClient:
    from tests.factories import terminal

    institution = factories.institution(kind="internet_hospital", level="3", dual_channel=True)
    return TerminalClient(*terminal(of=institution, kind="system"))


def upload(client: TerminalClient, person: Person, amounts=(30_000,), key: str | None = None, **item_extra):
    return client.post(
        "/api/v1/hospital/orders",
        {
            "idempotency_key": key or f"upload-{next(_keys):06d}",
            "patient_id_number": person_id_number(person),
            "description": "复诊 · 处方药",
            "diagnosis": "高血压",
            "department": "心内科",
            "doctor": "张医生",
            "items": [
                {"code": f"F{n}", "name": "处方药", "amount_fen": amount, **item_extra}
                for n, amount in enumerate(amounts)
            ],
        },
    )


def authorize_and_pay(api, number: str, channel: str | None = None):
    """Authorise and pay; the cash part through ``channel`` (the deployment's first when not given)."""
    auth = api.post(f"/api/v1/payments/orders/{number}/authorize")
    assert auth.status_code == 201, auth.json()
    body = {"pay_auth_no": auth.json()["pay_auth_no"], **({"channel": channel} if channel else {})}
    return api.post(f"/api/v1/payments/orders/{number}/pay", body, format="json")


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll until ``condition()`` holds (a notify or refund arriving from the stand-in's thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def prior_usage(person: Person, scheme: str = "outpatient", deductible_fen: int = 0, paid_fen: int = 0) -> None:
    """What the person already used this year, from settlements before the test (their usage rows)."""
    from payments.benefits.models import BenefitUsage

    reference = f"earlier-{person.pk}-{scheme}"
    BenefitUsage.objects.create(
        person=person,
        year=timezone.localdate().year,
        scheme=scheme,
        deductible_fen=deductible_fen,
        paid_fen=paid_fen,
        origin=reference,
        reference=reference,
        service_date=timezone.localdate(),
    )


def deductible_met(person: Person) -> None:
    """This year's outpatient deductible is used up, so the fund pays its share of a bill."""
    prior_usage(person, "outpatient", deductible_fen=40_000)
