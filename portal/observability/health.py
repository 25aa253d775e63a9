"""Liveness (``/healthz``) and readiness (``/readyz``).

``/healthz`` says only that this process answers HTTP: it touches nothing else, so a liveness probe never
restarts a healthy web process because PostgreSQL or Redis had a bad minute.

``/readyz`` runs the checks below and answers 200 when every one asked for passes, 503 otherwise::

    {"status": "ok" | "fail",
     "checks": {"<name>": {"status": "ok" | "fail" | "eager", "latency_ms": 1.3, ...}}}

- ``database``: ``SELECT 1`` on a connection of its own.
- ``cache``: a value written to the cache and read back.
- ``broker``: a connection to ``CELERY_BROKER_URL`` (connect timeout ``BROKER_TIMEOUT``).
- ``worker``: a Celery control ping answered by at least one worker within ``WORKER_PING_TIMEOUT``; the
  answer (either way) is kept ``WORKER_ANSWER_KEEP_SECONDS`` per process (``"cached": true``), so probes
  under load do not broadcast a ping each.
- ``beat``: beat's last heartbeat is at most ``READYZ_BEAT_MAX_AGE_SECONDS`` old (``age_s``).

With tasks run eagerly (embedded mode: no broker) broker, worker and beat answer ``"eager"``, which passes.
A failed check carries ``error``: a short reason or the exception's class only (the full error is logged
at WARNING): /readyz is reachable by load balancers, so it names no host, port or user.

``?checks=database,cache`` runs and counts only those (e.g. a web pod's readiness probe, which should not
take every pod out of service because the single beat stopped); an unknown name is a 400.

Every check runs in a thread of its own and the answer waits at most ``CHECK_DEADLINE`` for it: a
dependency that hangs (a Redis that accepts and never answers) is reported ``"timed out"`` and never
hangs /readyz. At most one run of each check is in flight per process: concurrent requests share it, so a
hung dependency holds one thread, not one per probe.

Beat's heartbeat: in the beat process (Celery's ``beat_init``), and after every task beat publishes
(``after_task_publish``: the message reached the broker), the time is written to the cache. It proves
what readiness needs, that beat runs and its sends reach the broker, with no extra task or schedule
entry, and it stays apart from the worker check (a heartbeat task would go stale when only the worker
is down). Beat's most frequent job runs every minute, hence the default maximum age of 180 s.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import signals
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

from portal.errors import INVALID_INPUT, error_body
from portal.localcache import local_cache

logger = logging.getLogger(__name__)

CHECK_DEADLINE = 2.0  # seconds: the longest /readyz waits for any check (they run at once)
BROKER_TIMEOUT = 1.0
WORKER_PING_TIMEOUT = 1.0
WORKER_ANSWER_KEEP_SECONDS = 5.0
BEAT_HEARTBEAT_KEY = "observability:beat:last-sent"
# Celery 5.7's beat can answer control pings too (beat_enable_remote_control, node "celerybeat@..."):
# only a worker's answer counts.
_NOT_BEAT = r"^(?!celerybeat@)"

OK, FAIL, EAGER = "ok", "fail", "eager"

Result = dict[str, Any]

_NO_STORE = {"Cache-Control": "no-store"}


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No dependency is touched (see the module's docstring)."""
    return JsonResponse({"status": "ok"}, headers=_NO_STORE)


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: each check's status and latency; 200 when all asked for pass, 503 otherwise."""
    asked = [name for name in request.GET.get("checks", "").split(",") if name] or list(CHECKS)
    unknown = sorted(set(asked) - set(CHECKS))
    if unknown:
        reason = f"unknown: {', '.join(unknown)}; known: {', '.join(CHECKS)}"
        return JsonResponse(
            error_body(INVALID_INPUT, details={"fields": {"checks": [reason]}}),
            status=400,
            json_dumps_params={"ensure_ascii": False},
            headers=_NO_STORE,
        )
    runs = {name: _start(name) for name in CHECKS if name in asked}
    deadline = time.monotonic() + CHECK_DEADLINE
    checks = {name: run.wait(deadline) for name, run in runs.items()}
    ready = all(check["status"] in (OK, EAGER) for check in checks.values())
    return JsonResponse(
        {"status": OK if ready else FAIL, "checks": checks}, status=200 if ready else 503, headers=_NO_STORE
    )


# --- The checks: each returns its result or raises; the runner measures and catches ---------------------------


def _database() -> Result:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this thread's own connection: never left open (nor holding a test database)
    return {"status": OK}


def _cache() -> Result:
    token = secrets.token_hex(8)
    key = f"observability:readyz:{token}"
    cache.set(key, token, 10)
    answer = cache.get(key)
    cache.delete(key)
    if answer != token:
        return {"status": FAIL, "error": "the value written was not read back"}
    return {"status": OK}


def _broker() -> Result:
    from portal.celery import app

    if app.conf.task_always_eager:
        return {"status": EAGER}
    with app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT, transport_options={"socket_timeout": BROKER_TIMEOUT}
    ) as conn:
        conn.ensure_connection(max_retries=0)  # one attempt: a probe reports, it does not wait for recovery
    return {"status": OK}


_worker_answers = local_cache(ttl=WORKER_ANSWER_KEEP_SECONDS)


def _worker() -> Result:
    from portal.celery import app

    if app.conf.task_always_eager:
        return {"status": EAGER}
    kept = _worker_answers.get("ping")
    if kept is not None:
        return {**kept, "cached": True}
    started = time.monotonic()
    try:
        with app.connection_for_write(
            connect_timeout=BROKER_TIMEOUT, transport_options={"socket_timeout": BROKER_TIMEOUT}
        ) as conn:
            conn.ensure_connection(max_retries=0)
            replies = app.control.ping(
                timeout=WORKER_PING_TIMEOUT, limit=1, connection=conn, pattern=_NOT_BEAT, matcher="pcre"
            )
        answer: Result = {"status": OK} if replies else {"status": FAIL, "error": "no worker answered the ping"}
    except Exception as exc:
        logger.warning("readyz: worker ping failed: %r", exc)
        answer = {"status": FAIL, "error": type(exc).__name__}
    answer["latency_ms"] = _ms(time.monotonic() - started)
    _worker_answers.put("ping", answer)
    return answer


def _beat() -> Result:
    from portal.celery import app

    if app.conf.task_always_eager:
        return {"status": EAGER}
    last = cache.get(BEAT_HEARTBEAT_KEY)
    if last is None:
        return {"status": FAIL, "error": "no heartbeat recorded: is beat running?"}
    age = round(time.time() - float(last), 1)
    limit = settings.READYZ_BEAT_MAX_AGE_SECONDS
    if age > limit:
        return {"status": FAIL, "error": f"last heartbeat older than {limit} s", "age_s": age}
    return {"status": OK, "age_s": age}


CHECKS: dict[str, Callable[[], Result]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "worker": _worker,
    "beat": _beat,
}


# --- The runner: one thread per check, bounded waits, one run in flight per check and process -------------


@dataclass
class _Run:
    name: str
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    result: Result = field(default_factory=dict)

    def wait(self, deadline: float) -> Result:
        if self.done.wait(max(0.0, deadline - time.monotonic())):
            return self.result
        waited = _ms(time.monotonic() - self.started)
        return {"status": FAIL, "latency_ms": waited, "error": f"timed out after {waited:.0f} ms"}


_running: dict[str, _Run] = {}
_running_lock = threading.Lock()


def _start(name: str) -> _Run:
    with _running_lock:
        run = _running.get(name)
        if run is None:
            run = _running[name] = _Run(name)
            threading.Thread(target=_execute, args=(run,), name=f"readyz-{name}", daemon=True).start()
        return run


def _execute(run: _Run) -> None:
    try:
        result = CHECKS[run.name]()
    except Exception as exc:
        logger.warning("readyz: %s check failed: %r", run.name, exc)
        result = {"status": FAIL, "error": type(exc).__name__}
    result.setdefault("latency_ms", _ms(time.monotonic() - run.started))
    run.result = result
    with _running_lock:
        _running.pop(run.name, None)
    run.done.set()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# --- Beat's heartbeat -------------------------------------------------------------------------------------

_in_beat = False


def _beat_started(**_: Any) -> None:
    global _in_beat
    _in_beat = True
    _record_beat_heartbeat()


def _task_published(**_: Any) -> None:
    if _in_beat:
        _record_beat_heartbeat()


def _record_beat_heartbeat() -> None:
    """Beat is alive and its last send reached the broker: now. A cache that fails is logged, and beat goes
    on (its jobs matter more than its heartbeat)."""
    try:
        cache.set(BEAT_HEARTBEAT_KEY, time.time(), None)
    except Exception as exc:
        logger.warning("beat heartbeat not recorded: %r", exc)


def connect() -> None:
    """Connect the Celery signals (idempotent). Every process connects them; only beat's records."""
    signals.beat_init.connect(_beat_started, weak=False, dispatch_uid="observability.health.beat_init")
    signals.beat_embedded_init.connect(_beat_started, weak=False, dispatch_uid="observability.health.beat_embedded")
    signals.after_task_publish.connect(_task_published, weak=False, dispatch_uid="observability.health.published")
