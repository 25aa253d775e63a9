"""The stand-in served over HTTP: ``WeChatPayStandIn``.

It speaks HTTP/1.1 with keep-alive, as WeChat's servers do (``standin_kit.ServedStandIn``): a client may send
one request after another on one connection. The server counts the connections it accepted
(``connections_accepted``), and can close its idle connections (``close_idle_connections``) or hang up on
the next requests under ``/v3/`` (``hang_up_next_requests``), as a real server does now and then.
"""

from __future__ import annotations

from payments.channels.standin_kit import ServedStandIn
from payments.channels.wechatpay.standin.api import StandInApi

KEEPALIVE_SECONDS = 75.0  # an idle connection is closed after this (nginx's default)


class WeChatPayStandIn(StandInApi, ServedStandIn):
    """The stand-in server. ``start()`` serves it from a daemon thread and returns its base URL."""

    SERVER_VERSION = "WeChatPayStandIn/1.0"
    THREAD_NAME = "wechatpay-standin"
    KEEPALIVE_SECONDS = KEEPALIVE_SECONDS

    def _is_api(self, path: str) -> bool:
        return path.startswith("/v3/")
