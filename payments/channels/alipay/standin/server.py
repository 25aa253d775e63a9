"""The Alipay stand-in served over HTTP/1.1 (kept-alive connections): ``AlipayStandIn`` and its server glue."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from payments.channels.alipay.protocol import GATEWAY_PATH
from payments.channels.alipay.standin.api import StandInApi


class AlipayStandIn(StandInApi):
    """The stand-in server. ``start()`` serves it from a daemon thread and returns its base URL (the
    gateway is ``base_url + "/gateway.do"``)."""

    _server: _Server | None = None
    _thread: threading.Thread | None = None

    @property
    def gateway(self) -> str:
        return self.base_url + GATEWAY_PATH

    # -- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopped.clear()
        self._server = _Server((host, port), self)
        bound_port = self._server.server_address[1]
        self.base_url = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{bound_port}"  # noqa: S104
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="alipay-standin", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: AlipayStandIn) -> None:
        self.standin = standin
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server_version = "AlipayStandIn/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, as the gateway does; every answer has its Content-Length
    timeout = 30  # an idle kept-alive connection is closed after this long

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        standin = cast(_Server, self.server).standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        if length > 1 << 20:
            self.close_connection = True
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = standin._dispatch(method, self.path, headers, body)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout control)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if cast(_Server, self.server).standin.verbose:
            super().log_message(format, *args)
