"""Residents' web pages: sign-in with an SMS code, home, the e-voucher code, preferences."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST
from rest_framework.settings import api_settings

from portal import ratelimit
from portal.clientip import client_ip
from portal.errors import RATE_LIMITED, Bilingual, DomainError, wait_words
from portal.ledger.selectors import account_entries, personal_account
from portal.money import fen_to_yuan
from portal.parsing import row_id
from portal.people.models import Person
from portal.people.services import person_user
from portal.signin.challenge import CHALLENGE_INVALID, CHALLENGE_REQUIRED
from portal.signin.models import OtpChallenge
from portal.signin.services import OTP_TOO_SOON, otp_request, otp_verify
from portal.web.access import field_errors, resident_required, safe_next
from portal.web.context import ELDERLY_COOKIE
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


def signin(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"next": safe_next(request), "phone": "", "errors": {}, "step": "phone"}
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        context["phone"] = phone
        try:
            if request.POST.get("step") == "code":
                context["step"] = "code"
                _limit_by_address(request, "otp_verify")
                person = otp_verify(phone=phone, code=request.POST.get("code", "").strip())
                login(request, person_user(person=person), backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(context["next"])
            _limit_by_address(request, "otp_request")
            otp_request(phone=phone, client_ip=client_ip(request), challenge=request.POST.get("challenge") or None)
            context["step"] = "code"
        except DomainError as error:
            if error.code in (CHALLENGE_REQUIRED, CHALLENGE_INVALID):
                # The page's script solves it (about a second) and sends the form again by itself.
                context["challenge"] = json.dumps(error.details["challenge"])
            context["errors"] = field_errors(error, {}, default="code" if context["step"] == "code" else "phone")
    return render(request, "web/signin.html", context)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect("/signin")


@resident_required
def home(request: HttpRequest) -> HttpResponse:
    me: Person = request.person  # type: ignore[attr-defined]
    account = personal_account(person=me)
    recent = list(account_entries(account_id=account.pk, limit=5)) if account else []
    voucher = Voucher.objects.filter(person=me).order_by("-pk").first()
    return render(
        request,
        "web/home.html",
        {
            "me": me,
            "balance": fen_to_yuan(account.balance) if account else None,
            "recent": [(entry, fen_to_yuan(entry.amount)) for entry in recent],
            "voucher": voucher,
        },
    )


@resident_required
def voucher(request: HttpRequest) -> HttpResponse:
    me: Person = request.person  # type: ignore[attr-defined]
    active = Voucher.objects.filter(person=me, status=Voucher.Status.ACTIVE).exists()
    holdings = holdings_of_holder(holder=me).filter(status=FamilyHolding.Status.ACTIVE)
    shown = request.GET.get("person", "")
    return render(
        request,
        "web/voucher.html",
        {"me": me, "active": active, "holdings": holdings, "shown": shown if row_id(shown) else ""},
    )


ACTIVATION_FIELDS = {IDENTITY_MISMATCH: "id_number"}


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
                    context["errors"] = {
                        key: Bilingual("请填写此项", "Please fill this in").localized() for key in missing
                    }
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
