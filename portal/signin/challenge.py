"""A proof-of-work check (ALTCHA, protocol v1) before a code is sent, once a phone or an address asks often.

Nobody types anything: the page (or the app) finds a number whose SHA-256 with the server's salt matches
the challenge, which takes a phone about a second at the base difficulty, and sends it back. It makes
each further SMS cost an attacker work, and grows harder for the same phone from the same address.
Challenges are HMAC-signed (so nothing is stored until one is used), expire after 5 minutes and are
accepted once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.errors import DomainError, define

CHALLENGE_REQUIRED = define(
    "challenge_required",
    428,
    "为保护您的账户，请先完成安全验证（自动进行，约需几秒）",
    "To protect your account, a quick security check runs first (it takes a few seconds, nothing to type)",
)
CHALLENGE_INVALID = define(
    "challenge_invalid",
    400,
    "安全验证未通过或已过期，请重试",
    "The security check failed or expired; try again",
)

LIFETIME = dt.timedelta(minutes=5)
BASE_MAX_NUMBER = 20_000  # about a second of SHA-256 in a phone's browser
MAX_STEPS = 8  # the hardest: 2^8 times the base


def _key() -> str:
    return salted_hmac("portal.signin.challenge", "altcha", secret=settings.SECRET_KEY).hexdigest()


def challenge_new(*, steps: int = 0) -> dict[str, Any]:
    """A fresh challenge, ``2**steps`` times harder than the base."""
    challenge = altcha.create_challenge_v1(
        altcha.ChallengeOptionsV1(
            hmac_key=_key(),
            max_number=BASE_MAX_NUMBER * 2 ** max(0, min(steps, MAX_STEPS)),
            expires=timezone.now() + LIFETIME,
        )
    )
    return challenge.to_dict()


def challenge_accept(payload: str | None) -> bool:
    """True once for a valid, unexpired solution (base64 JSON, as the ALTCHA widget sends it)."""
    if not payload or len(payload) > 2_000:
        return False
    try:
        ok, _ = altcha.verify_solution_v1(payload, _key(), check_expires=True)
        signature = altcha.PayloadV1.from_base64(payload).signature
    except Exception:  # anything unreadable is simply not a solution
        return False
    return bool(ok) and cache.add(f"altcha-used:{signature}", 1, int(LIFETIME.total_seconds()) + 60)


def challenge_demand(*, steps: int, given: str | None) -> None:
    """Refuse with a fresh challenge unless ``given`` solves one (428 ``challenge_required``)."""
    if challenge_accept(given):
        return
    raise DomainError(
        CHALLENGE_REQUIRED if not given else CHALLENGE_INVALID, details={"challenge": challenge_new(steps=steps)}
    )
