"""Which cash channel this deployment uses (settings: CASH_CHANNEL_* and WECHATPAY_*)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from payments.channels.base import CashChannel


@lru_cache(maxsize=4)
def _build(base_url: str, dev: bool) -> CashChannel:
    from payments.channels.wechatpay import WeChatPay

    if dev:
        from payments.channels.standin import dev_channel

        return dev_channel(base_url)
    keys = {
        serial: Path(path).read_bytes()
        for serial, _, path in (item.partition("=") for item in settings.WECHATPAY_PLATFORM_PUBLIC_KEYS)
    }
    return WeChatPay(
        base_url=base_url,
        mchid=settings.WECHATPAY_MCHID,
        appid=settings.WECHATPAY_APPID,
        merchant_private_key_pem=Path(settings.WECHATPAY_MERCHANT_PRIVATE_KEY_FILE).read_bytes(),
        merchant_serial=settings.WECHATPAY_MERCHANT_SERIAL,
        platform_public_keys=keys,
        apiv3_key=settings.WECHATPAY_APIV3_KEY.encode(),
    )


def get_channel() -> CashChannel:
    """The stand-in's development keys in embedded mode and tests; the configured merchant otherwise."""
    return _build(settings.CASH_CHANNEL_BASE_URL, settings.CASH_CHANNEL_DEV_KEYS)


def reset() -> None:
    _build.cache_clear()
