"""Many clients at once against the service as deployed (gunicorn, 3 workers x 4 threads, PostgreSQL, a real
worker and beat). Every scenario ends with no answer 5xx and every invariant holding (check_invariants):
the answers alone are not the proof, the money is."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone

from payments.benefits.selectors import year_to_date
from payments.online.models import OnlineOrder
from payments.settlement.models import Settlement, TraceCode
from portal.ledger.selectors import account_balance, personal_account
from portal.people.models import Person
from tests import factories
from tests.factories import bound_to
from tests.live.conftest import assert_invariants_hold
from tests.live.deployment import Answer, Deployment, at_once
from tests.live.helpers import Terminal, eventually, hospital, key, pay, terminal_of, token_of, upload
from tests.payments.online_helpers import patient
from tests.payments.settlement_helpers import drug, insured, prescribed, trace
from vouchers.scanning import code_issue

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _no_5xx(answers: list[Answer], scenario: str) -> Counter[Any]:
    """No answer 5xx; the outcomes by status (2xx) or error code. Printed for the record (pytest -s)."""
    bad = [a for a in answers if a.status >= 500]
    print(f"\n[{scenario}] {len(answers)} requests, {len(bad)} answers 5xx")
    assert not bad, f"{scenario}: {len(bad)} answers 5xx: {[(a.status, a.body) for a in bad[:3]]}"
    return Counter(a.status if a.status < 400 else (a.body or {}).get("code", a.status) for a in answers)


def _scan(live: Deployment, terminal: Terminal, person: Person) -> str:
    code = code_issue(viewer=person, subject=person).text
    answer = terminal.call(live, "POST", "/api/v1/scanner/scan", {"code": code, "business_type": "02121"})
    assert answer.status == 201, answer.body
    return answer.body["scan_session_id"]


def _settle(
    live: Deployment, terminal: Terminal, session: str, items: list[dict[str, Any]], idem: str = "", **extra: Any
) -> Answer:
    body = {"scan_session_id": session, "idempotency_key": idem or key("settle"), "items": items, **extra}
    return terminal.call(live, "POST", "/api/v1/scanner/settlements", body)


def _balance(person: Person) -> int:
    return account_balance(account_id=personal_account(person=person).pk)


def test_fifty_terminals_scanning_one_code_redeem_it_once(live: Deployment) -> None:
    person = insured(insurance_type="employee")
    terminals = [terminal_of(factories.institution(kind="pharmacy")) for _ in range(5) for _ in range(10)]
    code = code_issue(viewer=person, subject=person).text
    answers = at_once(
        [
            (lambda t=t: t.call(live, "POST", "/api/v1/scanner/scan", {"code": code, "business_type": "02121"}))
            for t in terminals
        ],
        threads=50,
    )
    outcomes = _no_5xx(answers, "50 scans of one code")
    assert outcomes == {201: 1, "code_replayed": 49}, outcomes
    assert_invariants_hold()


@pytest.mark.parametrize(("region", "second_sale"), [("340600", "refused"), ("340500", "flagged")])
def test_two_terminals_selling_the_same_trace_codes_in_opposite_order(
    live: Deployment, region: str, second_sale: str
) -> None:
    """Before sorted claims: 4 of 10 rounds deadlocked into a 500. Huaibei refuses the second sale;
    Ma'anshan accepts it and flags it for review."""
    for _ in range(5):
        x, y = trace(2)
        people = [insured(insurance_type="employee", region_code=region, balance_fen=50_000) for _ in range(2)]
        terminals = [terminal_of(factories.institution(kind="pharmacy", region_code=region)) for _ in range(2)]
        sessions = [_scan(live, t, p) for t, p in zip(terminals, people, strict=True)]
        orders = ([x], [y]), ([y], [x])
        answers = at_once(
            [
                (lambda t=t, s=s, o=o: _settle(live, t, s, [drug(trace_codes=o[0]), drug(trace_codes=o[1])]))
                for t, s, o in zip(terminals, sessions, orders, strict=True)
            ]
        )
        outcomes = _no_5xx(answers, f"trace codes in {region}")
        if second_sale == "refused":
            # Refused at the claim (trace_code_sold), or by the pre-settlement audit when the first sale had
            # committed before the second was checked (all_items_refused, naming the sold code).
            assert outcomes[201] == 1 and outcomes["trace_code_sold"] + outcomes["all_items_refused"] == 1, outcomes
        else:
            assert outcomes == {201: 2}, outcomes
            assert sorted(a.body["review"] for a in answers) == ["flagged", "none"]
            assert TraceCode.objects.filter(code__in=[x, y], status="duplicate").count() == 2
        assert TraceCode.objects.filter(code__in=[x, y], status="sold").count() == 2
    assert_invariants_hold()


def test_settlements_racing_near_the_outpatient_cap_never_pass_it(live: Deployment) -> None:
    person = insured(insurance_type="employee", balance_fen=500_000)
    pharmacy = terminal_of(factories.institution(kind="pharmacy"))
    # 3,400 yuan at a pharmacy (level-1 rules, with a prescription): 200 deductible, 60% of 3,200 = 1,920.
    first = _settle(
        live, pharmacy, _scan(live, pharmacy, person), [drug(price=340_000)], prescription_id=prescribed(person)
    )
    assert first.status == 201 and first.body["totals"]["fund"]["fen"] == 192_000, first.body
    terminals = [terminal_of(pharmacy.institution) for _ in range(8)]
    sessions = [_scan(live, t, person) for t in terminals]
    rxs = [prescribed(person) for _ in terminals]
    answers = at_once(
        [
            (lambda t=t, s=s, r=r: _settle(live, t, s, [drug(price=50_000)], prescription_id=r))
            for t, s, r in zip(terminals, sessions, rxs, strict=True)
        ]
    )
    assert _no_5xx(answers, "near the cap") == {201: 8}
    fund = sorted(a.body["totals"]["fund"]["fen"] for a in answers)
    assert sum(fund) == 8_000 and fund[-1] <= 8_000  # only what was left of the 2,000 yuan cap
    assert year_to_date(person=person, year=timezone.localdate().year).paid("outpatient") == 200_000
    assert_invariants_hold()


def test_relatives_draw_on_one_initiators_account_at_the_counter_and_online_at_once(live: Deployment) -> None:
    initiator = patient(insurance_type="employee", balance_fen=100_000)
    relatives = [insured(insurance_type="resident") for _ in range(4)]
    for relative in relatives:
        bound_to(relative, [initiator])
    pharmacies = [terminal_of(factories.institution(kind="pharmacy")) for _ in range(2)]
    counter = [(t, r, _scan(live, t, r)) for t in pharmacies for r in relatives[:2] for _ in range(2)]
    clinic = hospital()
    online = []
    for relative in relatives[2:]:
        token = token_of(relative)
        for _ in range(3):
            online.append((token, upload(live, clinic, relative, (15_000,)).body["order"]))
    calls = [(lambda t=t, s=s: _settle(live, t, s, [drug(price=15_000)])) for t, _, s in counter]
    calls += [(lambda tok=tok, n=n: pay(live, tok, n)) for tok, n in online]
    answers = at_once(calls)
    outcomes = _no_5xx(answers, "family draws")
    # A payment whose authorised split no longer holds is refused, whichever way it shows: the split
    # changed (seen before taking the money) or the balance ran out (seen while taking it).
    assert set(outcomes) <= {200, 201, "split_changed", "insufficient_balance"}, outcomes
    # 1,000 yuan for 14 bills of 150: the account is emptied to the fen, never below.
    assert 0 <= _balance(initiator) < 15_000
    online_taken = OnlineOrder.objects.filter(person__in=relatives, status__in=["settled", "awaiting_cash"])
    counter_taken = Settlement.objects.filter(person__in=relatives)
    spent = sum(s.personal_account_fen for s in counter_taken) + sum(o.personal_fen for o in online_taken)
    assert spent == 100_000 - _balance(initiator)
    assert_invariants_hold()


def test_refunds_race_reversals_and_each_other(live: Deployment) -> None:
    for _ in range(3):
        payer = insured(insurance_type="resident")
        initiator = patient(insurance_type="employee", balance_fen=100_000)
        bound_to(payer, [initiator])
        pharmacy = terminal_of(factories.institution(kind="pharmacy"))
        receipt = _settle(live, pharmacy, _scan(live, pharmacy, payer), [drug(price=2_000) for _ in range(4)])
        assert receipt.status == 201, receipt.body
        number = receipt.body["settlement"]
        base = f"/api/v1/scanner/settlements/{number}"
        asks: list[tuple[str, Any]] = [
            ("reversal", None),
            ("reversal", None),
            ("refunds", {"lines": [1], "idempotency_key": key("a")}),
            ("refunds", {"lines": [1], "idempotency_key": key("b")}),
            ("refunds", {"lines": [2], "idempotency_key": key("c")}),
            ("refunds", {"lines": [3, 4], "idempotency_key": key("d")}),
        ]
        calls = [
            (lambda t=pharmacy, path=f"{base}/{what}", body=body: t.call(live, "POST", path, body))
            for what, body in asks
        ]
        answers = at_once(calls)
        _no_5xx(answers, "refunds and reversals")
        reversed_ = [a for a in answers[:2] if a.status == 200]
        refunds = [a for a in answers[2:] if a.status in (200, 201)]
        assert len(reversed_) <= 1
        if reversed_:
            assert not refunds and Settlement.objects.get(number=number).status == "reversed"
        else:
            assert len(refunds) == 3  # line 1 once, line 2, lines 3 and 4
            assert Settlement.objects.get(number=number).status == "refunded"
        assert _balance(initiator) == 100_000  # every fen back where it came from
    assert_invariants_hold()


def test_online_refunds_race_payments_on_the_same_accounts(live: Deployment) -> None:
    """Before one lock order: 27 of 60 answered 500 (refunds locked the hospital's account first)."""
    initiator = patient(insurance_type="employee", balance_fen=500_000)
    payer = patient(insurance_type="resident")
    bound_to(payer, [initiator])
    clinic = hospital()
    token = token_of(payer)
    first = upload(live, clinic, payer, (30_000,)).body["order"]
    assert pay(live, token, first).body["status"] == "settled"
    numbers = [upload(live, clinic, payer, (5_000,)).body["order"] for _ in range(10)]
    refund_path = f"/api/v1/hospital/orders/{first}/refunds"
    calls = [
        (lambda: clinic.call(live, "POST", refund_path, {"idempotency_key": key("r"), "parts": {"personal": 1_000}}))
        for _ in range(10)
    ]
    calls += [(lambda n=n: pay(live, token, n)) for n in numbers]
    answers = at_once(calls)
    outcomes = _no_5xx(answers, "online refunds and payments")
    assert outcomes[201] == 10 and outcomes[200] == 10, outcomes  # every refund and every payment went through
    assert _balance(initiator) == 500_000 - 30_000 + 10_000 - 10 * 5_000
    assert_invariants_hold()


def test_duplicate_and_reordered_notifies_settle_each_order_once(live: Deployment, live_channel: Any) -> None:
    clinic = hospital()
    orders = []
    for _ in range(6):
        person = patient(insurance_type="employee", balance_fen=1_000)
        number = upload(live, clinic, person, (20_000,)).body["order"]
        assert pay(live, token_of(person), number).body["status"] == "awaiting_cash"
        orders.append(number)
    live_channel.hold_notifies()
    live_channel.duplicate_notifies(6)
    for number in orders:
        live_channel.pay(number)
    live_channel.release_notifies(reverse=True)
    eventually(
        lambda: OnlineOrder.objects.filter(number__in=orders, status="settled").count() == 6, what="six settlements"
    )
    log = [e for e in live_channel.notify_log if e["out_trade_no"] in orders]
    print(f"\n[duplicate and reordered notifies] {len(log)} notifies, answers {Counter(e['status'] for e in log)}")
    assert len(log) >= 12 and all(e["status"] == 200 for e in log if e["status"] is not None)
    assert_invariants_hold()


def test_a_web_worker_killed_during_a_settlement_load_loses_nothing(live: Deployment) -> None:
    people = [insured(insurance_type="employee", balance_fen=100_000) for _ in range(8)]
    pharmacy = factories.institution(kind="pharmacy")
    terminals = [terminal_of(pharmacy) for _ in range(8)]
    # Each settlement's request is built once: a retry sends the very same body (same traceability codes).
    work = [
        (t, _scan(live, t, p), key("kill"), [drug(price=3_000)])
        for t, p in zip(terminals, people, strict=True)
        for _ in range(5)
    ]
    victims = live.web_worker_pids()
    answers: list[Answer] = []
    lock = threading.Lock()

    def client(batch: list[tuple[Terminal, str, str, list[dict[str, Any]]]]) -> None:
        for terminal, session, idem, items in batch:
            answer = _settle(live, terminal, session, items, idem)
            for _ in range(5):  # a dropped connection: the terminal retries with the same key
                if answer.status != 0:
                    break
                time.sleep(0.3)
                answer = _settle(live, terminal, session, items, idem)
            with lock:
                answers.append(answer)

    batches = [work[n::8] for n in range(8)]
    threads = [threading.Thread(target=client, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    eventually(lambda: Settlement.objects.count() >= 8, what="the load to be under way")
    os.kill(victims[0], signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=120)
    outcomes = _no_5xx(answers, "kill -9")
    # A retry of a settlement that had committed before its connection dropped gets the first receipt (200).
    assert len(answers) == len(work) and set(outcomes) <= {200, 201}, outcomes
    assert Settlement.objects.count() == len(work)  # each key settled exactly once, retries included
    live.wait_until(lambda: len(live.web_worker_pids()) == live.web_workers, 30, "gunicorn to replace the worker")
    assert victims[0] not in live.web_worker_pids()
    assert_invariants_hold()
