"""SMS backends. ``settings.SMS_BACKEND`` names the class; all share :class:`SmsBackend`."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("portal.sms")


class SmsError(Exception):
    """The SMS provider refused or could not be reached."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class SmsBackend(Protocol):
    def send_code(self, *, phone: str, code: str, ttl_minutes: int, purpose: str = "sign_in") -> None: ...

    def send_notice(self, *, phone: str, text: str) -> None: ...


_PURPOSES = {
    "sign_in": "登录",
    "activation": "激活医保电子凭证",
    "family_consent": "同意亲属代为出示您的医保码",
    "family_binding": "同意亲属使用其个人账户为您支付（家庭共济）",
}


def sms_text(code: str, ttl_minutes: int, purpose: str = "sign_in") -> str:
    action = _PURPOSES.get(purpose, "验证")
    return f"【医保服务】您正在{action}，验证码 {code}，{ttl_minutes} 分钟内有效。请勿告诉他人。"


class ConsoleSmsBackend:
    """Embedded mode: the message goes to the server log, so a developer can sign in."""

    def send_code(self, *, phone: str, code: str, ttl_minutes: int, purpose: str = "sign_in") -> None:
        logger.warning("SMS to %s: %s", phone, sms_text(code, ttl_minutes, purpose))

    def send_notice(self, *, phone: str, text: str) -> None:
        logger.warning("SMS to %s: %s", phone, text)


class LocmemSmsBackend:
    """Tests: messages are kept in ``outbox``."""

    outbox: list[dict[str, str]] = []

    def send_code(self, *, phone: str, code: str, ttl_minutes: int, purpose: str = "sign_in") -> None:
        self.outbox.append(
            {"phone": phone, "code": code, "purpose": purpose, "text": sms_text(code, ttl_minutes, purpose)}
        )

    def send_notice(self, *, phone: str, text: str) -> None:
        self.outbox.append({"phone": phone, "code": "", "purpose": "notice", "text": text})


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(str(settings.SMS_BACKEND))()
    return backend
