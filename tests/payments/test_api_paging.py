"""The residents' payment lists are paged (portal.pagination): internet-hospital bills, counter
settlements, prescriptions. Newest first, ``next`` for older rows, a bad cursor or limit is refused."""

from typing import Any

import pytest

from tests import factories
from tests.payments.online_helpers import hospital_client, patient, upload
from tests.payments.prescriptions import factories as rx
from tests.payments.settlement_helpers import drug, insured, prescribed, scan, settle

pytestmark = pytest.mark.django_db


def _pages(api: Any, path: str, key: str) -> list[list[Any]]:
    """Every page of the list at ``limit=2``, following ``next``."""
    pages = []
    url: str | None = f"{path}?limit=2"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append([row[key] for row in body["results"]])
        url = body["next"]
    return pages


def _refuses_bad_paging(api: Any, path: str) -> None:
    for query in ("cursor=not-a-cursor", "limit=0", "limit=101", "limit=abc"):
        response = api.get(f"{path}?{query}")
        assert (response.status_code, response.json()["code"]) == (400, "invalid_input"), query
    field = api.get(f"{path}?limit=0").json()["details"]["fields"]
    assert "limit" in field


def test_my_online_orders_come_in_pages_newest_first(resident_api) -> None:
    person = patient(insurance_type="employee", balance_fen=100_000)
    client = hospital_client()
    numbers = [upload(client, person, amounts=(1_000 + n,)).json()["order"] for n in range(3)]
    api = resident_api(person)
    pages = _pages(api, "/api/v1/payments/orders", "order")
    assert pages == [numbers[:0:-1], numbers[:1]]
    first = api.get("/api/v1/payments/orders?limit=2").json()
    assert first["previous"] is None and first["results"][0]["items"][0]["amount"] == {"fen": 1_002, "yuan": "10.02"}
    assert resident_api(patient()).get("/api/v1/payments/orders").json() == {
        "results": [],
        "next": None,
        "previous": None,
    }
    _refuses_bad_paging(api, "/api/v1/payments/orders")


def test_my_counter_settlements_come_in_pages_newest_first(resident_api, terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    client = terminal_api(factories.institution(kind="pharmacy"))
    numbers = []
    for _ in range(3):
        answer = settle(client, scan(client, person), [drug()], prescription_id=prescribed(person))
        assert answer.status_code == 201, answer.json()
        numbers.append(answer.json()["settlement"])
    api = resident_api(person)
    assert _pages(api, "/api/v1/settlements", "settlement") == [numbers[:0:-1], numbers[:1]]
    row = api.get("/api/v1/settlements?limit=1").json()["results"][0]
    assert row["total"] == {"fen": 5_000, "yuan": "50.00"} and row["person_id"] == person.pk
    _refuses_bad_paging(api, "/api/v1/settlements")


def test_my_prescriptions_come_in_pages_newest_first(resident_api) -> None:
    person = insured()
    ids = [rx.prescription(person).pk for _ in range(3)]
    rx.prescription(insured())  # someone else's
    api = resident_api(person)
    assert _pages(api, "/api/v1/prescriptions", "id") == [ids[:0:-1], ids[:1]]
    _refuses_bad_paging(api, "/api/v1/prescriptions")
