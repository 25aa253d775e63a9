"""Residents' web pages: sign-in with an SMS code, home, the e-voucher code, preferences."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST
from rest_framework.settings import api_settings

from portal import ratelimit
from portal.clientip import client_ip
from portal.errors import RATE_LIMITED, Bilingual, DomainError, localized_label, wait_words
from portal.identity import ID_NUMBER_INVALID
from portal.ledger.selectors import personal_account
from portal.money import fen_to_yuan
from portal.parsing import row_id
from portal.people.models import Person
from portal.people.selectors import person_for_user
from portal.people.services import person_user
from portal.signin.challenge import CHALLENGE_INVALID, CHALLENGE_REQUIRED
from portal.signin.models import OtpChallenge
from portal.signin.services import OTP_EXPIRED, OTP_LOCKED, OTP_TOO_SOON, otp_request, otp_verify
from portal.web.access import field_errors, resident_required, safe_next
from portal.web.context import ELDERLY_COOKIE
from portal.web.statement.views import recent_rows
from vouchers.family import holdings_of_holder
from vouchers.models import FamilyHolding, Voucher
from vouchers.services import IDENTITY_MISMATCH, NO_PHONE, voucher_activate

YEAR = 365 * 24 * 3600


def _limit_by_address(request: HttpRequest, scope: str) -> None:
    """The API's per-address limits on sign-in codes (THROTTLE_OTP_REQUEST / _VERIFY) hold here too."""
    number, unit = str(api_settings.DEFAULT_THROTTLE_RATES[scope]).split("/")  # "20/hour", as DRF reads it
    count, period = int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[0]]
    used, left = ratelimit.hit(f"web-{scope}:{client_ip(request)}", period=period)
    if used > count:
        raise DomainError(RATE_LIMITED, wait=wait_words(left), details={"retry_after": left})


SIGNIN = "signin"  # the session's memory of a sign-in under way: the phone, when the code went, errors to show


def _signin_url(next_url: str) -> str:
    return "/signin" if next_url == "/" else f"/signin?{urlencode({'next': next_url})}"


def signin(request: HttpRequest) -> HttpResponse:
    """Sign-in with an SMS code, post/redirect/get throughout: each POST ends in a redirect, so reload and back
    never send a form again (nor use up one of the code's tries). The code box stays once a code went, with a
    resend button that counts down; an expired or locked code gets a new one in one tap."""
    next_url = safe_next(request)
    if request.method == "GET" and person_for_user(user=request.user) is not None:
        return HttpResponseRedirect(next_url)  # back after signing in: the home page, not the form again
    state: dict[str, Any] = dict(request.session.get(SIGNIN) or {})
    if request.method == "POST":
        return _signin_post(request, state, next_url)
    if request.GET.get("change"):
        request.session.pop(SIGNIN, None)
        state = {}
    errors, challenge = state.pop("errors", {}), state.pop("challenge", "")
    if errors or challenge:
        request.session[SIGNIN] = state  # shown once
    phone = state.get("phone", "")
    sent_at = float(state.get("sent_at") or 0)
    age = time.time() - sent_at
    context = {
        "next": next_url,
        "phone": phone,
        "masked_phone": f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone,
        "errors": errors,
        "step": "code" if sent_at else "phone",
        "resend_in": max(0, int(settings.OTP_RESEND_SECONDS - age)) if sent_at else 0,
        "expired": bool(sent_at) and age > settings.OTP_TTL_SECONDS,
        "ttl_minutes": settings.OTP_TTL_SECONDS // 60,
        "challenge": challenge,
    }
    return render(request, "web/signin.html", context)


# Refusals of a code that only a new code cures: the page offers one at once.
NEEDS_NEW_CODE = {OTP_EXPIRED, OTP_LOCKED}


def _signin_post(request: HttpRequest, state: dict[str, Any], next_url: str) -> HttpResponse:
    step = request.POST.get("step", "send")
    phone = request.POST.get("phone", "").strip() or state.get("phone", "")
    state["phone"] = phone
    errors: dict[str, str] = {}
    try:
        if step == "code":
            _limit_by_address(request, "otp_verify")
            person = otp_verify(phone=phone, code=request.POST.get("code", "").strip())
            request.session.pop(SIGNIN, None)
            login(request, person_user(person=person), backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(next_url)
        _limit_by_address(request, "otp_request")
        otp_request(phone=phone, client_ip=client_ip(request), challenge=request.POST.get("challenge") or None)
        state["sent_at"] = time.time()
    except DomainError as error:
        if error.code in (CHALLENGE_REQUIRED, CHALLENGE_INVALID):
            # The page's script solves it (about a second) and sends the form again by itself.
            state["challenge"] = json.dumps(error.details["challenge"])
        elif error.code == OTP_TOO_SOON:
            state.setdefault("sent_at", time.time() - settings.OTP_RESEND_SECONDS + int(error.details["retry_after"]))
        elif step != "code" and request.POST.get("phone"):
            state.pop("sent_at", None)  # a number typed anew and no code went: the reason, next to the number
        if error.code in NEEDS_NEW_CODE and state.get("sent_at"):
            state["sent_at"] = time.time() - settings.OTP_TTL_SECONDS - 1  # offer a new code now
        # A resend refused (too early, too often) keeps the code box: the code that went is still good.
        errors = field_errors(error, {}, default="code" if state.get("sent_at") else "phone")
    state["errors"] = errors
    request.session[SIGNIN] = state
    return HttpResponseRedirect(_signin_url(next_url))


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect("/signin")


@resident_required
def home(request: HttpRequest) -> HttpResponse:
    me: Person = request.person  # type: ignore[attr-defined]
    account = personal_account(person=me)
    voucher = Voucher.objects.filter(person=me).order_by("-pk").first()
    return render(
        request,
        "web/home.html",
        {
            "me": me,
            "balance": fen_to_yuan(account.balance) if account else None,
            # In words, like the statement: money on hold for an unpaid bill is not shown as paid.
            "recent": recent_rows(me=me, account=account),
            "has_account": account is not None,
            "insurance_type": localized_label(me.get_insurance_type_display()),
            "voucher": voucher,
        },
    )


@resident_required
def voucher(request: HttpRequest) -> HttpResponse:
    """The code page as in the national app: whose code it is (masked), a large code that renews itself,
    and a clear state when offline or signed out. The code is an image the server renders, so the page
    works without scripts too (a meta refresh renews it)."""
    me: Person = request.person  # type: ignore[attr-defined]
    active = Voucher.objects.filter(person=me, status=Voucher.Status.ACTIVE).exists()
    holdings = list(
        holdings_of_holder(holder=me).filter(status=FamilyHolding.Status.ACTIVE).select_related("relative__region")
    )
    shown = row_id(request.GET.get("person", "")) or None
    holding = next((h for h in holdings if h.relative_id == shown), None)
    subject = holding.relative if holding is not None and holding.relative is not None else me
    types = dict(Person.InsuranceType.choices)
    return render(
        request,
        "web/voucher.html",
        {
            "me": me,
            "active": active,
            "holdings": holdings,
            "shown": str(subject.pk) if subject.pk != me.pk else "",
            "subject": subject,
            "relative": subject.pk != me.pk,
            "subject_type": localized_label(types.get(subject.insurance_type, subject.insurance_type)),
            "refresh_seconds": 30,
        },
    )


ACTIVATION_FIELDS = {IDENTITY_MISMATCH: "id_number", ID_NUMBER_INVALID: "id_number"}
ENTER = {
    "name": Bilingual("请输入您的姓名", "Enter your name"),
    "id_number": Bilingual("请输入您的身份证号", "Enter your identity number"),
    "sms_code": Bilingual("请输入短信验证码", "Enter the code we sent by text message"),
}


@resident_required
def activate(request: HttpRequest) -> HttpResponse:
    """A new user's activation: name and identity number as registered, confirmed by an SMS code."""
    me: Person = request.person  # type: ignore[attr-defined]
    context: dict[str, Any] = {"me": me, "errors": {}, "sent": False, "values": {}}
    if request.method == "POST":
        values = {key: request.POST.get(key, "").strip() for key in ("name", "id_number", "sms_code")}
        context["values"] = values
        try:
            if request.POST.get("step") == "send":
                if not me.phone:
                    raise DomainError(NO_PHONE)
                otp_request(phone=me.phone, purpose=OtpChallenge.Purpose.ACTIVATION, client_ip=client_ip(request))
                context["sent"] = True
            else:
                context["sent"] = True
                missing = [key for key, value in values.items() if not value]
                if missing:
                    context["errors"] = {key: ENTER[key].localized() for key in missing}  # every one at once
                else:
                    voucher_activate(person=me, channel="web", **values)
                    messages.success(request, Bilingual("医保电子凭证已激活", "Your e-voucher is active").localized())
                    return HttpResponseRedirect("/voucher")
        except DomainError as error:
            if error.code == OTP_TOO_SOON:
                context["sent"] = True  # the code sent a moment ago is still good
            verifying = request.POST.get("step") != "send" and error.code.startswith("otp_")
            context["errors"] = field_errors(error, ACTIVATION_FIELDS, default="sms_code" if verifying else "form")
    return render(request, "web/activate.html", context)


@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(safe_next(request))

    # Secure wherever the session cookie is (production): a preference never travels in clear text.
    def remember(name: str, value: str) -> None:
        response.set_cookie(
            name, value, max_age=YEAR, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE, httponly=True
        )

    if "elderly" in request.POST:
        remember(ELDERLY_COOKIE, "1" if request.POST["elderly"] == "1" else "0")
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        remember(settings.LANGUAGE_COOKIE_NAME, str(language))
    return response
