"""A merchant's notify endpoint for the channel tests: an HTTP server that hands each POST to ``receive``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from payments.channels.base import NotifyAnswer


def serve_notify_endpoint(
    receive: Callable[[dict[str, str], bytes], NotifyAnswer], path: str
) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``receive(headers, body)`` from a daemon thread on a free local port; the server and the URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = receive(dict(self.headers.items()), body)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{path}"
