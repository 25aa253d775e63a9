"""Settings are read strictly; production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.crypto import generate_key
from portal.env import env_bool, env_int, env_list, env_required

ROOT = Path(__file__).resolve().parents[2]


def test_a_bad_boolean_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG", False, environ={"DEBUG": "maybe"})


def test_booleans_integers_and_lists_parse() -> None:
    assert env_bool("X", False, environ={"X": "Yes"}) is True
    assert env_bool("X", True, environ={"X": "off"}) is False
    assert env_bool("X", True, environ={}) is True
    assert env_int("N", 1, environ={"N": "42"}) == 42
    assert env_list("L", [], environ={"L": "a, b,,c"}) == ["a", "b", "c"]
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("N", 1, environ={"N": "4x"})
    with pytest.raises(ImproperlyConfigured, match="below 30"):
        env_int("N", 60, minimum=30, environ={"N": "5"})
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required"):
        env_required("SECRET_KEY", environ={"SECRET_KEY": "  "})


def _django(args: list[str], extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # (DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests in this process; a deployment never has it.)
    unset = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


PRODUCTION = {
    "PORTAL_MODE": "production",
    "SECRET_KEY": "p" * 20 + "a-long-random-production-secret-key-0123456789",
    "IDENTITY_ENCRYPTION_KEYS": "k1:" + generate_key(),
    "IDENTITY_INDEX_KEY": generate_key(),
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "ybpz.example.gov.cn",
    "SMS_BACKEND": "portal.signin.aliyun_sms.AliyunSmsBackend",
    "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI5tExampleKeyId",
    "ALIYUN_SMS_ACCESS_KEY_SECRET": "example-access-key-secret-0123456789",
    "ALIYUN_SMS_CODE_TEMPLATE": "SMS_123456789",
    "CASH_CHANNEL_BASE_URL": "https://api.mch.weixin.qq.com",
    "WECHATPAY_MCHID": "1900000109",
    "WECHATPAY_APPID": "wxd678efh567hg6787",
    "WECHATPAY_MERCHANT_SERIAL": "5157F09EFDC096DE15EBE81A47057A72",
    "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE": "/etc/portal/wechatpay/apiclient_key.pem",
    "WECHATPAY_PLATFORM_PUBLIC_KEYS": "PUB_KEY_ID_0114232134912410000=/etc/portal/wechatpay/platform.pem",
    "WECHATPAY_APIV3_KEY": "0123456789abcdef0123456789abcdef",
    "ALIPAY_APP_ID": "2021000000000001",
    "ALIPAY_APP_PRIVATE_KEY_FILE": "/etc/portal/alipay/app_private.pem",
    "ALIPAY_PUBLIC_KEY_FILE": "/etc/portal/alipay/alipay_public.pem",
    "PUBLIC_BASE_URL": "https://ybpz.example.gov.cn",
}


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "IDENTITY_ENCRYPTION_KEYS",
        "DATABASE_URL",
        "REDIS_URL",
        "WECHATPAY_APIV3_KEY",
        "ALIPAY_APP_ID",
        "PUBLIC_BASE_URL",
    ],
)
def test_production_refuses_to_start_without_a_secret_or_service(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _django(["check"], env)
    assert result.returncode != 0
    assert f"{missing} is required" in result.stderr


def test_production_refuses_the_embedded_development_secret() -> None:
    result = _django(["check"], {**PRODUCTION, "SECRET_KEY": "embedded-mode-only-" + "x" * 50})
    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_production_passes_the_deployment_checklist_without_warnings() -> None:
    result = _django(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


DEV_IDENTITY_KEY = "ZW1iZWRkZWQtbW9kZS1pZGVudGl0eS1rZXktMDAwMDE="  # published in settings.py for embedded mode


@pytest.mark.parametrize(
    ("unsafe", "named"),
    [
        ({"SMS_BACKEND": "portal.signin.sms.ConsoleSmsBackend"}, "SMS_BACKEND=portal.signin.sms.ConsoleSmsBackend"),
        ({"SMS_BACKEND": "portal.signin.sms.LocmemSmsBackend"}, "SMS_BACKEND=portal.signin.sms.LocmemSmsBackend"),
        ({"DEBUG": "true"}, "DEBUG=true is refused in production"),
        (
            {"IDENTITY_ENCRYPTION_KEYS": f"k2:{generate_key()},dev1:{DEV_IDENTITY_KEY}"},
            "IDENTITY_ENCRYPTION_KEYS holds the published embedded-mode key",
        ),
        (
            {"IDENTITY_INDEX_KEY": "ZW1iZWRkZWQtbW9kZS1ibGluZC1pbmRleC1rZXktMDAwMDE="},
            "IDENTITY_INDEX_KEY is the published",
        ),
        ({"CASH_CHANNEL_DEV_KEYS": "true"}, "CASH_CHANNEL_DEV_KEYS cannot be used in production"),
    ],
)
def test_production_refuses_each_unsafe_setting_and_names_it(unsafe: dict[str, str], named: str) -> None:
    result = _django(["check"], {**PRODUCTION, **unsafe})
    assert result.returncode != 0
    assert named in result.stderr


def test_production_never_loads_a_stand_in_or_its_development_keys() -> None:
    """The stand-ins and their keys ship beside their channels for development and tests; a production
    process that loads every URL, view and channel module still has none of them in memory, and refuses
    the development keys outright."""
    probe = (
        "import sys, django.urls; django.urls.get_resolver().url_patterns; "
        "import payments.channels.factory, payments.channels.wechatpay.client, payments.channels.alipay.client, "
        "payments.online.notifies, payments.online.reconcile; "
        "print(sorted(m for m in sys.modules if m.startswith(('payments.', 'portal.', 'vouchers.')) "
        "and ('.standin' in m or m.endswith(('.dev', '.devkeys')))))"
    )
    loaded = _django(["shell", "--no-imports", "-c", probe], PRODUCTION)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().splitlines()[-1] == "[]", loaded.stdout
    refused = _django(["check"], {**PRODUCTION, "CASH_CHANNEL_DEV_KEYS": "true"})
    assert refused.returncode != 0 and "CASH_CHANNEL_DEV_KEYS cannot be used in production" in refused.stderr
