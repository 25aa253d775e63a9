"""Family display pages (亲情账户): add a relative whose code I show, their consent, removing a holding.

Thin views over ``vouchers.family`` (the same calls as ``vouchers/views.py``: FamilyView, FamilyConsentView,
FamilyRemoveView).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import Bilingual, DomainError
from portal.people.models import Person
from portal.web.access import field_errors, resident_required
from portal.web.family.display import holding_row
from vouchers import family
from vouchers.models import FamilyHolding

HOME = "/family/"

ADD_FIELDS = {
    "relative_not_found": "name",
    "id_number_invalid": "id_number",
    "holding_self": "id_number",
    "holding_exists": "id_number",
}
SMS_FIELDS = {"otp_invalid": "sms_code", "otp_expired": "sms_code", "otp_locked": "sms_code"}


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def _my_holding(me: Person, holding_id: int) -> FamilyHolding | None:
    return (
        family.holdings_of_holder(holder=me).filter(pk=holding_id).first()
        or family.holders_of_relative(relative=me).filter(pk=holding_id).first()
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    messages.error(request, DomainError(family.HOLDING_NOT_FOUND).message())
    return HttpResponseRedirect(HOME)


def _holding_page(request: HttpRequest, holding: FamilyHolding, errors: dict[str, str]) -> HttpResponse:
    return render(request, "web/family/holding.html", {"row": holding_row(holding, _me(request)), "errors": errors})


@resident_required
@require_http_methods(["GET", "POST"])
def holding_add(request: HttpRequest) -> HttpResponse:
    """Ask to show a relative's code: the same call as ``POST /api/v1/vouchers/family``."""
    errors: dict[str, str] = {}
    form = {key: request.POST.get(key, "").strip() for key in ("name", "id_number")}
    if request.method == "POST":
        try:
            holding = family.holding_request(holder=_me(request), name=form["name"], id_number=form["id_number"])
        except DomainError as error:
            errors = field_errors(error, ADD_FIELDS, default="form")
        else:
            text = Bilingual("已添加，请亲属确认", "Added; now your relative must consent")
            messages.success(request, text.localized())
            return HttpResponseRedirect(f"{HOME}holdings/{holding.pk}")
    return render(
        request, "web/family/holding_add.html", {"form": form, "errors": errors, "max_relatives": family.MAX_RELATIVES}
    )


@resident_required
def holding_detail(request: HttpRequest, holding_id: int) -> HttpResponse:
    holding = _my_holding(_me(request), holding_id)
    if holding is None:
        return _not_found(request)
    return _holding_page(request, holding, {})


@resident_required
@require_POST
def holding_consent(request: HttpRequest, holding_id: int) -> HttpResponse:
    """The holder types in the relative's SMS code, or the relative confirms in the app."""
    me = _me(request)
    by_sms = "sms_code" in request.POST
    try:
        if by_sms:
            family.holding_consent_by_sms(holding_id=holding_id, holder=me, sms_code=request.POST["sms_code"].strip())
        else:
            family.holding_consent_in_app(holding_id=holding_id, relative=me)
    except DomainError as error:
        current = _my_holding(me, holding_id)
        if by_sms and current is not None:
            return _holding_page(request, current, field_errors(error, SMS_FIELDS, default="form"))
        messages.error(request, error.message())
        return HttpResponseRedirect(HOME)
    messages.success(request, Bilingual("已确认，可以出示医保码了", "Consent given; the code can be shown").localized())
    return HttpResponseRedirect(HOME)


@resident_required
@require_http_methods(["GET", "POST"])
def holding_remove(request: HttpRequest, holding_id: int) -> HttpResponse:
    """Ask first (GET), then end the holding (POST): the same call as ``DELETE /api/v1/vouchers/family/<id>``."""
    me = _me(request)
    holding = _my_holding(me, holding_id)
    if holding is None:
        return _not_found(request)
    if request.method == "POST":
        try:
            family.holding_remove(holding_id=holding_id, by=me)
        except DomainError as error:
            messages.error(request, error.message())
        else:
            messages.success(request, Bilingual("已解除", "Removed").localized())
        return HttpResponseRedirect(HOME)
    return render(request, "web/family/holding_remove.html", {"row": holding_row(holding, me)})
