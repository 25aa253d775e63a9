"""A local stand-in for WeChat Pay API v3: the same protocol, its own keys, orders and refunds in memory.

It lets the embedded mode, demos and tests drive the real adapter (``payments.channels.wechatpay.client``) over
real HTTP: requests are verified with the merchant's public key, answers and notifies are signed with the
stand-in's "platform" key, notify resources are encrypted with the APIv3 key. It mimics WeChat's semantics
and error codes for the endpoints the adapter uses, serves an H5 cashier page, writes the daily trade bill,
and can misbehave on purpose (dropped, late, duplicated, reordered, forged or stale notifies, slow answers).

Development only: never point production at it. ``python -m payments.channels.wechatpay.standin --port 8765`` runs it
with the development keys in ``payments/channels/wechatpay/devkeys/``.

The package, by subject: ``records`` (orders, refunds, notifies and their WeChat JSON), ``state`` (keys, memory,
notify delivery, the test/demo controls), ``api`` (the v3 endpoints, the H5 page, the trade bill, ``/_control``),
``server`` (``WeChatPayStandIn``: all of that served over HTTP), ``dev`` (the development keys and configuration)
and ``cli`` (the command line).
"""

from payments.channels.wechatpay.standin.cli import main
from payments.channels.wechatpay.standin.dev import DEVKEYS, DevConfig, dev_channel, dev_config, dev_standin
from payments.channels.wechatpay.standin.records import StandInError, StandInOrder, StandInRefund
from payments.channels.wechatpay.standin.server import WeChatPayStandIn

__all__ = [
    "DEVKEYS",
    "DevConfig",
    "StandInError",
    "StandInOrder",
    "StandInRefund",
    "WeChatPayStandIn",
    "dev_channel",
    "dev_config",
    "dev_standin",
    "main",
]
