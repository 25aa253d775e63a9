"""Residents' web pages: sign-in with an SMS code, home, the e-voucher code, preferences."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.errors import DomainError
from portal.ledger.selectors import account_entries, personal_account
from portal.money import fen_to_yuan
from portal.people.models import Person
from portal.people.selectors import person_for_user
from portal.people.services import person_user
from portal.signin.services import otp_request, otp_verify
from portal.web.context import ELDERLY_COOKIE
from vouchers.family import holdings_of_holder
from vouchers.models import FamilyHolding, Voucher

YEAR = 365 * 24 * 3600


def resident_required(view: Any) -> Any:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = person_for_user(user=request.user)
        if person is None:
            return HttpResponseRedirect(f"/signin?next={request.path}")
        request.person = person  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


def signin(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"next": _next(request), "phone": "", "errors": {}, "step": "phone"}
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        context["phone"] = phone
        try:
            if request.POST.get("step") == "code":
                context["step"] = "code"
                person = otp_verify(phone=phone, code=request.POST.get("code", "").strip())
                login(request, person_user(person=person), backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(context["next"])
            otp_request(phone=phone, client_ip=request.META.get("REMOTE_ADDR"))
            context["step"] = "code"
        except DomainError as error:
            context["errors"] = {"code" if context["step"] == "code" else "phone": error.message()}
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
        {"me": me, "active": active, "holdings": holdings, "shown": shown if shown.isdigit() else ""},
    )


@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(_next(request))
    if "elderly" in request.POST:
        response.set_cookie(
            ELDERLY_COOKIE, "1" if request.POST["elderly"] == "1" else "0", max_age=YEAR, samesite="Lax"
        )
    language = request.POST.get("language")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=YEAR, samesite="Lax")
    return response
