"""Channel notifies processed per second: 10,000 notifies, 30% of them duplicates, exactly-once effect.

    .venv/bin/python bench/notify_throughput.py [--notifies 10000] [--duplicates 0.3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/notify_throughput.py

In-process, on a throw-away test database: orders awaiting their cash part are created directly, then
genuine WeChat Pay v3 notifies (signed with the stand-in's development platform key, resource
AES-256-GCM encrypted) are POSTed to the notify endpoint through Django's test client in a shuffled
order, 30% of them a second time. Printed next to a bare DRF endpoint (one SELECT) measured in the same
run. Afterwards it checks the effect happened exactly once: every order settled once, one ledger
commit per order, duplicates answered without effect.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import create_test_database, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notifies", type=int, default=10_000)
    parser.add_argument("--duplicates", type=float, default=0.3)
    args = parser.parse_args()
    setup_django()
    destroy = create_test_database()
    try:
        run(args.notifies, args.duplicates)
    finally:
        destroy()


def _orders(count: int) -> list[str]:
    from django.utils import timezone

    from payments.online.models import OnlineOrder
    from tests import factories

    terminal, _ = factories.terminal(of=factories.institution(kind="internet_hospital", level="3"), kind="system")
    people = [factories.person(insurance_type="resident") for _ in range(50)]
    now = timezone.now()
    rows = [
        OnlineOrder(
            institution=terminal.institution,
            terminal=terminal,
            person=people[n % len(people)],
            idempotency_key=f"bench-{n}",
            request_hash="-",
            description="bench",
            service_date=now.date(),
            status=OnlineOrder.Status.AWAITING_CASH,
            total_fen=1_000 + n % 97,
            cash_fen=1_000 + n % 97,
            out_trade_no="",
            expires_at=now + timedelta(hours=1),
        )
        for n in range(count)
    ]
    created = OnlineOrder.objects.bulk_create(rows)
    for order in created:
        order.out_trade_no = order.number
    OnlineOrder.objects.bulk_update(created, ["out_trade_no"])
    return [order.number for order in created]


def _notify(number: str, amount: int, key: object) -> tuple[dict[str, str], bytes]:
    from payments.channels.standin.dev import dev_transaction_notify

    headers, body = dev_transaction_notify(number, amount, key=key)
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}, body


def run(count: int, duplicate_share: float) -> None:
    import logging

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from payments.channels import factory
    from payments.channels.standin import dev_config
    from payments.channels.wechatpay import load_private_key
    from payments.online.models import ChannelNotification, OnlineOrder
    from portal.ledger.models import LedgerTransaction
    from portal.ledger.selectors import accounts_out_of_step, unbalanced_transactions

    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("django.request").setLevel(logging.ERROR)
    # A channel notifies from many addresses; the in-process client has one.
    settings.NOTIFY_PER_MINUTE_PER_ADDRESS = 10**9
    factory.reset()
    unique = int(count / (1 + duplicate_share))
    numbers = _orders(unique)
    amounts = dict(OnlineOrder.objects.filter(number__in=numbers).values_list("number", "cash_fen"))
    config = dev_config()
    key = load_private_key(config["platform_private_key_pem"])
    started = time.perf_counter()
    notifies = [_notify(number, amounts[number], key) for number in numbers]
    signing = time.perf_counter() - started
    stream = notifies + random.Random(7).sample(notifies, count - unique)
    random.Random(8).shuffle(stream)
    client = Client()
    bare_pk = OnlineOrder.objects.first().person_id  # type: ignore[union-attr]
    print(
        f"database: {connection.vendor}; {len(stream)} notifies ({len(stream) - unique} duplicates) for "
        f"{unique} orders; building and signing them took {signing:.1f} s (not counted)"
    )
    timed("baseline: bare DRF endpoint, 1 SELECT", 2000, lambda: client.get(f"/bench/bare/{bare_pk}"))
    answers: dict[int, int] = {}
    position = iter(stream)

    def deliver() -> None:
        meta, body = next(position)
        response = client.post("/api/v1/payments/notify/wechatpay", data=body, content_type="application/json", **meta)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1

    timed("POST notify (verify, store, dedupe, settle)", len(stream) - 50, deliver)  # +50 warm-up
    settled = OnlineOrder.objects.filter(number__in=numbers, status="settled").count()
    duplicates = ChannelNotification.objects.filter(outcome="duplicate").count()
    commits = (
        LedgerTransaction.objects.filter(reference__in=numbers)
        .values("reference")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    print(
        f"answers: {answers}; orders settled: {settled}/{unique}; duplicates answered: {duplicates}; "
        f"orders with more than one commit: {commits}"
    )
    ok = settled == unique and duplicates == len(stream) - unique and commits == 0 and answers == {200: len(stream)}
    ok = ok and not unbalanced_transactions().exists() and not accounts_out_of_step().exists()
    print("exactly once: " + ("OK" if ok else "FAILED"))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
