"""The service as deployed, for the tests that must see it that way: gunicorn with several workers and
threads, a Celery worker and beat started as the README starts them, all on the test's PostgreSQL database
and a Redis database of their own, with the WeChat Pay stand-in as the outside channel.

The test process is only a client: it makes data (committed: the tests are transactional), talks HTTP,
signs like a terminal, and reads the database to check the outcome and the invariants.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LIVE_REDIS_DB = 7  # the deployment's cache and broker; flushed when it starts


def unavailable() -> str | None:
    """Why the deployment cannot run here (None when it can)."""
    if connection.vendor != "postgresql":
        return "runs the service as deployed: needs PostgreSQL (set DATABASE_URL) and Redis (REDIS_URL)"
    if not settings.REDIS_URL:
        return "runs the service as deployed: needs Redis (set REDIS_URL)"
    try:
        import redis

        redis.Redis.from_url(_redis_url()).ping()
    except Exception as exc:
        return f"runs the service as deployed: Redis does not answer ({exc})"
    return None


def _redis_url() -> str:
    parts = urllib.parse.urlsplit(settings.REDIS_URL)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{LIVE_REDIS_DB}", "", ""))


def _database_url() -> str:
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int  # 0: the connection failed (reset, refused, timed out)
    body: Any
    error: str = ""


@dataclass
class Deployment:
    workdir: Path
    channel_url: str
    alipay_gateway: str = ""
    web_workers: int = 3
    threads: int = 4
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_dir(self) -> Path:
        """prometheus-client's multi-process directory, shared by the web workers and the Celery worker."""
        return self.workdir / "metrics"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            PORTAL_MODE="embedded",
            DEBUG="false",
            DATABASE_URL=_database_url(),
            REDIS_URL=_redis_url(),
            CELERY_TASK_ALWAYS_EAGER="false",
            CASH_CHANNEL_BASE_URL=self.channel_url,
            ALIPAY_BASE_URL=self.alipay_gateway,
            CASH_CHANNELS="wechatpay,alipay" if self.alipay_gateway else "wechatpay",
            CASH_CHANNEL_DEV_KEYS="true",
            PUBLIC_BASE_URL=self.base_url,
            MEDIA_ROOT=str(self.workdir / "media"),
            # Beat's minute jobs every 2 s, and a notify counts as late after 3 s: the jobs can be watched.
            LATE_ORDERS_EVERY_SECONDS="2",
            ONLINE_ORDER_LATE_AFTER_SECONDS="3",
            HOSPITAL_EVENTS_EVERY_SECONDS="2",
            HOSPITAL_EVENT_RETRY_BASE_SECONDS="1",
            LOG_LEVEL="WARNING",
            PROMETHEUS_MULTIPROC_DIR=str(self.metrics_dir),
            METRICS_TOKEN="",  # /metrics answers the tests' loopback client
            HOSPITAL_NOTIFY_ALLOWED_NETWORKS="127.0.0.0/8",  # the tests' hospital receiver is local
        )
        return env

    def _spawn(self, name: str, args: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self) -> Deployment:
        import redis

        redis.Redis.from_url(_redis_url()).flushdb()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.metrics_dir.mkdir(exist_ok=True)  # empty, before any process that writes metrics starts
        self._spawn(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "portal.wsgi",
                "--config",
                str(ROOT / "portal" / "gunicorn_conf.py"),
                "--workers",
                str(self.web_workers),
                "--threads",
                str(self.threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
        )
        self._spawn("worker", [str(BIN / "celery"), "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=2"])
        self._spawn(
            "beat",
            [str(BIN / "celery"), "-A", "portal", "beat", "--loglevel=INFO", "-s", str(self.workdir / "beat-schedule")],
        )
        self.wait_until(lambda: self.get("/healthz").status == 200, 30, "gunicorn to answer /healthz")
        self.wait_until(self.worker_answers, 60, "the Celery worker to answer a ping")
        # Beat writes its heartbeat when it starts (portal.observability.health): /readyz's beat check passes.
        self.wait_until(lambda: self.get("/readyz?checks=beat").status == 200, 30, "beat to start")
        return self

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()

    def log(self, name: str) -> bytes:
        path = self.workdir / f"{name}.log"
        return path.read_bytes() if path.exists() else b""

    def alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise AssertionError(f"processes died: {dead}\n" + b"\n".join(self.log(n)[-3000:] for n in dead).decode())

    def wait_until(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.alive()
            try:
                if condition():
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")

    # --- Celery, from the outside --------------------------------------------------------------

    def celery(self) -> Any:
        """A Celery client on the deployment's broker (the test process's own app stays eager)."""
        from celery import Celery

        # Not the current app: the test process's shared tasks must keep running on its own (eager) app.
        return Celery("live-client", broker=_redis_url(), backend=_redis_url(), set_as_current=False)

    def worker_answers(self) -> bool:
        app = self.celery()
        try:
            return app.send_task("portal.ping", args=["live"]).get(timeout=5) == "pong:live"
        finally:
            app.close()

    def run_task(self, name: str, *args: Any, timeout: float = 60) -> Any:
        app = self.celery()
        try:
            return app.send_task(name, args=list(args)).get(timeout=timeout)
        finally:
            app.close()

    def registered_tasks(self) -> set[str]:
        app = self.celery()
        try:
            replies = app.control.inspect(timeout=5).registered() or {}
        finally:
            app.close()
        return {task for tasks in replies.values() for task in tasks}

    def web_worker_pids(self) -> list[int]:
        master = self.processes["gunicorn"].pid
        out = subprocess.run(["/usr/bin/pgrep", "-P", str(master)], capture_output=True, text=True, check=False).stdout
        return [int(pid) for pid in out.split()]

    # --- HTTP -----------------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> Answer:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        all_headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=data or None, headers=all_headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return Answer(0, None, f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()
        try:
            parsed: Any = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode("utf-8", "replace")
        return Answer(response.status, parsed)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def terminal(self, key_id: str, secret: str, method: str, path: str, body: Any = None) -> Answer:
        from portal.signin.signing import sign_headers

        data = b"" if body is None else json.dumps(body).encode()
        headers = sign_headers(key_id=key_id, secret=secret, method=method, path=path, body=data)
        return self.request(method, path, raw=data, headers=headers)

    def resident(self, token: str, method: str, path: str, body: Any = None) -> Answer:
        return self.request(method, path, body, headers={"Authorization": f"Bearer {token}"})


def at_once(calls: Iterable[Callable[[], Answer]], threads: int = 16) -> list[Answer]:
    """Run the calls concurrently (as many clients at once) and return their answers in order."""
    calls = list(calls)
    with ThreadPoolExecutor(max_workers=min(threads, len(calls) or 1)) as pool:
        return list(pool.map(lambda call: call(), calls))


def server_errors(answers: Iterable[Answer]) -> list[Answer]:
    return [a for a in answers if a.status >= 500]
