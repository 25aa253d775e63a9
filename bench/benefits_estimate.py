"""Estimates per second of a 20-item bill, next to a bare DRF endpoint measured in the same run.

    .venv/bin/python bench/benefits_estimate.py [--requests 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/benefits_estimate.py

In-process (Django's test client, session authentication, no network), on a throw-away test database
of whatever DATABASE_URL names (SQLite by default). Also times the pure calculator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import create_test_database, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    setup_django()
    destroy = create_test_database()
    try:
        run(args.requests)
    finally:
        destroy()


def run(count: int) -> None:
    from django.db import connection
    from rest_framework.test import APIClient

    from payments.benefits.engine import Item, Place, Subject, YearToDate, calculate
    from payments.benefits.selectors import rule_set_on, rules_of
    from portal.people.models import Contribution
    from portal.people.services import person_user
    from tests import factories

    person = factories.person(insurance_type="retired", balance_fen=100_000)
    Contribution.objects.create(person=person, year=2024, paid=True)
    place = factories.institution(kind="hospital", level="2")
    client = APIClient()
    client.force_login(person_user(person=person))
    items = [
        {
            "code": f"D{i:03d}",
            "name": "药品",
            "amount_fen": 1234 + 97 * i,
            "in_catalogue": i % 5 != 0,
            "dual_channel": i == 7,
        }
        for i in range(20)
    ]
    body = {"institution_code": place.code, "service_date": "2024-03-01", "items": items}

    def baseline() -> None:
        assert client.get(f"/bench/baseline/{person.pk}").status_code == 200

    def estimate() -> None:
        response = client.post("/api/v1/benefits/estimate", body, format="json")
        assert response.status_code == 200, response.content

    rules = rules_of(rule_set_on(region=person.region, on=dt.date(2024, 3, 1)))
    engine_items = [Item(**item) for item in items]

    def pure() -> None:
        calculate(
            rules=rules, subject=Subject("retired"), place=Place("hospital", "2"), items=engine_items, ytd=YearToDate()
        )

    print(f"database: {connection.vendor}; 20-item bill; in-process test client")
    base = timed("baseline: bare DRF endpoint, 1 SELECT", count * 2, baseline)
    est = timed("POST /api/v1/benefits/estimate (20 items)", count, estimate)
    timed("calculator alone (20 items)", count * 5, pure)
    print(f"estimate / baseline throughput: {est['per_second'] / base['per_second']:.2f}")


if __name__ == "__main__":
    main()
