"""Scans per second and p99 latency under concurrent load, next to a bare DRF endpoint in the same run.

    .venv/bin/python bench/scan_load.py [--seconds 12] [--connections 16] [--workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/portal_bench] [--redis-url redis://127.0.0.1:6379/3]

Needs PostgreSQL, Redis and ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``; macOS: ``brew install wrk``).

What it does, in one run:

1. creates a throw-away test database next to ``--database-url`` (``test_<name>``, migrated) and fills
   it: ``--persons`` insured persons with active e-vouchers and ``--terminals`` pharmacies with one
   scanner terminal each;
2. starts gunicorn (``--workers`` sync workers, persistent database connections, DEBUG off) serving
   the project plus ``bench/urls.py``, through this module's ``wsgi_application()`` factory;
3. baseline: ``GET /bench/bare/<pk>`` (no authentication, one SELECT by primary key), warm-up then
   ``--seconds`` of load over ``--connections`` connections;
4. scans: ``POST /api/v1/scanner/scan`` (business type 02121, pharmacy purchase) from the terminals
   in turn, warm-up then ``--seconds`` of load over the same connections; codes are one-time and
   expire after 60 s, so each phase's signed requests (fresh code, own nonce) are generated right
   before it, as many as the bare rate (warm-up) or twice the warm-up's rate (measured) could use;
5. prints requests/s, p50 and p99 for both and the ratio (the aim: scans at least 0.6 of the bare
   endpoint); checks that no response was non-2xx or lost and that the measured phase created as
   many ScanSession rows (and scan audit events) as it got 201 responses, exit status 1 otherwise;
   stops gunicorn and drops the database. ``--show-queries`` also prints the SQL of each request.
   With each phase it prints the CPU time per request of the server's workers, PostgreSQL, Redis, wrk
   and of every other process on the machine (Linux): on a shared machine, the last one says how far
   the figures were disturbed, and the others where a request's cost went.

How it measures. wrk runs ``bench/scan_load.lua`` with one thread per connection, each replaying
pre-built requests from its own file (for scans each at most once). wrk is a closed-loop generator:
a connection sends its next request when the previous one is answered. All connections share one
deadline; a connection sends nothing after it and stops right after its last response, so no request
is abandoned in flight and the server's rows match what was counted. Latency is per request, from
handing the request to the socket to the complete response. The measured window runs from the moment
every connection has sent its first request to the deadline: requests/s is the responses completed in
it divided by its length, p50/p99 are over the requests sent in it (nearest rank). wrk's own summary
is not used (its Requests/sec divides by its whole --duration and its percentiles include wrk 4's
synthetic coordinated-omission samples), so it is not printed.

Gunicorn's sync workers close the connection after each response, so every request opens a new local
TCP connection (not in the latency, in the rate), the same for both endpoints. Everything (gunicorn,
PostgreSQL, Redis, wrk) shares this machine's CPUs: compare the two phases of one run, not absolute
figures across machines or runs, and run it on an otherwise idle machine (it warns when the CPUs are
busy before it starts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import create_test_database, setup_django  # noqa: E402

LUA_SCRIPT = Path(__file__).with_suffix(".lua")
SCAN_PATH = "/api/v1/scanner/scan"
BUSINESS_TYPE = "02121"  # pharmacy purchase
BARE_PATH = "/bench/bare/{pk}"
GRACE_SECONDS = 10  # how long a phase may overrun before wrk stops it (and its wrk --timeout)
POOL_MARGIN = 1.25  # scan requests per connection: at most the bare rate x duration x margin
AIM = 0.6


def wsgi_application() -> Any:
    """gunicorn's application factory: the project, with ``bench.urls`` as the URL configuration."""
    setup_django()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# --- Data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terminal:
    key_id: str
    secret: str


@dataclass
class Data:
    persons: list[Any]  # people.Person, each with an active voucher
    terminals: list[Terminal]


def create_data(*, persons: int, terminals: int) -> Data:
    from tests import factories
    from vouchers.models import Voucher
    from vouchers.services import voucher_issue

    people = []
    for i in range(persons):
        # A birth date per person keeps the identity numbers unique however many there are.
        number = factories.id_number(birth=dt.date(1950, 1, 1) + dt.timedelta(days=i))
        person = factories.person(name=f"压测{i:04d}", number=number)
        voucher_issue(person=person, channel=Voucher.Channel.APP)
        people.append(person)
    keys = []
    for _ in range(terminals):
        terminal, secret = factories.terminal(of=factories.institution(kind="pharmacy"))
        keys.append(Terminal(terminal.key_id, secret))
    return Data(people, keys)


def tsv_line(method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> str:
    """One request for scan_load.lua: method, path, body, then header names and values, tab-separated."""
    fields = [method, path, body]
    for name, value in (headers or {}).items():
        fields += [name, value]
    assert not any("\t" in f or "\n" in f for f in fields)
    return "\t".join(fields)


def bare_requests(data: Data, connections: int) -> list[list[str]]:
    """Per connection: GETs of every person, each connection starting elsewhere (the lines repeat)."""
    lines = [tsv_line("GET", BARE_PATH.format(pk=p.pk)) for p in data.persons]
    step = max(1, len(lines) // connections)
    return [lines[c * step :] + lines[: c * step] for c in range(connections)]


def scan_body(person: Any) -> str:
    from vouchers.scanning import code_issue

    code = code_issue(viewer=person, subject=person).text
    return json.dumps({"code": code, "business_type": BUSINESS_TYPE}, separators=(",", ":"))


def scan_headers(terminal: Terminal, body: str) -> dict[str, str]:
    from portal.signin.signing import sign_headers

    signed = sign_headers(
        key_id=terminal.key_id, secret=terminal.secret, method="POST", path=SCAN_PATH, body=body.encode()
    )
    return {"Content-Type": "application/json", **signed}


def scan_requests(data: Data, connections: int, per_connection: int) -> list[list[str]]:
    """Per connection (one terminal each, round robin): fresh codes of random persons, each signed once."""
    rng = random.Random(per_connection)
    result = []
    for c in range(connections):
        terminal = data.terminals[c % len(data.terminals)]
        lines = []
        for _ in range(per_connection):
            body = scan_body(rng.choice(data.persons))
            lines.append(tsv_line("POST", SCAN_PATH, body, scan_headers(terminal, body)))
        result.append(lines)
    return result


def scan_rows() -> tuple[int, int]:
    """ScanSession rows and the audit events scans write (one each, in the same transaction)."""
    from portal.audit.models import AuditEvent
    from vouchers.models import ScanSession

    return ScanSession.objects.count(), AuditEvent.objects.filter(purpose__startswith="scan ").count()


def queries_per_request(data: Data) -> dict[str, list[str]]:
    """The SQL one bare request and one scan make, in-process (the second scan: caches warm)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    person, terminal = data.persons[0], data.terminals[0]
    with CaptureQueriesContext(connection) as bare:
        assert client.get(BARE_PATH.format(pk=person.pk)).status_code == 200
    for _ in range(2):
        body = scan_body(person)
        with CaptureQueriesContext(connection) as scan:
            response = client.post(
                SCAN_PATH, body, content_type="application/json", headers=scan_headers(terminal, body)
            )
        assert response.status_code == 201, response.content
    return {"bare": [q["sql"] for q in bare.captured_queries], "scan": [q["sql"] for q in scan.captured_queries]}


# --- Server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:<port>
    pid: int  # gunicorn's master

    def worker_rss_mib(self) -> dict[int, float]:
        """Resident memory of each worker (the master's children), MiB, from /proc (Linux)."""
        result = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.pid:  # ppid
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, IndexError, ValueError):
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    result[int(stat.parent.name)] = int(line.split()[1]) / 1024
        return result


@contextmanager
def gunicorn(*, database_url: str, redis_url: str, workers: int, probe_path: str) -> Iterator[Server]:
    """Serve the project on a free local port; yields the server. Stops it afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        # Production logs one line per request at INFO (request_started/finished): BENCH_LOG_LEVEL=INFO with
        # LOG_FORMAT=json measures that cost; the default leaves it out, like the earlier figures.
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "bench.scan_load:wsgi_application()",
        f"--workers={workers}",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={ROOT}",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with status {server.returncode}")
            try:
                with urllib.request.urlopen(base + probe_path, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer within 60 s")
            time.sleep(0.2)
        yield Server(base, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- Load ----------------------------------------------------------------------------------


@dataclass
class Phase:
    """What one wrk run recorded. Its window runs from the moment every connection had sent its first
    request to the deadline: requests/s counts the responses completed in it, the percentiles are of
    the requests sent in it; the checks use every response."""

    label: str
    deadline_us: int
    records: list[tuple[int, int, int]] = field(default_factory=list)  # sent (µs), latency (µs), status
    start_us: int = 0
    in_flight: int = 0  # requests a thread still waited for when wrk stopped it
    ran_out: int = 0  # threads that used up their requests before the deadline
    not_stopped: int = 0  # threads wrk had to stop (a response took longer than the grace period)
    socket_errors: dict[str, int] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by process group, over the whole run
    run_seconds: float = 0.0  # the whole run: from starting wrk to its exit

    @property
    def seconds(self) -> float:
        return (self.deadline_us - self.start_us) / 1e6

    @property
    def per_second(self) -> float:
        done = sum(1 for sent, latency, _ in self.records if self.start_us <= sent + latency <= self.deadline_us)
        return done / self.seconds if self.seconds > 0 else 0.0

    @property
    def statuses(self) -> Counter[int]:
        return Counter(status for _, _, status in self.records)

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the latencies of the requests sent in the window."""
        ordered = sorted(latency for sent, latency, _ in self.records if self.start_us <= sent < self.deadline_us)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] / 1000 if ordered else math.nan


CPU_GROUPS = ("server", "PostgreSQL", "Redis", "wrk", "other processes")


def cpu_seconds_by_process(server_pid: int | None) -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by each process running on this machine (Linux /proc) but this one, with
    its group: gunicorn (``server_pid`` and its workers), PostgreSQL, Redis, or other processes."""
    result: dict[int, tuple[str, float]] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        pid, comm, values = int(stat.parent.name), name.split("(", 1)[-1], fields.split()
        if pid == os.getpid():
            continue
        if server_pid is not None and server_pid in (pid, int(values[1])):
            group = "server"
        elif comm.startswith("postgres"):
            group = "PostgreSQL"
        elif comm.startswith("redis"):
            group = "Redis"
        else:
            group = "other processes"
        result[pid] = (group, (int(values[11]) + int(values[12])) / ticks)  # utime + stime
    return result


def children_cpu_seconds() -> float:
    """CPU seconds of this process's exited children (wrk, once it has exited)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], wrk: float) -> dict[str, float]:
    """CPU seconds per group between two samples (a process that ended in between is not counted)."""
    totals = dict.fromkeys(CPU_GROUPS, 0.0)
    totals["wrk"] = wrk
    for pid, (group, seconds) in after.items():
        totals[group] += seconds - before.get(pid, (group, 0.0))[1]
    return totals


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is not installed. Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk; "
            "macOS: brew install wrk; or build it from https://github.com/wg/wrk"
        )
    return found


def run_wrk(
    *,
    base: str,
    label: str,
    requests: list[list[str]],
    once: bool,
    seconds: float,
    work: Path,
    script: Path = LUA_SCRIPT,
    server_pid: int | None = None,
) -> Phase:
    """Load ``base`` with one connection per list of requests for ``seconds``; returns what was recorded."""
    directory = Path(tempfile.mkdtemp(prefix="phase-", dir=work))
    for i, lines in enumerate(requests):
        (directory / f"conn{i}.tsv").write_text("\n".join(lines) + "\n")
    out = directory / "records.txt"
    n = len(requests)
    launched_us = time.monotonic_ns() // 1000  # the clock scan_load.lua reads (CLOCK_MONOTONIC)
    deadline_us = launched_us + int(seconds * 1e6)
    command = [
        wrk_binary(),
        f"--threads={n}",
        f"--connections={n}",
        f"--duration={math.ceil(seconds) + GRACE_SECONDS}s",
        f"--timeout={GRACE_SECONDS}s",
        f"--script={script}",
        base,
        "--",
        str(directory / "conn"),
        "once" if once else "cycle",
        str(deadline_us),
        str(out),
    ]
    cpu_before, wrk_before, started = cpu_seconds_by_process(server_pid), children_cpu_seconds(), time.monotonic()
    load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # wrk sleeps for the whole --duration; once every thread has stopped itself, wake it up.
        markers = [directory / f"records.txt.stopped.{i}" for i in range(n)]
        while load.poll() is None:
            if all(m.exists() for m in markers):
                load.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
        stdout, stderr = load.communicate(timeout=GRACE_SECONDS + 60)
    finally:
        if load.poll() is None:  # interrupted
            load.kill()
            load.wait()
    if load.returncode != 0 or not out.exists():
        raise SystemExit(f"wrk failed (status {load.returncode}):\n{stdout}\n{stderr}")
    phase = Phase(label, deadline_us=deadline_us, run_seconds=time.monotonic() - started)
    wrk_cpu = children_cpu_seconds() - wrk_before
    phase.cpu_seconds = cpu_used(cpu_before, cpu_seconds_by_process(server_pid), wrk_cpu)
    first_sent: dict[int, int] = {}
    for line in out.read_text().splitlines():
        kind, *values = line.split()
        numbers = [int(v) for v in values]
        if kind == "r":
            thread, sent_us, latency_us, status = numbers
            phase.records.append((sent_us, latency_us, status))
            first_sent[thread] = min(sent_us, first_sent.get(thread, sent_us))
        elif kind == "t":
            _, _, _, stopped_itself, ran_out, in_flight = numbers
            phase.ran_out += ran_out
            phase.in_flight += in_flight
            phase.not_stopped += 1 - stopped_itself
        elif kind == "e":
            phase.socket_errors = dict(zip(("connect", "read", "write", "timeout"), numbers, strict=True))
    if len(first_sent) < n:
        raise SystemExit(f"{label}: only {len(first_sent)} of {n} connections got a response")
    phase.start_us = max(first_sent.values())
    return phase


# --- Main ----------------------------------------------------------------------------------


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of all CPUs busy over ``seconds`` (Linux), to warn when something else is running."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    if not Path("/proc/stat").exists():
        return None
    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def foreign_load(before: str) -> None:
    """Warn when the CPUs are busy while this benchmark is idle: something else competes for them."""
    busy = cpu_busy(0.5)
    if busy is not None and busy > 0.15:
        print(f"warning: the CPUs were {busy:.0%} busy just before {before}: other processes compete, figures vary")


def with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/portal_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--seconds", type=float, default=12, help="measured seconds per phase (default 12)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per phase (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--persons", type=int, default=300)
    parser.add_argument("--terminals", type=int, default=8)
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one bare request and one scan")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 40:
        parser.error("--seconds must be 1-40: a code expires 60 s after it is issued")
    wrk_binary()
    foreign_load("the run")
    # Stopped from outside: still stop gunicorn and wrk and drop the database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    run_on_postgres(args, run)


def run_on_postgres(args: argparse.Namespace, run: Callable[..., None]) -> None:
    """Point Django at ``args.database_url`` and ``args.redis_url``, create a throw-away test database,
    call ``run(args, test_url=...)`` and drop the database afterwards, whatever happens."""
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["REDIS_URL"] = args.redis_url
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit(f"--database-url must name a PostgreSQL database (got {connection.vendor})")
    destroy = create_test_database()
    try:
        run(args, test_url=with_database_name(args.database_url, connection.settings_dict["NAME"]))
    finally:
        connection.close()
        for attempt in range(5):  # the server's connections may take a moment to go away
            try:
                destroy()
                break
            except Exception:
                if attempt == 4:
                    raise
                time.sleep(1)


def run(args: argparse.Namespace, *, test_url: str) -> None:
    from django.db import connection

    started = time.monotonic()
    data = create_data(persons=args.persons, terminals=args.terminals)
    queries = queries_per_request(data)
    print(
        f"data: {len(data.persons)} persons with active e-vouchers, {len(data.terminals)} pharmacy terminals "
        f"({time.monotonic() - started:.1f} s)"
    )
    print(
        f"SQL statements per request (in-process; plus a SELECT 1 health check per request under gunicorn): "
        f"bare {len(queries['bare'])}, scan {len(queries['scan'])} (and a Redis SET NX for the request nonce)"
    )
    if args.show_queries:
        for name, statements in queries.items():
            print(f"-- {name}:")
            for sql in statements:
                print(f"   {sql}")
    n = args.connections
    with tempfile.TemporaryDirectory(prefix="scan_load-") as tmp:
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
            print(f"load: wrk, {n} connections, {args.warmup:g} s warm-up + {args.seconds:g} s per phase")

            bare_lines = bare_requests(data, n)
            run_wrk(base=base, label="warm-up", requests=bare_lines, once=False, seconds=args.warmup, work=work)
            foreign_load("bare")
            bare = run_wrk(
                base=base,
                label="bare",
                requests=bare_lines,
                once=False,
                seconds=args.seconds,
                work=work,
                server_pid=server.pid,
            )

            # Scans: one-time codes, valid for 60 s, so each phase's are generated right before it. How
            # many: a scan cannot beat the bare endpoint; the measured phase goes by the warm-up's rate.
            def pool(rate: float, seconds: float) -> list[list[str]]:
                per_connection = math.ceil(max(rate, 10) * seconds / n) + 1
                return scan_requests(data, n, per_connection)

            warm = run_wrk(
                base=base,
                label="warm-up",
                requests=pool(bare.per_second * POOL_MARGIN, args.warmup),
                once=True,
                seconds=args.warmup,
                work=work,
            )
            generating = time.monotonic()
            scan_lines = pool(min(bare.per_second * POOL_MARGIN, warm.per_second * 2), args.seconds)
            generated = (sum(len(lines) for lines in scan_lines), time.monotonic() - generating)
            if generated[1] + args.seconds > 50:
                raise SystemExit(f"generating {generated[0]} codes took {generated[1]:.0f} s: shorten --seconds")
            foreign_load("scan")
            before = scan_rows()
            scans = run_wrk(
                base=base,
                label="scan",
                requests=scan_lines,
                once=True,
                seconds=args.seconds,
                work=work,
                server_pid=server.pid,
            )
            after = scan_rows()
            created = (after[0] - before[0], after[1] - before[1])
    print(f"generated {generated[0]} signed scan requests with fresh codes in {generated[1]:.1f} s before the phase")
    if not report(bare, scans, created):
        raise SystemExit(1)


def report(bare: Phase, scans: Phase, created: tuple[int, int]) -> bool:
    """Print the figures and the checks; True if every check passed."""
    names = {"bare": "GET /bench/bare/<pk> (bare DRF)", "scan": f"POST {SCAN_PATH}"}
    print()
    print(f"{'':<34} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'window s':>9}")
    for phase in (bare, scans):
        print(
            f"{names[phase.label]:<34} {phase.per_second:>10.1f} {phase.percentile_ms(50):>8.1f} "
            f"{phase.percentile_ms(99):>8.1f} {phase.percentile_ms(100):>8.1f} {phase.seconds:>9.2f}"
        )
    ratio = scans.per_second / bare.per_second if bare.per_second else 0.0
    print(
        f"{'scans / bare':<34} {ratio:>10.2f} {scans.percentile_ms(50) / bare.percentile_ms(50):>7.1f}x "
        f"{scans.percentile_ms(99) / bare.percentile_ms(99):>7.1f}x"
    )
    print(f"aim: scans >= {AIM} of the bare endpoint's requests/s: {'met' if ratio >= AIM else 'NOT met'}")
    print()
    if bare.cpu_seconds:
        heads = ("server", "PostgreSQL", "Redis", "wrk", "others (cores)")
        print(f"{'CPU ms per request':<34} " + " ".join(f"{h:>10}" for h in heads[:-1]) + f" {heads[-1]:>15}")
        for phase in (bare, scans):
            ms = {group: 1000 * cpu / max(1, len(phase.records)) for group, cpu in phase.cpu_seconds.items()}
            others = phase.cpu_seconds["other processes"] / phase.run_seconds if phase.run_seconds else 0.0
            print(
                f"{names[phase.label]:<34} "
                + " ".join(f"{ms[group]:>10.2f}" for group in CPU_GROUPS[:-1])
                + f" {ms['other processes']:>8.2f} ({others:.2f})"
            )
        busy = [p.label for p in (bare, scans) if p.cpu_seconds["other processes"] > 0.1 * p.run_seconds]
        if busy:
            print(f"warning: other processes used the CPUs during the {' and '.join(busy)} phase: figures vary")
        print()
    ok = True
    for phase in (bare, scans):
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(phase.statuses.items()))
        problems = []
        if phase.non_2xx:
            problems.append(f"{phase.non_2xx} non-2xx responses")
        if phase.in_flight or phase.not_stopped or any(phase.socket_errors.values()):
            problems.append(
                f"{phase.in_flight} requests unanswered, {phase.not_stopped} connections stopped by wrk, "
                f"socket errors {phase.socket_errors}"
            )
        if phase.ran_out:
            problems.append(f"{phase.ran_out} connections ran out of requests before the deadline")
        ok = ok and not problems
        print(f"check {phase.label}: responses {{{statuses}}}: {'; '.join(problems) or 'OK'}")
    match = created[0] == created[1] == scans.statuses[201]
    ok = ok and match
    print(
        f"check scan: 201 responses {scans.statuses[201]}, rows created during the phase: ScanSession "
        f"{created[0]}, AuditEvent {created[1]}: {'OK' if match else 'MISMATCH'}"
    )
    return ok


if __name__ == "__main__":
    main()
