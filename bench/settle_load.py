"""Settlements per second and p99 latency from 16 concurrent terminals, next to a bare DRF endpoint in the same run.

    .venv/bin/python bench/settle_load.py [--seconds 12] [--connections 16] [--workers 2] [--persons 640]
        [--database-url postgres://postgres@127.0.0.1:5432/portal_settle_bench] [--redis-url redis://127.0.0.1:6379/3]
        [--deductible-met] [--show-queries] [--profile 200]

Needs PostgreSQL, Redis and ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``; macOS: ``brew install wrk``).
The harness is bench/scan_load.py's (gunicorn, wrk, the measured window, the checks); read its
docstring for how it measures. What differs:

1. the throw-away database (``test_<name>``, migrated) gets ``--terminals`` pharmacies with one
   scanner terminal each and ``--persons`` insured employees, each with a paid contribution for this
   year, 100 000 yuan in the personal account and an active e-voucher (``--deductible-met``: and this
   year's outpatient deductible already paid, so that every settlement also posts a fund share);
2. baseline: ``GET /bench/bare/<pk>`` as in scan_load.py;
3. settlements: ``POST /api/v1/scanner/settlements``, one drug (50.00 yuan, one package with its own
   20-digit traceability code), each on its own scan session (created in bulk before the phase, as
   ``POST /api/v1/scanner/scan`` would, at the terminal's institution) and its own ordinary electronic
   prescription (one use, from a hospital; pooling at a pharmacy needs one, and the settlement claims its
   use), with its own idempotency key, signed by the terminal right before the phase (signatures are
   valid for 5 minutes). Connection ``c`` is terminal ``c`` and cycles through its own share of the
   persons (every ``n``-th), so no two connections ever settle for the same person: settlements of one
   person serialise on the person row by design, which would measure that lock rather than the endpoint.
   Warm-up then measured
   phase, with as many requests as the bare rate (warm-up) or twice the warm-up's rate could use;
4. prints requests/s, p50 and p99 for both and the ratio; checks that no response was non-2xx or
   lost (the error codes of refused ones are shown, from ``bench/settle_load.lua``), that the
   measured phase created as many Settlement rows (and sold traceability codes) as it got 201
   responses, and, after the run, that the ledger balances (``unbalanced_transactions()`` and
   ``accounts_out_of_step()`` empty); exit status 1 otherwise. Stops gunicorn, drops the database.

It also counts the SQL statements of one settlement in-process (``--show-queries`` prints them),
with the share of the in-process time spent waiting for PostgreSQL, and ``--profile N`` profiles
``N`` settlements in-process (Django's test client, same database, before the server starts) with
cProfile and prints the top functions.

Other processes: besides scan_load.py's warning when the CPUs are busy before a phase, each phase
warns when other processes used more than 5% of the CPUs during it (a test suite starting mid-phase),
naming those still running: all CPU time (/proc/stat) minus this benchmark's own (this process, its
children gunicorn and wrk, Redis, PostgreSQL except backends of other databases, kernel threads).
Rerun then. The figures are printed in any case.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import itertools
import json
import math
import os
import pstats
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import scan_load  # noqa: E402
from bench.common import met  # noqa: E402
from bench.scan_load import (  # noqa: E402
    BARE_PATH,
    Phase,
    Terminal,
    bare_requests,
    foreign_load,
    gunicorn,
    tsv_line,
    wrk_binary,
)

LUA_SCRIPT = Path(__file__).with_suffix(".lua")
SETTLE_PATH = "/api/v1/scanner/settlements"
BUSINESS_TYPE = "02121"  # pharmacy purchase
BALANCE_FEN = 10_000_000
PRICE_FEN = 5_000
DEDUCTIBLE_MET_FEN = 1_000_000  # --deductible-met: above any outpatient deductible
POOL_MARGIN = 1.25  # settlement requests per connection: at most the bare rate x duration x margin
FOREIGN_SHARE = 0.05  # warn when other processes used more than this share of the CPUs during a phase

_serial = itertools.count(1)  # scan session nonces, idempotency keys and traceability codes, unique per run


# --- Data ----------------------------------------------------------------------------------


@dataclass
class Till:
    """A pharmacy's terminal: the row (for scan sessions) and its key (for signing)."""

    terminal: Any  # institutions.Terminal
    key: Terminal


@dataclass
class Data:
    persons: list[Any]  # people.Person: employees, contribution paid, personal account, active voucher
    vouchers: dict[int, int]  # person id -> active voucher id
    tills: list[Till]
    issuer: Any  # institutions.Terminal: a hospital's system, the issuer of every settlement's prescription
    queues: list[Iterator[Any]] = field(default_factory=list)  # per connection: its own persons, in turn

    def split(self, connections: int) -> None:
        """Connection ``c`` gets every ``connections``-th person from ``c`` on, and no other does."""
        if len(self.persons) < connections:
            raise SystemExit(f"--persons must be at least --connections ({connections})")
        self.queues = [itertools.cycle(self.persons[c::connections]) for c in range(connections)]


def create_data(*, persons: int, terminals: int, deductible_met: bool = False) -> Data:
    from django.utils import timezone

    from payments.benefits.models import BenefitUsage
    from portal.people.models import Contribution
    from tests import factories
    from vouchers.models import Voucher
    from vouchers.services import voucher_issue

    people = []
    for i in range(persons):
        # A birth date per person keeps the identity numbers unique however many there are.
        number = factories.id_number(birth=dt.date(1950, 1, 1) + dt.timedelta(days=i))
        person = factories.person(
            name=f"结算{i:04d}", number=number, insurance_type="employee", balance_fen=BALANCE_FEN
        )
        voucher_issue(person=person, channel=Voucher.Channel.APP)
        people.append(person)
    year = timezone.localdate().year
    Contribution.objects.bulk_create(Contribution(person=p, year=year, paid=True) for p in people)
    if deductible_met:  # as if an earlier settlement this year had paid the whole outpatient deductible
        BenefitUsage.objects.bulk_create(
            BenefitUsage(
                person=p,
                year=year,
                scheme=BenefitUsage.Scheme.OUTPATIENT,
                deductible_fen=DEDUCTIBLE_MET_FEN,
                paid_fen=0,
                reference=f"bench-earlier-{p.pk}",
                service_date=timezone.localdate(),
            )
            for p in people
        )
    vouchers = dict(
        Voucher.objects.filter(person__in=people, status=Voucher.Status.ACTIVE).values_list("person_id", "id")
    )
    tills = []
    for _ in range(terminals):
        terminal, secret = factories.terminal(of=factories.institution(kind="pharmacy"))
        tills.append(Till(terminal, Terminal(terminal.key_id, secret)))
    issuer, _ = factories.terminal(of=factories.institution(kind="hospital", level="2"), kind="system")
    return Data(people, vouchers, tills, issuer)


def prescriptions(data: Data, sessions: list[Any]) -> list[int]:
    """An ordinary electronic prescription (one use) per scan session, for its person, as an issuer's
    upload stores it: pooling at a pharmacy needs one, and every settlement claims its use."""
    from django.utils import timezone

    from payments.prescriptions.models import Prescription, PrescriptionItem

    today = timezone.localdate()
    rows = [
        Prescription(
            number=f"BENCH{next(_serial):012d}",
            kind=Prescription.Kind.ELECTRONIC,
            institution_id=data.issuer.institution_id,
            doctor_code="D001",
            doctor_name="李医生",
            person_id=session.person_id,
            issued_on=today,
            valid_until=today + dt.timedelta(days=3),
            max_uses=1,
            uploaded_by=data.issuer,
            request_hash="0" * 64,
        )
        for session in sessions
    ]
    created = Prescription.objects.bulk_create(rows, batch_size=2000)
    PrescriptionItem.objects.bulk_create(
        [
            PrescriptionItem(prescription=row, line=1, code="XA01", name="阿莫西林胶囊", quantity=1, days_supply=7)
            for row in created
        ],
        batch_size=2000,
    )
    return [row.pk for row in created]


def scan_sessions(data: Data, till: Till, persons: list[Any]) -> list[Any]:
    """Unsaved ScanSession rows as ``POST /api/v1/scanner/scan`` creates them, one per person given."""
    from django.utils import timezone

    from vouchers.models import ScanSession
    from vouchers.scanning import SCAN_SESSION_MINUTES

    expires = timezone.now() + dt.timedelta(minutes=SCAN_SESSION_MINUTES)
    return [
        ScanSession(
            nonce=f"{next(_serial):016x}",
            voucher_id=data.vouchers[p.pk],
            person=p,
            terminal=till.terminal,
            institution_id=till.terminal.institution_id,
            business_type=BUSINESS_TYPE,
            expires_at=expires,
        )
        for p in persons
    ]


def settle_body(session: Any, prescription_id: int) -> str:
    """One drug, one package, its own traceability code, settled against the session's own prescription;
    ASCII JSON (the name as \\u escapes)."""
    n = next(_serial)
    item = {
        "code": "XA01",
        "name": "阿莫西林胶囊",
        "kind": "drug",
        "quantity": 1,
        "unit_price_fen": PRICE_FEN,
        "in_catalogue": True,
        "days_supply": 7,
        "trace_codes": [str(10**19 + n)],
    }
    body = {
        "scan_session_id": str(session.pk),
        "idempotency_key": f"bench-{n:010d}",
        "items": [item],
        "prescription_id": prescription_id,
    }
    return json.dumps(body, separators=(",", ":"))


def settle_headers(key: Terminal, body: str) -> dict[str, str]:
    from portal.signin.signing import sign_headers

    signed = sign_headers(key_id=key.key_id, secret=key.secret, method="POST", path=SETTLE_PATH, body=body.encode())
    return {"Content-Type": "application/json", **signed}


def settle_requests(data: Data, per_connection: int) -> list[list[str]]:
    """Per connection (terminal ``c``, its own persons in turn): a fresh scan session each, signed once."""
    from vouchers.models import ScanSession

    n = len(data.queues)
    sessions = [
        scan_sessions(data, data.tills[c % len(data.tills)], [next(data.queues[c]) for _ in range(per_connection)])
        for c in range(n)
    ]
    ScanSession.objects.bulk_create([s for row in sessions for s in row], batch_size=2000)
    rx = iter(prescriptions(data, [s for row in sessions for s in row]))
    result = []
    for c, row in enumerate(sessions):
        key = data.tills[c % len(data.tills)].key
        lines = []
        for session in row:
            body = settle_body(session, next(rx))
            lines.append(tsv_line("POST", SETTLE_PATH, body, settle_headers(key, body)))
        result.append(lines)
    return result


@dataclass(frozen=True)
class Rows:
    """What the measured phase left in the database."""

    settlements: int
    sold_codes: int
    persons: int  # distinct persons settled for
    most_per_person: int
    with_fund_share: int


def rows_after(last_id: int) -> Rows:
    from django.db.models import Count, Max

    from payments.settlement.models import Settlement, TraceCode

    new = Settlement.objects.filter(pk__gt=last_id)
    per_person = new.values("person").annotate(n=Count("id"))
    return Rows(
        settlements=new.count(),
        sold_codes=TraceCode.objects.filter(item__settlement__in=new, status=TraceCode.Status.SOLD).count(),
        persons=per_person.count(),
        most_per_person=per_person.aggregate(m=Max("n"))["m"] or 0,
        with_fund_share=new.filter(fund_fen__gt=0).count(),
    )


def last_settlement_id() -> int:
    from payments.settlement.models import Settlement

    return Settlement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def ledger_problems() -> tuple[int, int]:
    from portal.ledger.selectors import accounts_out_of_step, unbalanced_transactions

    return unbalanced_transactions().count(), accounts_out_of_step().count()


# --- In-process: SQL and profile -----------------------------------------------------------


def post_settlement(client: Any, key: Terminal, session: Any, prescription_id: int) -> Any:
    body = settle_body(session, prescription_id)
    return client.post(SETTLE_PATH, body, content_type="application/json", headers=settle_headers(key, body))


@dataclass
class Queries:
    bare: list[str]
    settle: list[str]  # a settlement with a fund share (each statement with its time)
    settle_within: int  # statements of a settlement within the deductible (no fund share: one posting less)
    settle_ms: float  # in-process time of one settlement (mean)
    sql_ms: float  # of which PostgreSQL (mean; Django's timing of each statement)


def queries_per_request(data: Data, repeat: int = 20) -> Queries:
    """The SQL of one bare request and of settlements in-process (after a first one: caches warm).

    ``repeat`` settlements for one person: the first ones within the year's deductible, the later
    ones with a fund share. (Read a capture before the next request: each request clears the log.)
    """
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from vouchers.models import ScanSession

    client = Client()
    person, till = data.persons[0], data.tills[0]
    reset_queries()  # a full log (9000 entries, if DEBUG was on) no longer grows: the capture would be empty
    with CaptureQueriesContext(connection) as capture:
        assert client.get(BARE_PATH.format(pk=person.pk)).status_code == 200
    bare = [q["sql"] for q in capture.captured_queries]
    sessions = ScanSession.objects.bulk_create(scan_sessions(data, till, [person] * (repeat + 1)))
    rx = prescriptions(data, sessions)
    assert post_settlement(client, till.key, sessions[0], rx[0]).status_code == 201
    elapsed, sql = 0.0, 0.0
    by_share: dict[bool, list[str]] = {}
    for session, prescription_id in zip(sessions[1:], rx[1:], strict=True):
        with CaptureQueriesContext(connection) as capture:
            started = time.perf_counter()
            response = post_settlement(client, till.key, session, prescription_id)
            elapsed += time.perf_counter() - started
        assert response.status_code == 201, response.content
        sql += sum(float(q["time"]) for q in capture.captured_queries)
        by_share[response.json()["totals"]["fund"]["fen"] > 0] = [
            f"{float(q['time']) * 1000:6.2f} ms  {q['sql']}" for q in capture.captured_queries
        ]
    return Queries(
        bare=bare,
        settle=by_share.get(True, []),
        settle_within=len(by_share.get(False, [])),
        settle_ms=elapsed / repeat * 1000,
        sql_ms=sql / repeat * 1000,
    )


def profile(data: Data, count: int, top: int = 20) -> str:
    """cProfile of ``count`` settlements through Django's test client (persons in turn, one terminal):
    the project's functions by cumulative time, then all functions by own time, per settlement."""
    from django.test import Client

    from vouchers.models import ScanSession

    client = Client()
    till = data.tills[0]
    people = [data.persons[i % len(data.persons)] for i in range(count + 1)]
    sessions = ScanSession.objects.bulk_create(scan_sessions(data, till, people))
    rx = prescriptions(data, sessions)
    assert post_settlement(client, till.key, sessions[0], rx[0]).status_code == 201  # warm
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for session, prescription_id in zip(sessions[1:], rx[1:], strict=True):
        response = post_settlement(client, till.key, session, prescription_id)
        assert response.status_code == 201, response.content
    profiler.disable()
    elapsed = time.perf_counter() - started
    # (file, line, function) -> (primitive calls, calls, own time, cumulative time, callers)
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def name(key: tuple[str, int, str]) -> str:
        path = key[0].split("site-packages/")[-1].removeprefix(f"{ROOT}/")
        return f"{path}:{key[1]}({key[2]})" if key[0] != "~" else key[2]

    def table(title: str, column: int, keep: Any) -> list[str]:
        chosen = sorted(((v[column], v[1], k) for k, v in stats.items() if keep(k[0])), reverse=True)[:top]
        lines = [f"  {'ms':>7} {'calls':>6}  {title}"]
        lines += [f"  {t / count * 1000:7.2f} {calls / count:6.1f}  {name(k)}" for t, calls, k in chosen]
        return lines

    def project(path: str) -> bool:
        return path.startswith(f"{ROOT}/") and not path.startswith((f"{ROOT}/.venv/", f"{ROOT}/bench/"))

    lines = [
        f"cProfile of {count} settlements in-process (Django's test client, PostgreSQL): "
        f"{elapsed / count * 1000:.1f} ms each with profiling; per settlement:",
        *table("the project's functions, by cumulative time", 3, project),
        *table("all functions, by own time", 2, lambda path: True),
    ]
    return "\n".join(lines)


# --- Load ----------------------------------------------------------------------------------


def process_cpu(database: str) -> dict[int, tuple[str, int, float]]:
    """Per process (Linux): name, parent pid and CPU seconds used so far. PostgreSQL backends of other
    databases than ``database`` (another test suite's) are named ``postgres <their database>``."""
    tick = os.sysconf("SC_CLK_TCK")
    result = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            if name == "postgres":  # "postgres: 15/main: <user> <database> <host>(<port>) <state>" for a backend
                words = (entry / "cmdline").read_bytes().decode(errors="replace").split(": ", 2)[-1].split()
                if len(words) >= 3 and (words[2].endswith(")") or words[2].startswith("[local]")):
                    name = "postgres" if words[1] == database else f"postgres {words[1]}"
        except (OSError, ValueError):  # gone
            continue
        fields = text[text.rindex(")") + 2 :].split()
        result[int(entry.name)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return result


OURS = ("postgres", "redis-server")  # besides this process and its children (gunicorn, wrk)


@dataclass
class CpuSample:
    busy: float  # CPU seconds of user, nice and system time on all CPUs since boot (/proc/stat)
    waited: float  # of this process's children that have ended and been waited for (wrk)
    processes: dict[int, tuple[str, int, float]]


def cpu_sample(database: str) -> CpuSample | None:
    if not Path("/proc/stat").exists():
        return None
    user, nice, system = (int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:4])
    times = os.times()
    return CpuSample(
        (user + nice + system) / os.sysconf("SC_CLK_TCK"),
        times.children_user + times.children_system,
        process_cpu(database),
    )


def foreign_cpu(before: CpuSample, database: str) -> tuple[float, list[tuple[float, str]]]:
    """CPU seconds used since ``before`` by other processes than the benchmark's own (this one, its
    children gunicorn and wrk, PostgreSQL but for other databases' backends, Redis, kernel threads),
    whether still running or not; and those of them still running, busiest first."""
    after = cpu_sample(database)
    assert after is not None
    mine = {os.getpid()}
    for _ in range(4):  # descendants: gunicorn's workers
        mine |= {pid for pid, (_, parent, _) in after.processes.items() if parent in mine}
    ours = after.waited - before.waited
    running = []
    for pid, (name, parent, used) in after.processes.items():
        earlier = before.processes.get(pid)
        delta = used - earlier[2] if earlier is not None and earlier[0] == name else used
        # Kernel threads (children of kthreadd, pid 2) work for everyone: writeback, RCU, network.
        if pid in mine or pid == 2 or parent == 2 or name in OURS:
            ours += delta
        elif delta > 0.05:
            running.append((delta, f"{name} ({pid})"))
    return max(0.0, after.busy - before.busy - ours), sorted(running, reverse=True)


@dataclass
class Result:
    phase: Phase
    errors: Counter[str]  # "<status> <code>" -> count, for non-2xx answers
    foreign: float  # CPU seconds other processes used during the phase
    rss: tuple[dict[int, float], dict[int, float]] | None = None  # workers' MiB before and after (memory phase)


def run_phase(*, base: str, label: str, requests: list[list[str]], once: bool, seconds: float, work: Path) -> Result:
    """scan_load.run_wrk with bench/settle_load.lua (scan_load.lua plus the error codes of non-2xx answers)."""
    directory = Path(tempfile.mkdtemp(prefix=label.replace(" ", "-") + "-", dir=work))
    with watched(f"the {label} phase") as foreign:
        phase = scan_load.run_wrk(
            base=base, label=label, requests=requests, once=once, seconds=seconds, work=directory, script=LUA_SCRIPT
        )
    errors: Counter[str] = Counter()
    for path in directory.glob("*/records.txt.errors"):
        for line in path.read_text().splitlines():
            _, status, code, count = line.split()
            errors[f"{status} {code}"] += int(count)
    return Result(phase, errors, foreign[0])


@contextmanager
def watched(what: str) -> Iterator[list[float]]:
    """Warn when other processes used more than FOREIGN_SHARE of the CPUs during the block; yields a
    list that gets their CPU seconds."""
    from django.db import connection

    database = connection.settings_dict["NAME"]
    before, started = cpu_sample(database), time.monotonic()
    result: list[float] = []
    yield result
    foreign, running = foreign_cpu(before, database) if before is not None else (0.0, [])
    result.append(foreign)
    if foreign > FOREIGN_SHARE * (time.monotonic() - started) * (os.cpu_count() or 1):
        names = ", ".join(f"{name} {used:.1f} s" for used, name in running[:3]) or "none still running"
        print(f"warning: other processes used {foreign:.1f} CPU-seconds during {what} ({names}): figures vary, rerun")


# --- Main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/portal_settle_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--seconds", type=float, default=12, help="measured seconds per phase (default 12)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per phase (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--persons", type=int, default=640, help="insured persons, split among the connections")
    parser.add_argument("--terminals", type=int, default=16, help="pharmacies, one terminal each (default 16)")
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of one bare request and one settlement"
    )
    parser.add_argument(
        "--deductible-met",
        action="store_true",
        help="persons start with this year's deductible paid, so every settlement has a fund share to post",
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N settlements in-process")
    parser.add_argument(
        "--memory-seconds",
        type=float,
        default=60,
        help="after the measured phase, settle this long more and report the workers' memory growth (0: skip)",
    )
    args = parser.parse_args()
    if not 1 <= args.seconds <= 120:
        parser.error("--seconds must be 1-120: signed requests are valid for 5 minutes")
    wrk_binary()
    foreign_load("the run")
    # Stopped from outside: still stop gunicorn and wrk and drop the database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    scan_load.run_on_postgres(args, run)


def run(args: argparse.Namespace, *, test_url: str) -> None:
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False  # as the server runs: no query log while creating the data or profiling

    n = args.connections
    started = time.monotonic()
    data = create_data(persons=args.persons, terminals=args.terminals, deductible_met=args.deductible_met)
    print(
        f"data: {len(data.persons)} insured employees (contribution paid, {BALANCE_FEN // 100} yuan personal "
        f"account, active e-voucher{', deductible paid' if args.deductible_met else ''}), {len(data.tills)} "
        f"pharmacies with a terminal each "
        f"({time.monotonic() - started:.1f} s)"
    )
    with watched("the in-process measurement"):
        queries = queries_per_request(data)
    print(
        f"SQL statements per request (in-process; plus a SELECT 1 health check per request under gunicorn): "
        f"bare {len(queries.bare)}, settlement {len(queries.settle)} with a fund share"
        f"{f', {queries.settle_within} within the deductible' if queries.settle_within else ''} "
        f"(and a Redis SET NX for the request nonce); a settlement takes {queries.settle_ms:.1f} ms in-process, "
        f"{queries.sql_ms:.1f} ms of it in PostgreSQL (mean of 20)"
    )
    if args.show_queries:
        for name, statements in (("bare", queries.bare), ("settlement with a fund share", queries.settle)):
            print(f"-- {name}:")
            for sql in statements:
                print(f"   {sql}")
    if args.profile:
        with watched("the profile"):
            print(profile(data, args.profile))
    data.split(n)
    shares = sorted({len(data.persons[c::n]) for c in range(n)})
    with tempfile.TemporaryDirectory(prefix="settle_load-") as tmp:
        work = Path(tmp)
        probe = BARE_PATH.format(pk=data.persons[0].pk)
        with gunicorn(
            database_url=test_url, redis_url=args.redis_url, workers=args.workers, probe_path=probe
        ) as server:
            base = server.base
            print(
                f"server: gunicorn, {args.workers} sync workers, {base}, database {connection.settings_dict['NAME']} "
                f"(PostgreSQL {connection.pg_version // 10000}), cache {args.redis_url}; {os.cpu_count()} CPUs"
            )
            print(
                f"load: wrk, {n} connections, {args.warmup:g} s warm-up + {args.seconds:g} s per phase; "
                f"connection c = terminal c mod {len(data.tills)}, with its own "
                f"{'-'.join(map(str, shares))} persons in turn"
            )

            bare_lines = bare_requests(scan_load.Data(data.persons, []), n)
            run_phase(base=base, label="bare warm-up", requests=bare_lines, once=False, seconds=args.warmup, work=work)
            foreign_load("bare")
            bare = run_phase(base=base, label="bare", requests=bare_lines, once=False, seconds=args.seconds, work=work)

            # How many: a settlement cannot beat the bare endpoint; the measured phase goes by the warm-up's rate.
            def pool(rate: float, seconds: float) -> list[list[str]]:
                return settle_requests(data, math.ceil(max(rate, 10) * seconds / n) + 1)

            warm_lines = pool(bare.phase.per_second * POOL_MARGIN, args.warmup)
            warm = run_phase(
                base=base, label="settle warm-up", requests=warm_lines, once=True, seconds=args.warmup, work=work
            )
            rss_before = server.worker_rss_mib()
            generating = time.monotonic()
            settle_lines = pool(min(bare.phase.per_second * POOL_MARGIN, warm.phase.per_second * 2), args.seconds)
            generated = (sum(len(lines) for lines in settle_lines), time.monotonic() - generating)
            if generated[1] + args.seconds > 240:
                raise SystemExit(f"generating {generated[0]} requests took {generated[1]:.0f} s: shorten --seconds")
            foreign_load("settle")
            last_id = last_settlement_id()
            settle = run_phase(
                base=base, label="settle", requests=settle_lines, once=True, seconds=args.seconds, work=work
            )
            rows = rows_after(last_id)
            memory = None
            if args.memory_seconds:
                lines = pool(settle.phase.per_second * POOL_MARGIN, args.memory_seconds)
                memory = run_phase(
                    base=base, label="memory", requests=lines, once=True, seconds=args.memory_seconds, work=work
                )
                memory.rss = (rss_before, server.worker_rss_mib())
    ledger = ledger_problems()
    print(
        f"generated {generated[0]} signed settlement requests (scan sessions in bulk) in {generated[1]:.1f} s "
        f"before the phase"
    )
    if not report(bare, warm, settle, rows, ledger, queries=len(queries.settle), memory=memory):
        raise SystemExit(1)


RATIO_GOAL = 0.3  # settlements per second against the bare endpoint's
# SQL statements per settlement with BEGIN and COMMIT: issue 16's 15, plus the prescription's use (pooling at a
# pharmacy needs one since issue 17): its UPDATE ... RETURNING, the use row, the history row at its last use.
STATEMENTS_GOAL = 18
RSS_GOAL_MIB = 20  # a worker's memory growth over the measured and memory phases


def report(
    bare: Result,
    warm: Result,
    settle: Result,
    rows: Rows,
    ledger: tuple[int, int],
    *,
    queries: int,
    memory: Result | None,
) -> bool:
    """Print the figures, the goals and the checks; True if every check passed (goals only inform)."""
    names = {"bare": "GET /bench/bare/<pk> (bare DRF)", "settle": f"POST {SETTLE_PATH}"}
    print()
    print(f"{'':<34} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'window s':>9}")
    for result in (bare, settle):
        phase = result.phase
        print(
            f"{names[phase.label]:<34} {phase.per_second:>10.1f} {phase.percentile_ms(50):>8.1f} "
            f"{phase.percentile_ms(99):>8.1f} {phase.percentile_ms(100):>8.1f} {phase.seconds:>9.2f}"
        )
    b, s = bare.phase, settle.phase
    ratio = s.per_second / b.per_second if b.per_second else 0.0
    print(
        f"{'settlements / bare':<34} {ratio:>10.2f} {s.percentile_ms(50) / b.percentile_ms(50):>7.1f}x "
        f"{s.percentile_ms(99) / b.percentile_ms(99):>7.1f}x"
    )
    print(f"goal: settlements >= {RATIO_GOAL}x the bare endpoint's requests/s: {ratio:.2f}, {met(ratio >= RATIO_GOAL)}")
    print(
        f"goal: at most {STATEMENTS_GOAL} SQL statements a settlement against a prescription (15 before prescriptions, "
        f"+3 for the use): {queries}, {met(queries <= STATEMENTS_GOAL)}"
    )
    if memory is not None and memory.rss is not None:
        before, after = memory.rss
        growth = {pid: after[pid] - before[pid] for pid in before if pid in after}
        worst = max(growth.values(), default=math.nan)
        print(
            f"memory: {memory.phase.statuses[201]} more settlements in {memory.phase.seconds:.0f} s "
            f"({memory.phase.per_second:.0f}/s); worker RSS after the warm-up -> after: "
            + ", ".join(f"{before[pid]:.1f} -> {after[pid]:.1f} MiB" for pid in growth)
            + (" (a worker restarted: not comparable)" if len(growth) < len(before) else "")
        )
        print(f"goal: worker RSS grows by less than {RSS_GOAL_MIB} MiB: +{worst:.1f} MiB, {met(worst < RSS_GOAL_MIB)}")
    print(
        f"other processes used {bare.foreign:.1f} CPU-seconds during the bare phase, {settle.foreign:.1f} during "
        f"the settle phase ({os.cpu_count()} CPUs x {s.seconds:.0f} s; a warning above when over {FOREIGN_SHARE:.0%})"
    )
    print(
        f"persons: {rows.persons} distinct persons settled for in the measured phase, at most "
        f"{rows.most_per_person} settlement(s) each, never two connections on one person; "
        f"{rows.with_fund_share} of {rows.settlements} settlements with a fund share (the rest within the deductible)"
    )
    print()
    ok = True
    phases = [("bare", bare), ("settle warm-up", warm), ("settle", settle)] + ([("memory", memory)] if memory else [])
    for label, result in phases:
        phase = result.phase
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(phase.statuses.items()))
        problems = []
        if phase.non_2xx:
            codes = ", ".join(f"{key}: {count}" for key, count in sorted(result.errors.items()))
            problems.append(f"{phase.non_2xx} non-2xx responses ({codes})")
        if phase.in_flight or phase.not_stopped or any(phase.socket_errors.values()):
            problems.append(
                f"{phase.in_flight} requests unanswered, {phase.not_stopped} connections stopped by wrk, "
                f"socket errors {phase.socket_errors}"
            )
        if phase.ran_out and label not in ("settle warm-up", "memory"):
            problems.append(f"{phase.ran_out} connections ran out of requests before the deadline")
        ok = ok and not problems
        print(f"check {label}: responses {{{statuses}}}: {'; '.join(problems) or 'OK'}")
    created = s.statuses[201]
    match = rows.settlements == rows.sold_codes == created == len(s.records)
    ok = ok and match
    print(
        f"check settle: 201 responses {created} of {len(s.records)}, rows created during the phase: Settlement "
        f"{rows.settlements}, sold TraceCode {rows.sold_codes}: {'OK' if match else 'MISMATCH'}"
    )
    balanced = ledger == (0, 0)
    ok = ok and balanced
    print(
        f"check ledger after the run: unbalanced transactions {ledger[0]}, accounts out of step {ledger[1]}: "
        f"{'OK' if balanced else 'NOT BALANCED'}"
    )
    return ok


if __name__ == "__main__":
    main()
