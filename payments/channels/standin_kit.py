"""What the cash-channel stand-ins share: memory and locks, the notify fault controls and delivery queue, the
API fault controls, ``/_control``, the HTTP/1.1 keep-alive server and the command line.

A stand-in (``payments.channels.wechatpay.standin``, ``payments.channels.alipay.standin``) subclasses
``StandInKit`` for its state and ``ServedStandIn`` for its server, and adds its protocol: its records, how a
notify is signed and sent (``_attempt``), what counts as its receipt (``_accepted``), its endpoints
(``_dispatch``) and answers. The control names are the same for every channel, so a test can drive either.
Development and tests only: production code imports this lazily, through a stand-in, if at all.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import html
import http.client
import json
import socket
import threading
import time
from abc import ABC, ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

MAX_BODY = 1 << 20
INSPECTIONS = frozenset(["orders", "refunds", "notify_log"])
# The controls every stand-in has; each adds its own (``CONTROLS`` of the subclass).
FAULT_CONTROLS = frozenset(
    [
        "pay",
        "complete_refund",
        "fail_refund",
        "drop_notifies",
        "delay_notifies",
        "duplicate_notifies",
        "hold_notifies",
        "release_notifies",
        "send_forged_notify",
        "send_stale_notify",
        "timeout_next_requests",
        "hang_up_next_requests",
        "tamper_next_bills",
    ]
)


@dataclass
class Answer:
    """One HTTP answer of a stand-in (``Content-Length`` is added when it is sent)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class StandInFailure(Exception, metaclass=ABCMeta):
    """A channel's business error: the HTTP ``status`` of pages and controls, and its ``payload()``."""

    status: int

    @abstractmethod
    def payload(self) -> dict[str, str]: ...


class _Queued(Protocol):
    copies: int


OrderT = TypeVar("OrderT")
RefundT = TypeVar("RefundT")
NotifyT = TypeVar("NotifyT", bound=_Queued)


class StandInKit(ABC, Generic[OrderT, RefundT, NotifyT]):
    """A stand-in's memory, its notify queue (drop, delay, duplicate, hold/release, retries) and the fault
    controls; ``/_control`` over HTTP. The subclass calls ``_init_kit`` and supplies the hooks below."""

    CONTROLS: ClassVar[frozenset[str]] = FAULT_CONTROLS
    base_url: str

    def _init_kit(self, *, auto_refund_seconds: float | None, retry_delays: tuple[float, ...], verbose: bool) -> None:
        self.auto_refund_seconds, self.retry_delays, self.verbose = auto_refund_seconds, retry_delays, verbose
        self.base_url = ""
        self._forger_key: rsa.RSAPrivateKey | None = None
        self._lock = threading.RLock()
        self._stopped = threading.Event()
        self._orders: dict[str, OrderT] = {}
        self._refunds: dict[str, RefundT] = {}
        self._bills: dict[str, bytes] = {}
        self._log: list[dict[str, Any]] = []
        self._drop = self._duplicate = self._slow = self._tamper_bills = self._hang_up = 0
        self._delay = self._slow_seconds = 0.0
        self._holding = False
        self._held: list[NotifyT] = []

    # -- hooks

    def _expire(self, order: OrderT, moment: dt.datetime) -> None:
        """Close an unpaid order past its expiry (lazily, as the channels do)."""

    @abstractmethod
    def _now(self) -> dt.datetime: ...

    @abstractmethod
    def _attempt(self, notify: NotifyT) -> tuple[int | None, bytes, str | None]:
        """Send one delivery attempt of a notify: (HTTP status, answer body, error)."""

    def _accepted(self, status: int | None, answer: bytes) -> bool:
        """Whether the merchant's answer ends the retries."""
        return status is not None and 200 <= status < 300

    @abstractmethod
    def _log_fields(self, notify: NotifyT, answer: bytes | None) -> dict[str, Any]:
        """The notify's own fields of a ``notify_log`` entry."""

    # -- inspection

    @property
    def orders(self) -> dict[str, OrderT]:
        with self._lock:
            moment = self._now()
            for order in self._orders.values():
                self._expire(order, moment)
            return {no: dataclasses.replace(order) for no, order in self._orders.items()}  # type: ignore[type-var]

    @property
    def refunds(self) -> dict[str, RefundT]:
        with self._lock:
            return {no: dataclasses.replace(refund) for no, refund in self._refunds.items()}  # type: ignore[type-var]

    @property
    def notify_log(self) -> list[dict[str, Any]]:
        """Every notify delivery attempt: the notify's fields (notify_id, event_type, out_trade_no,
        out_refund_no, url, ...), kind, attempt, status (HTTP status, or None if not sent), error, at."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    # -- controls: notify misbehaviour

    def drop_notifies(self, n: int = 1) -> None:
        """The next ``n`` notifies are never sent."""
        with self._lock:
            self._drop = n

    def delay_notifies(self, seconds: float) -> None:
        """Every notify from now on waits ``seconds`` before its first attempt (0 to stop)."""
        with self._lock:
            self._delay = seconds

    def duplicate_notifies(self, n: int = 1) -> None:
        """The next ``n`` notifies are delivered twice (same notify id, as a retry is)."""
        with self._lock:
            self._duplicate = n

    def hold_notifies(self) -> None:
        """Queue notifies instead of sending them, until ``release_notifies``."""
        with self._lock:
            self._holding = True

    def release_notifies(self, reverse: bool = False) -> int:
        """Send the queued notifies, one after the other, in order or reversed; stop holding. Returns how many."""
        with self._lock:
            held, self._held, self._holding, delay = self._held, [], False, self._delay
        if reverse:
            held.reverse()
        threading.Thread(target=self._deliver_all, args=(held, delay), daemon=True).start()
        return len(held)

    # -- controls: API misbehaviour

    def timeout_next_requests(self, n: int, seconds: float) -> None:
        """The next ``n`` API requests are processed, then answered only after ``seconds`` (past a client's
        timeout): the call took effect but its answer is lost, the case a caller must recover from by query."""
        with self._lock:
            self._slow, self._slow_seconds = n, seconds

    def hang_up_next_requests(self, n: int = 1) -> None:
        """The next ``n`` API requests are neither read nor answered: the connection is closed on them, as when a
        server closes a kept-alive connection just as a request arrives. Nothing takes effect."""
        with self._lock:
            self._hang_up = n

    def tamper_next_bills(self, n: int = 1) -> None:
        """The next ``n`` bill downloads serve a damaged file."""
        with self._lock:
            self._tamper_bills = n

    def _take_hang_up(self) -> bool:
        with self._lock:
            if self._hang_up <= 0:
                return False
            self._hang_up -= 1
            return True

    def _take_tampered_bill(self) -> bool:
        with self._lock:
            if self._tamper_bills <= 0:
                return False
            self._tamper_bills -= 1
            return True

    def _wait_if_slow(self) -> None:
        """After an API request took effect: hold its answer back if ``timeout_next_requests`` says so."""
        with self._lock:
            slow = self._slow > 0
            self._slow -= 1 if slow else 0
        if slow:
            self._stopped.wait(self._slow_seconds)

    def _forger(self) -> rsa.RSAPrivateKey:
        """A key that is not the stand-in's: what a forger signs with."""
        with self._lock:
            if self._forger_key is None:
                self._forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._forger_key

    # -- notify delivery

    def _emit(self, notify: NotifyT | None) -> None:
        if notify is None:
            return
        with self._lock:
            if self._drop > 0:
                self._drop -= 1
                self._record(notify, "normal", 0, None, "dropped")
                return
            if self._duplicate > 0:
                self._duplicate -= 1
                notify.copies = 2
            if self._holding:
                self._held.append(notify)
                self._record(notify, "normal", 0, None, "held")
                return
            delay = self._delay
        threading.Thread(target=self._deliver_all, args=([notify], delay), daemon=True).start()

    def _deliver_all(self, notifies: list[NotifyT], delay: float) -> None:
        if delay and self._stopped.wait(delay):
            return
        for notify in notifies:
            for _ in range(notify.copies):
                self._deliver(notify)

    def _deliver(self, notify: NotifyT) -> None:
        """Deliver with the channel's retries: until ``_accepted``, at most ``1 + len(retry_delays)`` attempts."""
        for attempt, pause in enumerate((0.0, *self.retry_delays), start=1):
            if pause and self._stopped.wait(pause):
                return
            status, answer, error = self._attempt(notify)
            self._record(notify, "normal", attempt, status, error, answer)
            if self._accepted(status, answer):
                return

    def _record(
        self,
        notify: NotifyT,
        kind: str,
        attempt: int,
        status: int | None,
        error: str | None,
        answer: bytes | None = None,
    ) -> None:
        with self._lock:
            self._log.append(
                {
                    **self._log_fields(notify, answer),
                    "kind": kind,
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                    "at": time.time(),
                }
            )

    # -- /_control

    @abstractmethod
    def _control_error(self, message: str) -> StandInFailure:
        """The channel's error for a control request that is not understood."""

    @abstractmethod
    def _arguments_payload(self, message: str) -> dict[str, str]:
        """The channel's error payload for a control's wrong or missing arguments."""

    def _control_time(self, value: dt.datetime) -> str:
        """A moment in a control's answer, as the channel writes it."""
        return value.isoformat()

    def _control(self, body: bytes) -> Answer:
        """``POST /_control {"action": "<method name>", ...its keyword arguments}`` -> ``{"result": ...}``."""
        payload: dict[str, Any]
        try:
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                raise self._control_error("请求体不是合法的JSON") from None
            if not isinstance(data, dict):
                raise self._control_error("请求体应为JSON对象")
            action = str(data.pop("action", ""))
            if action in INSPECTIONS:
                result: Any = getattr(self, action)
            elif action in self.CONTROLS:
                result = getattr(self, action)(**data)
            else:
                raise self._control_error(f"unknown action {action!r}")
        except StandInFailure as error:
            status, payload = error.status, error.payload()
        except (TypeError, ValueError) as error:  # wrong or missing arguments
            status, payload = 400, self._arguments_payload(str(error))
        else:
            status, payload = 200, {"result": result}
        return Answer(
            status,
            json.dumps(payload, ensure_ascii=False, default=self._jsonable).encode(),
            {"Content-Type": "application/json; charset=utf-8"},
        )

    def _jsonable(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return self._control_time(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def cashier_page(status: int, title: str, inner: str, *, colour: str, note: str) -> Answer:
    """A page of a stand-in's cashier, in the channel's ``colour``, with a ``note`` that it is not the real one."""
    document = (
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:28em;margin:2em auto;"
        f"padding:0 1em}}.amount{{font-size:2em;font-weight:bold}}.ok{{color:{colour};font-size:1.4em}}"
        f"button{{background:{colour};color:#fff;border:0;border-radius:4px;padding:.8em 2em;font-size:1.1em}}"
        ".note{color:#888;font-size:.8em}</style></head><body><main>"
        f"<p class=note>{html.escape(note)}</p><h1>{html.escape(title)}</h1>{inner}</main></body></html>"
    )
    return Answer(status, document.encode(), {"Content-Type": "text/html; charset=utf-8"})


def post_notify(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int | None, bytes, str | None]:
    """POST a notify on a connection of its own; (status, answer body, None) or (None, b"", what went wrong)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.netloc, timeout=5)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target, body=body, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.read(), None
    except (OSError, http.client.HTTPException) as error:
        return None, b"", repr(error)
    finally:
        connection.close()


# -- the HTTP server


class ServedStandIn(ABC):
    """A stand-in served over HTTP/1.1 with keep-alive, as the channels' servers do: a client may send one
    request after another on one connection; every answer carries its Content-Length. The server counts the
    connections it accepted (``connections_accepted``), and can close its idle connections
    (``close_idle_connections``) or hang up on the next API requests (``hang_up_next_requests``), as a real
    server does now and then. ``start()`` serves it from a daemon thread and returns its base URL."""

    SERVER_VERSION: ClassVar[str] = "StandIn/1.0"
    THREAD_NAME: ClassVar[str] = "standin"
    KEEPALIVE_SECONDS: ClassVar[float] = 75.0  # an idle connection is closed after this (nginx's default)

    base_url: str
    verbose: bool
    _stopped: threading.Event
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    @abstractmethod
    def _dispatch(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer: ...

    @abstractmethod
    def _take_hang_up(self) -> bool: ...

    @abstractmethod
    def _is_api(self, path: str) -> bool:
        """Whether a request is an API request (``hang_up_next_requests`` hangs up on those only)."""

    # -- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopped.clear()
        self._server = _Server((host, port), self)
        bound_port = self._server.server_address[1]
        self.base_url = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{bound_port}"  # noqa: S104
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.THREAD_NAME, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.hang_up(idle_only=False)  # kept-alive connections would keep their threads waiting
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- connections

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted since ``start()``."""
        return self._server.accepted if self._server is not None else 0

    def close_idle_connections(self) -> int:
        """Close the connections waiting for their next request, as a server does after its keep-alive
        time-out; how many."""
        return self._server.hang_up(idle_only=True) if self._server is not None else 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: ServedStandIn) -> None:
        self.standin = standin
        self.accepted = 0
        self.open: dict[socket.socket, bool] = {}  # each open connection: is it serving a request?
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def hang_up(self, *, idle_only: bool) -> int:
        with self.connections_lock:
            chosen = [sock for sock, busy in self.open.items() if not (idle_only and busy)]
        for sock in chosen:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return len(chosen)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: so every answer must say its Content-Length

    def setup(self) -> None:
        server = cast(_Server, self.server)
        self.server_version = server.standin.SERVER_VERSION
        super().setup()
        self.connection.settimeout(server.standin.KEEPALIVE_SECONDS)  # an idle kept-alive connection is closed
        with server.connections_lock:
            server.accepted += 1
            server.open[self.connection] = False

    def finish(self) -> None:
        server = cast(_Server, self.server)
        with server.connections_lock:
            server.open.pop(self.connection, None)
        with contextlib.suppress(OSError):  # the client went away with our last answer unsent
            super().finish()

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError):  # the client or close_idle_connections ended the connection
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        self._busy(True)
        try:
            self._answer(method, cast(_Server, self.server).standin)
        finally:
            self._busy(False)

    def _busy(self, busy: bool) -> None:
        server = cast(_Server, self.server)
        with server.connections_lock:
            if self.connection in server.open:
                server.open[self.connection] = busy

    def _answer(self, method: str, standin: ServedStandIn) -> None:
        if standin._is_api(urlsplit(self.path).path) and standin._take_hang_up():
            # As a server closing an idle connection just as a request arrives: nothing read, nothing answered.
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "bad Content-Length")  # closes the connection
            return
        if length > MAX_BODY:  # the rest stays unread: this connection cannot carry another request
            self.close_connection = True
        body = self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = standin._dispatch(method, self.path, headers, body)
        self._busy(False)  # idle once the client has its answer: so before it has it
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout control)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if cast(_Server, self.server).standin.verbose:
            super().log_message(format, *args)


# -- the command line


def serve_from_command_line(
    argv: list[str] | None,
    *,
    prog: str,
    description: str,
    port: int,
    title: str,
    make: Callable[..., ServedStandIn],
    details: Callable[[Any], str],
) -> None:
    """``prog [--host H] [--port P] [--manual-refunds] [--quiet]``: serve ``make(auto_refund_seconds=...,
    verbose=...)`` until interrupted (Ctrl-C), after saying where (``title``) and with what (``details``)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--manual-refunds", action="store_true", help="refunds stay processing until completed")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    standin = make(auto_refund_seconds=None if args.manual_refunds else 0, verbose=not args.quiet)
    url = standin.start(args.host, args.port)
    print(f"{title} (development keys, never production) at {url}", flush=True)
    print(f"  {details(standin)}")
    print(f'  control: curl -X POST {url}/_control -d \'{{"action": "pay", "out_trade_no": "..."}}\'', flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
