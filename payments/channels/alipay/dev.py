"""The development app and "Alipay": their keys (in ``payments/channels/alipay/devkeys/``), a configured
adapter, a configured stand-in, a genuine notify. Development and tests only: never for production.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from payments.channels.alipay.client import Alipay

if TYPE_CHECKING:
    from payments.channels.alipay.standin import AlipayStandIn

DEVKEYS = Path(__file__).resolve().parent / "devkeys"


class DevConfig(TypedDict):
    app_id: str
    seller_id: str
    app_private_key_pem: bytes
    app_public_key_pem: bytes
    alipay_private_key_pem: bytes
    alipay_public_key_pem: bytes


def dev_config() -> DevConfig:
    """The development app (sandbox-like app id and seller PID) and keys. Never for production."""
    return DevConfig(
        app_id="9021000100000001",
        seller_id="2088102177649450",
        app_private_key_pem=(DEVKEYS / "app_private.pem").read_bytes(),
        app_public_key_pem=(DEVKEYS / "app_public.pem").read_bytes(),
        alipay_private_key_pem=(DEVKEYS / "alipay_private.pem").read_bytes(),
        alipay_public_key_pem=(DEVKEYS / "alipay_public.pem").read_bytes(),
    )


def dev_channel(base_url: str, *, timeout: float = 5.0, **options: Any) -> Alipay:
    """The real adapter configured for the development keys, talking to ``base_url`` (a stand-in; its
    gateway is ``base_url/gateway.do``). ``options`` go to the constructor (e.g. ``notify_max_age``)."""
    config = dev_config()
    return Alipay(
        gateway=base_url,
        app_id=config["app_id"],
        app_private_key_pem=config["app_private_key_pem"],
        alipay_public_key_pem=config["alipay_public_key_pem"],
        seller_id=config["seller_id"],
        timeout=timeout,
        **options,
    )


def dev_standin(**options: Any) -> AlipayStandIn:
    """A stand-in with the development keys; ``options`` go to the constructor (e.g. ``auto_refund_seconds``)."""
    from payments.channels.alipay.standin import AlipayStandIn

    config = dev_config()
    settings: dict[str, Any] = {
        "app_id": config["app_id"],
        "seller_id": config["seller_id"],
        "app_public_key_pem": config["app_public_key_pem"],
        "alipay_private_key_pem": config["alipay_private_key_pem"],
    }
    return AlipayStandIn(**{**settings, **options})


def dev_transaction_notify(out_trade_no: str, amount_fen: int, *, key: Any = None) -> tuple[dict[str, str], bytes]:
    """A genuine TRADE_SUCCESS notify as the development "Alipay" would send it (RSA2-signed with the
    stand-in's key, fresh notify_time): the headers and the form body. ``key`` (the loaded private key)
    saves loading it again when making many."""
    import datetime as dt
    import secrets
    from urllib.parse import urlencode

    from payments.channels.alipay.protocol import BEIJING, beijing, load_private_key, notify_content, rsa2_sign, yuan

    config = dev_config()
    moment = dt.datetime.now(BEIJING)
    params = {
        "notify_type": "trade_status_sync",
        "notify_id": f"{moment:%Y%m%d}00222{secrets.token_hex(12)}",
        "notify_time": beijing(moment),
        "charset": "utf-8",
        "version": "1.0",
        "app_id": config["app_id"],
        "auth_app_id": config["app_id"],
        "seller_id": config["seller_id"],
        "trade_no": f"{moment:%Y%m%d}2200{secrets.randbelow(10**16):016d}",
        "out_trade_no": out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": yuan(amount_fen),
        "receipt_amount": yuan(amount_fen),
        "buyer_pay_amount": yuan(amount_fen),
        "gmt_create": beijing(moment),
        "gmt_payment": beijing(moment),
    }
    key = key or load_private_key(config["alipay_private_key_pem"])
    params["sign"] = rsa2_sign(key, notify_content(params))
    params["sign_type"] = "RSA2"
    return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, urlencode(params).encode()
