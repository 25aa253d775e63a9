"""Resident sign-in with one-time SMS codes, and app tokens."""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from portal import ratelimit
from portal.errors import DomainError, define, wait_words
from portal.observability import metrics
from portal.parsing import ascii_digits
from portal.people.models import Person, User, mobile_phone
from portal.people.services import person_user
from portal.signin.challenge import challenge_demand
from portal.signin.models import OtpChallenge, ResidentToken
from portal.signin.sms import SmsError, get_backend

logger = logging.getLogger(__name__)

PHONE_INVALID = define(
    "phone_invalid", 400, "手机号码格式不正确", "The phone number is not a valid mainland mobile number"
)
OTP_TOO_SOON = define("otp_too_soon", 429, "验证码已发送，请{wait}后再试", "A code was just sent; try again in {wait}")
OTP_DAILY_LIMIT = define(
    "otp_daily_limit",
    429,
    "今日从本设备获取验证码次数已达上限，请明天再试",
    "Too many codes today for this number from this device; try tomorrow",
)
SMS_BUSY = define(
    "sms_busy",
    503,
    "短信服务繁忙，请{wait}后再试",
    "The text-message service is busy; try again in {wait}",
)
OTP_INVALID = define(
    "otp_invalid", 400, "验证码不正确，还可尝试 {remaining} 次", "The code is wrong; {remaining} attempts left"
)
OTP_EXPIRED = define("otp_expired", 400, "验证码已过期，请重新获取", "The code has expired; request a new one")
OTP_LOCKED = define("otp_locked", 429, "验证码错误次数过多，请重新获取", "Too many wrong codes; request a new one")
SMS_UNAVAILABLE = define(
    "sms_unavailable", 503, "短信发送失败，请稍后重试", "The text message could not be sent; try again shortly"
)
TOKEN_PREFIX = "rt_"


def _code_hash(challenge_salt: str, code: str) -> str:
    return salted_hmac("portal.signin.otp", f"{challenge_salt}:{code}").hexdigest()


def _check_phone(phone: str) -> str:
    phone = phone.strip()
    try:
        mobile_phone(phone)
    except Exception:
        raise DomainError(PHONE_INVALID) from None
    return phone


# What sending a code can answer (otp_request), and what checking one can (otp_verify): the operations that
# do either declare these (portal.openapi.errors).
SMS_SENDING = (PHONE_INVALID, OTP_DAILY_LIMIT, OTP_TOO_SOON, SMS_BUSY, SMS_UNAVAILABLE)
SMS_CHECKING = (PHONE_INVALID, OTP_EXPIRED, OTP_INVALID, OTP_LOCKED)


@metrics.counts_sms
def otp_request(
    *,
    phone: str,
    client_ip: str | None = None,
    purpose: str = OtpChallenge.Purpose.SIGN_IN,
    challenge: str | None = None,
) -> OtpChallenge:
    """Send a one-time code. The answer is the same whether or not the phone is registered.

    Strangers can neither flood a phone nor lock its owner out:
    - one code per phone per ``OTP_RESEND_SECONDS`` (60 s), from anywhere;
    - past ``OTP_FREE_PER_PHONE`` codes a day for the phone (3), or ``OTP_FREE_PER_ADDRESS`` an hour from
      the address (5), a proof-of-work challenge comes first (portal.signin.challenge), harder with each
      further code for the phone from that address;
    - ``OTP_MAX_PER_PHONE_PER_DAY`` (10) counts per phone *and address*: a stranger's requests use up
      the stranger's allowance, not the owner's;
    - ``SMS_GLOBAL_PER_HOUR`` caps what the whole service sends.
    """
    phone = _check_phone(phone)
    now = timezone.now()
    day_ago, hour_ago = now - timedelta(days=1), now - timedelta(hours=1)
    sent = OtpChallenge.objects.filter(phone=phone, created_at__gte=day_ago)
    from_here = sent.filter(client_ip=client_ip).count() if client_ip else 0
    if client_ip and from_here >= settings.OTP_MAX_PER_PHONE_PER_DAY:
        raise DomainError(OTP_DAILY_LIMIT)
    by_phone = sent.count()
    by_address = OtpChallenge.objects.filter(client_ip=client_ip, created_at__gte=hour_ago).count() if client_ip else 0
    anonymous = purpose == OtpChallenge.Purpose.SIGN_IN  # the others come from a signed-in resident
    if anonymous and (by_phone >= settings.OTP_FREE_PER_PHONE or by_address >= settings.OTP_FREE_PER_ADDRESS):
        steps = max(from_here - settings.OTP_FREE_PER_PHONE + 1, by_address - settings.OTP_FREE_PER_ADDRESS, 0)
        challenge_demand(steps=steps, given=challenge)
    lock_key = f"otp-resend:{purpose}:" + hashlib.sha256(phone.encode()).hexdigest()
    if settings.OTP_RESEND_SECONDS and not cache.add(lock_key, now.timestamp(), timeout=settings.OTP_RESEND_SECONDS):
        sent = cache.get(lock_key)
        left = settings.OTP_RESEND_SECONDS
        if isinstance(sent, float):  # the time the last code went: the wait that is really left
            left = max(1, min(left, math.ceil(settings.OTP_RESEND_SECONDS - (now.timestamp() - sent))))
        raise DomainError(OTP_TOO_SOON, wait=wait_words(left), details={"retry_after": left})
    person = Person.objects.filter(phone=phone, insured=True).first()
    if person is not None:
        used, left = ratelimit.hit("sms-global", period=3600)
        if used > settings.SMS_GLOBAL_PER_HOUR:
            cache.delete(lock_key)
            logger.error("the global SMS budget of %s an hour is used up", settings.SMS_GLOBAL_PER_HOUR)
            raise DomainError(SMS_BUSY, wait=wait_words(left), details={"retry_after": left})
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(8)
    otp = OtpChallenge.objects.create(
        phone=phone,
        purpose=purpose,
        person=person,
        code_hash=f"{salt}${_code_hash(salt, code)}",
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        client_ip=client_ip,
    )
    if person is not None:
        try:
            get_backend().send_code(
                phone=phone, code=code, ttl_minutes=settings.OTP_TTL_SECONDS // 60, purpose=str(purpose)
            )
        except SmsError as error:
            logger.warning("SMS provider refused a code: %s", error.code)
            cache.delete(lock_key)  # the resident may ask again at once
            raise DomainError(SMS_UNAVAILABLE) from None
    return otp


def otp_verify(*, phone: str, code: str, purpose: str = OtpChallenge.Purpose.SIGN_IN) -> Person:
    """Check a code; on success it is consumed and the person returned."""
    phone = _check_phone(phone)
    now = timezone.now()
    challenge = (
        OtpChallenge.objects.filter(phone=phone, purpose=purpose, consumed_at__isnull=True).order_by("-id").first()
    )
    if challenge is None:
        raise DomainError(OTP_EXPIRED)
    if challenge.expires_at <= now:
        raise DomainError(OTP_EXPIRED)
    # Count the attempt first (compare-and-set), so parallel guesses cannot exceed the limit.
    counted = OtpChallenge.objects.filter(
        pk=challenge.pk, attempts__lt=settings.OTP_MAX_ATTEMPTS, consumed_at__isnull=True
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise DomainError(OTP_LOCKED)
    salt, _, expected = challenge.code_hash.partition("$")
    code = code.strip()
    if (
        not (ascii_digits(code) and constant_time_compare(_code_hash(salt, code), expected))
        or challenge.person_id is None
    ):
        remaining = max(settings.OTP_MAX_ATTEMPTS - challenge.attempts - 1, 0)
        if remaining == 0:
            raise DomainError(OTP_LOCKED)
        raise DomainError(OTP_INVALID, remaining=remaining, details={"remaining_attempts": remaining})
    if not OtpChallenge.objects.filter(pk=challenge.pk, consumed_at__isnull=True).update(consumed_at=now):
        raise DomainError(OTP_EXPIRED)
    person = Person.objects.select_related("region").get(pk=challenge.person_id)
    person_user(person=person)
    return person


def otp_purge_expired(*, older_than: timedelta = timedelta(days=2)) -> int:
    deleted, _ = OtpChallenge.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user: User) -> tuple[str, ResidentToken]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ResidentToken.objects.create(
        user=user,
        key_hash=token_hash(raw),
        expires_at=timezone.now() + timedelta(seconds=settings.RESIDENT_TOKEN_TTL_SECONDS),
    )
    return raw, token


def token_revoke(*, token_id: int) -> None:
    ResidentToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
