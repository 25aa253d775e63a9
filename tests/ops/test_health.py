"""/healthz answers without touching anything; /readyz reports each dependency with its latency, goes
not-ready (503, naming the check) when the broker, the worker or beat is down, and never hangs or 500s.

/readyz's database check runs in a thread of its own (only ``SELECT 1``: it reads no test data), hence the
transactional tests. The tests with a real broker, worker and beat need Redis (REDIS_URL) and say so."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from portal.celery import app as celery_app
from portal.observability import health

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

threaded_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def readyz(client: Client, query: str = "") -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz" + query)
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def assert_latencies(body: dict[str, Any]) -> None:
    for name, check in body["checks"].items():
        assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0, (name, check)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def celery_on(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Tasks through a broker (the suite runs them eagerly), on the given broker URL; undone afterwards."""

    def use(url: str) -> None:
        monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
        monkeypatch.setitem(celery_app.conf, "broker_url", url)

    return use


@pytest.fixture
def redis_url() -> str:
    if not settings.REDIS_URL:
        pytest.skip("a real broker, worker and beat: needs Redis (set REDIS_URL)")
    return str(settings.REDIS_URL)


# --- Liveness -----------------------------------------------------------------------------------------


def test_healthz_answers_ok_without_touching_the_database_or_the_cache(client: Client) -> None:
    # No django_db mark: a query would raise here; the cache is pointed nowhere.
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- Ready ---------------------------------------------------------------------------------------------


@threaded_db
def test_embedded_mode_is_ready_with_broker_worker_and_beat_eager(client: Client) -> None:
    status, body = readyz(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "eager",
        "worker": "eager",
        "beat": "eager",
    }
    assert_latencies(body)


@pytest.fixture
def worker_and_beat(redis_url: str, tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """A real Celery worker (solo pool) and beat on the test's Redis, started as the README starts them.
    The worker listens on a queue of its own, so the jobs beat sends wait in Redis and are never run here;
    beat's every-second job keeps its heartbeat fresh."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_MODE="embedded",
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        LATE_ORDERS_EVERY_SECONDS="1",
    )
    commands = {
        "worker": ["worker", "--pool=solo", "-Q", "readyz-test", "--without-mingle", "--without-gossip"],
        "beat": ["beat", "-s", str(tmp_path / "beat-schedule")],
    }
    processes = {}
    for name, args in commands.items():
        log = (tmp_path / f"{name}.log").open("wb")
        processes[name] = subprocess.Popen(
            [str(BIN / "celery"), "-A", "portal", *args, "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield processes
    for process in processes.values():
        stop(process, signal.SIGQUIT)  # cold shutdown: they run no task


def stop(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, how)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@threaded_db
def test_with_a_real_broker_worker_and_beat_it_is_ready_and_goes_not_ready_when_beat_stops(
    client: Client, settings: Any, redis_url: str, celery_on: Callable[[str], None], worker_and_beat: Any
) -> None:
    celery_on(redis_url)
    settings.READYZ_BEAT_MAX_AGE_SECONDS = 3
    wait_for(lambda: readyz(client)[0] == 200, 60, f"/readyz to be ready: {readyz(client)[1]}")

    status, body = readyz(client)
    assert status == 200 and body["status"] == "ok", body
    assert {name: check["status"] for name, check in body["checks"].items()} == dict.fromkeys(health.CHECKS, "ok")
    assert body["checks"]["beat"]["age_s"] <= 3
    assert_latencies(body)

    stop(worker_and_beat["beat"])
    wait_for(lambda: readyz(client)[1]["checks"]["beat"]["status"] == "fail", 10, "beat's heartbeat to go stale")
    status, body = readyz(client)
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["beat"]["age_s"] > 3
    assert [name for name, check in body["checks"].items() if check["status"] != "ok"] == ["beat"]


# --- Not ready -------------------------------------------------------------------------------------------


@threaded_db
def test_a_broker_that_refuses_connections_is_not_ready_and_named(
    client: Client, celery_on: Callable[[str], None]
) -> None:
    celery_on(f"redis://127.0.0.1:{closed_port()}/0")
    started = time.monotonic()
    status, body = readyz(client)
    assert time.monotonic() - started < health.CHECK_DEADLINE + 1
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["broker"]["error"] == "OperationalError"  # the class only: no host or port
    assert body["checks"]["worker"]["status"] == "fail"  # it is reached through the broker
    assert body["checks"]["database"]["status"] == body["checks"]["cache"]["status"] == "ok"
    assert_latencies(body)


@threaded_db
def test_when_no_worker_answers_it_is_not_ready_and_the_answer_is_kept_a_few_seconds(
    client: Client, redis_url: str, celery_on: Callable[[str], None]
) -> None:
    celery_on(redis_url)
    health._record_beat_heartbeat()
    status, body = readyz(client)
    assert status == 503, body
    worker = body["checks"]["worker"]
    assert worker["status"] == "fail" and worker["error"] == "no worker answered the ping"
    assert worker["latency_ms"] >= health.WORKER_PING_TIMEOUT * 1000 * 0.9  # it waited for an answer
    assert [name for name, check in body["checks"].items() if check["status"] != "ok"] == ["worker"]

    started = time.monotonic()
    status, again = readyz(client)
    assert time.monotonic() - started < health.WORKER_PING_TIMEOUT  # no second broadcast
    assert again["checks"]["worker"] == {**worker, "cached": True}


@threaded_db
@pytest.mark.parametrize(("heartbeat_age", "error"), [(None, "no heartbeat recorded"), (600, "older than 180 s")])
def test_a_stale_or_absent_beat_heartbeat_is_not_ready(
    client: Client,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    celery_on: Callable[[str], None],
    heartbeat_age: int | None,
    error: str,
) -> None:
    celery_on(f"redis://127.0.0.1:{closed_port()}/0")
    settings.READYZ_BEAT_MAX_AGE_SECONDS = 180
    if heartbeat_age is not None:
        cache.set(health.BEAT_HEARTBEAT_KEY, time.time() - heartbeat_age, None)
    status, body = readyz(client, "?checks=database,beat")  # only these: the broker here is down
    assert status == 503
    assert list(body["checks"]) == ["database", "beat"]
    assert error in body["checks"]["beat"]["error"]
    assert body["checks"]["database"]["status"] == "ok"
    if heartbeat_age is not None:
        assert body["checks"]["beat"]["age_s"] >= heartbeat_age
    assert_latencies(body)


def test_beat_records_its_heartbeat_when_it_starts_and_after_each_task_it_sends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from celery import signals

    signals.after_task_publish.send(sender="portal.ping")  # in a web process or a worker: nothing
    assert cache.get(health.BEAT_HEARTBEAT_KEY) is None

    monkeypatch.setattr(health, "_in_beat", False)  # undone afterwards: this process is no beat
    signals.beat_init.send(sender=None)
    started = cache.get(health.BEAT_HEARTBEAT_KEY)
    assert started == pytest.approx(time.time(), abs=5)

    cache.set(health.BEAT_HEARTBEAT_KEY, started - 100, None)
    signals.after_task_publish.send(sender="portal.ping")
    assert cache.get(health.BEAT_HEARTBEAT_KEY) == pytest.approx(time.time(), abs=5)


# --- Never a 500, never a hang -------------------------------------------------------------------------------


@threaded_db
def test_a_check_that_raises_is_reported_and_never_a_500(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("the cache exploded at 10.0.0.7:6379")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["cache"]["status"] == "fail"
    assert body["checks"]["cache"]["error"] == "RuntimeError"
    assert "10.0.0.7" not in str(body)
    assert body["checks"]["database"]["status"] == "ok"
    assert_latencies(body)


@threaded_db
def test_a_cache_that_accepts_and_never_answers_times_out_and_readyz_still_answers(client: Client) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the kernel's backlog; nothing ever answers them
    port = silent.getsockname()[1]
    try:
        hung = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
            }
        }
        with override_settings(CACHES=hung):
            started = time.monotonic()
            status, body = readyz(client, "?checks=database,cache")
            assert time.monotonic() - started < health.CHECK_DEADLINE + 1
            assert status == 503
            assert body["checks"]["cache"]["status"] == "fail"
            assert body["checks"]["cache"]["error"].startswith("timed out after")
            assert body["checks"]["cache"]["latency_ms"] >= health.CHECK_DEADLINE * 1000
            assert body["checks"]["database"]["status"] == "ok"
    finally:
        silent.close()  # the hung check's connection is reset and its thread ends
    wait_for(lambda: readyz(client, "?checks=cache")[0] == 200, 10, "the cache check to recover")


def test_an_unknown_check_name_is_a_400_in_the_error_shape(client: Client) -> None:
    response = client.get("/readyz?checks=database,disk")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert "disk" in body["details"]["fields"]["checks"][0]
