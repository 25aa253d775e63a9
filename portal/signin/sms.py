"""SMS backends. ``settings.SMS_BACKEND`` names the class; all share :class:`SmsBackend`."""

from __future__ import annotations

import logging
import sys
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


def masked_phone(phone: str) -> str:
    """138****1234: what logs and staff pages may show of a phone number."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


# Backends that deliver nothing to a phone: embedded mode and tests only (production refuses them).
NON_DELIVERING = ("portal.signin.sms.ConsoleSmsBackend", "portal.signin.sms.LocmemSmsBackend")


class ConsoleSmsBackend:
    """Embedded mode only: the message is printed on the server's terminal so a developer can sign in.

    It is written to the terminal, not to the log: logs (which may be shipped and kept) carry only the
    masked number, never the code."""

    def send_code(self, *, phone: str, code: str, ttl_minutes: int, purpose: str = "sign_in") -> None:
        self._print(phone, sms_text(code, ttl_minutes, purpose))

    def send_notice(self, *, phone: str, text: str) -> None:
        self._print(phone, text)

    def _print(self, phone: str, text: str) -> None:
        logger.info("SMS to %s sent to the terminal (embedded mode)", masked_phone(phone))
        sys.stderr.write(f"[embedded SMS, not sent] to {phone}: {text}\n")
        sys.stderr.flush()


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
