"""The development merchant and platform: their keys (in ``payments/channels/wechatpay/devkeys/``), a
configured adapter, a configured stand-in. Development only: never for production.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from payments.channels.wechatpay.client import WeChatPay
from payments.channels.wechatpay.standin.server import WeChatPayStandIn

DEVKEYS = Path(__file__).resolve().parent.parent / "devkeys"


class DevConfig(TypedDict):
    mchid: str
    appid: str
    merchant_serial: str
    platform_serial: str
    apiv3_key: bytes
    merchant_private_key_pem: bytes
    merchant_public_key_pem: bytes
    platform_private_key_pem: bytes
    platform_public_key_pem: bytes


def dev_config() -> DevConfig:
    """The development merchant and platform (keys from ``devkeys/``). Never for production."""
    return DevConfig(
        mchid="1900000109",
        appid="wxd678efh567hg6787",
        merchant_serial="DEVMERCHANT0001",
        platform_serial="DEVPLATFORM0001",
        apiv3_key=b"dev-only-apiv3-key-32-bytes-long",
        merchant_private_key_pem=(DEVKEYS / "merchant_private.pem").read_bytes(),
        merchant_public_key_pem=(DEVKEYS / "merchant_public.pem").read_bytes(),
        platform_private_key_pem=(DEVKEYS / "platform_private.pem").read_bytes(),
        platform_public_key_pem=(DEVKEYS / "platform_public.pem").read_bytes(),
    )


def dev_channel(base_url: str, *, timeout: float = 5.0, **options: Any) -> WeChatPay:
    """The real adapter configured for the development keys, talking to ``base_url`` (a stand-in); ``options``
    go to the constructor (e.g. ``keepalive_seconds``)."""
    config = dev_config()
    return WeChatPay(
        base_url=base_url,
        mchid=config["mchid"],
        appid=config["appid"],
        merchant_private_key_pem=config["merchant_private_key_pem"],
        merchant_serial=config["merchant_serial"],
        platform_public_keys={config["platform_serial"]: config["platform_public_key_pem"]},
        apiv3_key=config["apiv3_key"],
        timeout=timeout,
        **options,
    )


def dev_standin(**options: Any) -> WeChatPayStandIn:
    """A stand-in with the development keys; ``options`` go to the constructor (e.g. ``auto_refund_seconds``)."""
    config = dev_config()
    settings: dict[str, Any] = {
        "mchid": config["mchid"],
        "appid": config["appid"],
        "merchant_public_key_pem": config["merchant_public_key_pem"],
        "merchant_serial": config["merchant_serial"],
        "platform_private_key_pem": config["platform_private_key_pem"],
        "platform_serial": config["platform_serial"],
        "apiv3_key": config["apiv3_key"],
    }
    return WeChatPayStandIn(**{**settings, **options})


def dev_transaction_notify(out_trade_no: str, amount_fen: int, *, key: Any = None) -> tuple[dict[str, str], bytes]:
    """A genuine TRANSACTION.SUCCESS notify as the development platform would send it (signed with the
    stand-in's platform key, resource AES-GCM encrypted): the headers by their real names, and the body.
    ``key`` (the loaded platform private key) saves loading it again when making many."""
    import json
    import uuid

    from payments.channels.wechatpay.client import encrypt_resource, load_private_key, platform_headers

    config = dev_config()
    resource = {
        "mchid": config["mchid"],
        "appid": config["appid"],
        "out_trade_no": out_trade_no,
        "transaction_id": f"42{uuid.uuid4().int % 10**26:026d}",
        "trade_type": "MWEB",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "success_time": "2026-11-22T10:00:00+08:00",
        "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY"},
    }
    body = json.dumps(
        {
            "id": str(uuid.uuid4()),
            "create_time": "2026-11-22T10:00:01+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": encrypt_resource(
                config["apiv3_key"], json.dumps(resource).encode(), "transaction", "transaction"
            ),
        }
    ).encode()
    key = key or load_private_key(config["platform_private_key_pem"])
    return platform_headers(key=key, serial=config["platform_serial"], body=body), body
