"""The cash channels of this deployment, by name (settings: CASH_CHANNELS, WECHATPAY_*, ALIPAY_*).

Every order records the channel its cash went through; refunds, notifies and reconciliation ask this
registry for that channel by name. The stand-ins' development keys are imported only when
CASH_CHANNEL_DEV_KEYS is on, which settings allow in embedded mode and tests only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from payments.channels.base import CashChannel

WECHATPAY = "wechatpay"
ALIPAY = "alipay"
NAMES = (WECHATPAY, ALIPAY)
LABELS = {WECHATPAY: "微信支付 / WeChat Pay", ALIPAY: "支付宝 / Alipay"}


class UnknownChannel(LookupError):
    pass


@lru_cache(maxsize=8)
def _build(name: str, base_url: str, dev: bool, return_url: str = "") -> CashChannel:
    if name == WECHATPAY:
        return _wechatpay(base_url, dev)
    return _alipay(base_url, dev, return_url)


def _wechatpay(base_url: str, dev: bool) -> CashChannel:
    from payments.channels.wechatpay.client import WeChatPay

    if dev:
        from payments.channels.wechatpay.standin import dev_channel

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


def _alipay(base_url: str, dev: bool, return_url: str) -> CashChannel:
    from payments.channels.alipay.client import Alipay

    if dev:
        from payments.channels.alipay.dev import dev_channel

        return dev_channel(base_url, return_url=return_url)
    return Alipay(
        gateway=base_url,
        return_url=return_url,
        app_id=settings.ALIPAY_APP_ID,
        app_private_key_pem=Path(settings.ALIPAY_APP_PRIVATE_KEY_FILE).read_bytes(),
        alipay_public_key_pem=Path(settings.ALIPAY_PUBLIC_KEY_FILE).read_bytes(),
    )


def enabled() -> tuple[str, ...]:
    """The channels residents may choose, in the order the bill page offers them."""
    return tuple(name for name in settings.CASH_CHANNELS if name in NAMES)


def get_channel(name: str = WECHATPAY) -> CashChannel:
    """The named channel: the stand-in's development keys in embedded mode and tests, the configured
    merchant otherwise. :class:`UnknownChannel` for a name this deployment does not run."""
    if name not in enabled():
        raise UnknownChannel(name)
    if name == WECHATPAY:
        return _build(name, settings.CASH_CHANNEL_BASE_URL, settings.CASH_CHANNEL_DEV_KEYS)
    return _build(name, settings.ALIPAY_BASE_URL, settings.CASH_CHANNEL_DEV_KEYS, alipay_return_url())


def notify_url(name: str) -> str:
    """Where the named channel sends its notifies: one route per channel."""
    return (
        settings.PAYMENT_NOTIFY_URLS.get(name)
        or f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}/api/v1/payments/notify/{name}"
    )


def alipay_return_url() -> str:
    """Where Alipay's cashier sends the payer's browser after paying (its wap pay request's ``return_url``):
    the web page that opens the bill it names. WeChat Pay's H5 page goes back to the ``redirect_url`` the bill
    page adds to its pay URL instead."""
    return f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}{reverse('web-payment-alipay-return')}"


def reset() -> None:
    _build.cache_clear()
