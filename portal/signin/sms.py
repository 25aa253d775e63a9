"""SMS backends. ``settings.SMS_BACKEND`` names the class; all share :class:`SmsBackend`."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("portal.sms")


class SmsBackend(Protocol):
    def send_code(self, *, phone: str, code: str, ttl_minutes: int) -> None: ...


def sms_text(code: str, ttl_minutes: int) -> str:
    return f"【医保服务】您的验证码是 {code}，{ttl_minutes} 分钟内有效。请勿告诉他人。"


class ConsoleSmsBackend:
    """Embedded mode: the message goes to the server log, so a developer can sign in."""

    def send_code(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        logger.warning("SMS to %s: %s", phone, sms_text(code, ttl_minutes))


class LocmemSmsBackend:
    """Tests: messages are kept in ``outbox``."""

    outbox: list[dict[str, str]] = []

    def send_code(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        self.outbox.append({"phone": phone, "code": code, "text": sms_text(code, ttl_minutes)})


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(str(settings.SMS_BACKEND))()
    return backend
