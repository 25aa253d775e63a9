"""The Alipay stand-in served over HTTP/1.1 (kept-alive connections, ``standin_kit.ServedStandIn``):
``AlipayStandIn``."""

from __future__ import annotations

from payments.channels.alipay.protocol import GATEWAY_PATH
from payments.channels.alipay.standin.api import StandInApi
from payments.channels.standin_kit import ServedStandIn


class AlipayStandIn(StandInApi, ServedStandIn):
    """The stand-in server. ``start()`` serves it from a daemon thread and returns its base URL (the
    gateway is ``base_url + "/gateway.do"``)."""

    SERVER_VERSION = "AlipayStandIn/1.0"
    THREAD_NAME = "alipay-standin"
    KEEPALIVE_SECONDS = 30.0  # an idle kept-alive connection is closed after this long

    @property
    def gateway(self) -> str:
        return self.base_url + GATEWAY_PATH

    def _is_api(self, path: str) -> bool:
        return path == GATEWAY_PATH
