"""Relatives' codes pages (亲情账户: I show the e-voucher code of a relative without a phone), under /family/relatives/.

Thin views over ``vouchers.family`` (the same calls as ``vouchers/views.py``: FamilyView, FamilyConsentView,
FamilyRemoveView). Every successful POST redirects (post/redirect/get). The one verb here is 移除 / "remove";
the family sharing page says 解除共济 / "stop sharing".
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import Bilingual, DomainError
from portal.identity import normalize_id_number
from portal.people.models import Person
from portal.people.services import id_number_index
from portal.web.access import resident_required
from portal.web.family.display import holding_row
from portal.web.family.forms import ENTER_SMS_CODE, HoldingForm, field_refusal
from vouchers import family
from vouchers.models import FamilyHolding

RELATIVES = "/family/relatives/"

ADD_FIELDS = {
    "relative_not_found": "name",
    "id_number_invalid": "id_number",
    "holding_self": "id_number",
}
SMS_FIELDS = {"otp_invalid": "sms_code", "otp_expired": "sms_code", "otp_locked": "sms_code"}
REMOVED = Bilingual("已移除", "Removed")
DECLINED = Bilingual("已拒绝这项申请", "You declined the request")
ALREADY_ADDED = Bilingual("您已经添加过这位亲属", "You have already added this relative")


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def _my_holding(me: Person, holding_id: int) -> FamilyHolding | None:
    return (
        family.holdings_of_holder(holder=me).filter(pk=holding_id).first()
        or family.holders_of_relative(relative=me).filter(pk=holding_id).first()
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    messages.error(request, DomainError(family.HOLDING_NOT_FOUND).message())
    return HttpResponseRedirect(RELATIVES)


def _holding_page(request: HttpRequest, holding: FamilyHolding, errors: dict[str, str]) -> HttpResponse:
    return render(request, "web/family/holding.html", {"row": holding_row(holding, _me(request)), "errors": errors})


@resident_required
def relatives_home(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    i_show = [holding_row(h, me) for h in family.holdings_of_holder(holder=me)]
    shown_by = [holding_row(h, me) for h in family.holders_of_relative(relative=me)]
    return render(
        request,
        "web/family/relatives.html",
        {
            "i_show": i_show,
            "shown_by": [r for r in shown_by if not r["pending"]],
            "to_consent": [r for r in shown_by if r["pending"]],
            "max_relatives": family.MAX_RELATIVES,
        },
    )


@resident_required
@require_http_methods(["GET", "POST"])
def holding_add(request: HttpRequest) -> HttpResponse:
    """Ask to show a relative's code: the same call as ``POST /api/v1/vouchers/family``."""
    me = _me(request)
    form = HoldingForm()
    if request.method == "POST":
        form = HoldingForm.read(request.POST)
        if not form.errors:
            try:
                holding = family.holding_request(holder=me, name=form.name, id_number=form.id_number)
            except DomainError as error:
                existing = _my_request_for(me, form.id_number) if error.code == family.HOLDING_EXISTS else None
                if existing is not None:  # a double tap, a second tab, or simply forgotten: show it
                    messages.info(request, ALREADY_ADDED.localized())
                    return HttpResponseRedirect(f"{RELATIVES}{existing.pk}")
                form.errors.update(field_refusal(error, ADD_FIELDS))
            else:
                text = Bilingual("已添加，请亲属同意", "Added: now your relative must agree")
                messages.success(request, text.localized())
                return HttpResponseRedirect(f"{RELATIVES}{holding.pk}")
    return render(
        request,
        "web/family/holding_add.html",
        {"form": form, "errors": form.errors, "max_relatives": family.MAX_RELATIVES},
    )


def _my_request_for(me: Person, id_number: str) -> FamilyHolding | None:
    """My own (not removed) request for this identity number: it reveals nothing I did not type myself."""
    index = id_number_index(normalize_id_number(id_number))
    return family.holdings_of_holder(holder=me).filter(requested_index=index).first()


@resident_required
def holding_detail(request: HttpRequest, holding_id: int) -> HttpResponse:
    holding = _my_holding(_me(request), holding_id)
    if holding is None:
        return _not_found(request)
    return _holding_page(request, holding, {})


@resident_required
@require_POST
def holding_consent(request: HttpRequest, holding_id: int) -> HttpResponse:
    """The holder types in the relative's SMS code, or the relative agrees in the app."""
    me = _me(request)
    by_sms = "sms_code" in request.POST
    code = request.POST.get("sms_code", "").strip()
    if by_sms and not code:  # nothing typed: say so, without spending one of the code's attempts
        current = _my_holding(me, holding_id)
        if current is not None:
            return _holding_page(request, current, {"sms_code": ENTER_SMS_CODE.localized()})
    try:
        if by_sms:
            family.holding_consent_by_sms(holding_id=holding_id, holder=me, sms_code=code)
        else:
            family.holding_consent_in_app(holding_id=holding_id, relative=me)
    except DomainError as error:
        current = _my_holding(me, holding_id)
        if current is not None and current.status == FamilyHolding.Status.ACTIVE:
            return HttpResponseRedirect(RELATIVES)  # agreed already (a second tap)
        if by_sms and current is not None:
            return _holding_page(request, current, field_refusal(error, SMS_FIELDS))
        messages.error(request, error.message())
        return HttpResponseRedirect(RELATIVES)
    text = Bilingual("已同意，现在可以出示医保码了", "Agreed: the code can now be shown")
    messages.success(request, text.localized())
    return HttpResponseRedirect(RELATIVES)


@resident_required
@require_http_methods(["GET", "POST"])
def holding_remove(request: HttpRequest, holding_id: int) -> HttpResponse:
    """Ask first (GET), then remove (POST): the same call as ``DELETE /api/v1/vouchers/family/<id>``."""
    me = _me(request)
    holding = _my_holding(me, holding_id)
    if holding is None:
        if request.method == "POST":  # removed already (a second tap, another tab): nothing left to do
            return HttpResponseRedirect(RELATIVES)
        return _not_found(request)
    declining = holding.status == FamilyHolding.Status.PENDING and holding.relative_id == me.pk
    if request.method == "POST":
        try:
            family.holding_remove(holding_id=holding_id, by=me)
        except DomainError as error:
            messages.error(request, error.message())
        else:
            text = DECLINED if declining else REMOVED
            messages.success(request, text.localized())
        return HttpResponseRedirect(RELATIVES)
    row = holding_row(holding, me)
    return render(request, "web/family/holding_remove.html", {"row": row, "declining": declining})
