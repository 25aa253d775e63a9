"""The stand-in served over HTTP: ``WeChatPayStandIn`` and its ThreadingHTTPServer glue.

It speaks HTTP/1.1 with keep-alive, as WeChat's servers do: a client may send one request after another on
one connection. Every answer carries its Content-Length. The server counts the connections it accepted
(``connections_accepted``), and can close its idle connections (``close_idle_connections``) or hang up on
the next requests (``hang_up_next_requests``), as a real server does now and then.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from payments.channels.wechatpay.standin.api import StandInApi

_MAX_BODY = 1 << 20
KEEPALIVE_SECONDS = 75.0  # an idle connection is closed after this (nginx's default)


class WeChatPayStandIn(StandInApi):
    """The stand-in server. ``start()`` serves it from a daemon thread and returns its base URL."""

    _server: _Server | None = None
    _thread: threading.Thread | None = None

    # -- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopped.clear()
        self._server = _Server((host, port), self)
        bound_port = self._server.server_address[1]
        self.base_url = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{bound_port}"  # noqa: S104
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="wechatpay-standin", daemon=True
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

    def __init__(self, address: tuple[str, int], standin: WeChatPayStandIn) -> None:
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
    server_version = "WeChatPayStandIn/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive: so every answer must say its Content-Length
    timeout = KEEPALIVE_SECONDS

    def setup(self) -> None:
        super().setup()
        server = cast(_Server, self.server)
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

    def _answer(self, method: str, standin: WeChatPayStandIn) -> None:
        if self.path.startswith("/v3/") and standin._take_hang_up():
            # As a server closing an idle connection just as a request arrives: nothing read, nothing answered.
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "bad Content-Length")  # closes the connection
            return
        if length > _MAX_BODY:  # the rest stays unread: this connection cannot carry another request
            self.close_connection = True
        body = self.rfile.read(min(length, _MAX_BODY)) if length > 0 else b""
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
