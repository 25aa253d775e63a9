"""A local stand-in for Alipay's OpenAPI gateway: the same protocol, its own keys, trades and refunds in memory.

It lets the embedded mode, demos and tests drive the real adapter (``payments.channels.alipay.client``) over
real HTTP: requests are verified with the app's public key (RSA2 over the sorted parameters), answers and
``trade_status_sync`` notifies are signed with the stand-in's "Alipay" private key. It mimics Alipay's
semantics and codes for the methods the adapter uses, serves the wap cashier page (the signed
``alipay.trade.wap.pay`` URL), writes the daily bill (a zip of GBK CSV files behind a download URL), retries
notifies until it is answered ``success``, and can misbehave on purpose (dropped, late, duplicated,
reordered, forged, stale or foreign notifies; slow, failing or badly signed answers; damaged bills).

Development only: never point production at it. ``python -m payments.channels.alipay.standin --port 8766``
runs it with the development keys in ``payments/channels/alipay/devkeys/``.

The package, by subject: ``records`` (trades, refunds, notifies and their Alipay form), ``state`` (keys,
memory, notify delivery, the test/demo controls), ``api`` (the gateway methods, the cashier, the bill file,
``/_control``), ``server`` (``AlipayStandIn``: all of that served over HTTP) and ``cli`` (the command line).
The development configuration is ``payments.channels.alipay.dev``.
"""

from payments.channels.alipay.standin.records import StandInError, StandInRefund, StandInTrade
from payments.channels.alipay.standin.server import AlipayStandIn

__all__ = ["AlipayStandIn", "StandInError", "StandInRefund", "StandInTrade"]
