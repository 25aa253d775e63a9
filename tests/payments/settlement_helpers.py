"""Shared set-up for counter-settlement tests: an insured resident, a scan, drugs with trace codes."""

from __future__ import annotations

import itertools

from django.utils import timezone

from portal.people.models import Contribution
from tests import factories
from tests.conftest import TerminalClient
from vouchers.models import Voucher
from vouchers.scanning import code_issue
from vouchers.services import voucher_issue

_codes = itertools.count(10_000_000_000_000_000_000)


def trace(n: int = 1) -> list[str]:
    return [str(next(_codes)) for _ in range(n)]


def insured(**extra):
    person = factories.person(**extra)
    Contribution.objects.create(person=person, year=timezone.localdate().year, paid=True)
    voucher_issue(person=person, channel=Voucher.Channel.APP)
    return person


def scan(client: TerminalClient, person, business_type="02121") -> str:
    code = code_issue(viewer=person, subject=person).text
    response = client.post("/api/v1/scanner/scan", {"code": code, "business_type": business_type})
    assert response.status_code == 201, response.json()
    return response.json()["scan_session_id"]


def drug(price=5_000, quantity=1, **extra):
    return {
        "code": "XA01",
        "name": "阿莫西林胶囊",
        "kind": "drug",
        "quantity": quantity,
        "unit_price_fen": price,
        "trace_codes": trace(quantity),
        **extra,
    }


def prescribed(person, codes=("XA01",)) -> int:
    """An ordinary electronic prescription for the person (a designated hospital's): pooling at a pharmacy
    needs one (门诊处方外配). Returns its id, for ``prescription_id``."""
    from tests.payments.prescriptions.factories import prescription

    return prescription(person, specified_disease=False, codes=codes).pk


def settle(client, session, items, key=None, **extra):
    body = {"scan_session_id": session, "idempotency_key": key or f"key-{next(_codes)}", "items": items, **extra}
    return client.post("/api/v1/scanner/settlements", body)
