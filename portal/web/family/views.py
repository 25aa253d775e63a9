"""Family sharing pages (家庭共济): my bindings on both sides, binding a relative, consent, unbinding.

Thin views over ``portal.family.services`` / ``selectors`` (the same calls as the JSON API in
``portal/family/views.py``); the e-voucher family display (亲情账户) pages are in ``holdings.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import Bilingual, DomainError, localized_label
from portal.family import selectors, services
from portal.family.models import FamilyBinding, FamilyPolicy, Relation
from portal.money import fen_to_yuan
from portal.people.models import Person
from portal.web.access import field_errors, resident_required
from portal.web.family.display import holding_row
from vouchers import family as holdings

HOME = "/family/"

# Which form field each refusal of ``binding_request`` belongs to; the others go on top of the form.
BIND_FIELDS = {
    "bound_person_not_found": "name",
    "id_number_invalid": "id_number",
    "binding_self": "id_number",
    "bound_not_insured": "id_number",
    "bound_other_region": "id_number",
    "already_bound": "id_number",
    "relation_not_allowed": "relation",
    "proof_invalid": "proof",
    "proof_missing": "proof",
}
SMS_FIELDS = {"otp_invalid": "sms_code", "otp_expired": "sms_code", "otp_locked": "sms_code"}


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def binding_row(binding: FamilyBinding, me: Person, spent: dict[int, int] | None = None) -> dict[str, Any]:
    """What a page shows of one binding, seen from ``me``'s side."""
    mine = binding.initiator_id == me.pk
    other = binding.bound if mine else binding.initiator
    return {
        "binding": binding,
        "other": other,
        "role": "initiator" if mine else "bound",
        "relation": localized_label(binding.get_relation_display()),
        "status": localized_label(binding.get_status_display()),
        "live": binding.status in FamilyBinding.LIVE,
        "spent": None if spent is None else fen_to_yuan(spent.get(other.pk, 0)),
    }


def _initiator_rows(me: Person) -> list[dict[str, Any]]:
    """My bindings as initiator, newest first; each relative's spending from my account on their latest one."""
    spent = selectors.spent_from_my_account(initiator=me)
    rows, seen = [], set()
    for binding in selectors.bindings_as_initiator(person=me):
        rows.append(binding_row(binding, me, None if binding.bound_id in seen else spent))
        seen.add(binding.bound_id)
    return rows


def _my_binding(me: Person, binding_id: int) -> FamilyBinding | None:
    return (
        selectors.bindings_as_initiator(person=me).filter(pk=binding_id).first()
        or selectors.bindings_as_bound(person=me).filter(pk=binding_id).first()
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    messages.error(request, DomainError(services.BINDING_NOT_FOUND).message())
    return HttpResponseRedirect(HOME)


@resident_required
def family_home(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    mine = _initiator_rows(me)
    bound = [binding_row(b, me) for b in selectors.bindings_as_bound(person=me)]
    i_show = [holding_row(h, me) for h in holdings.holdings_of_holder(holder=me)]
    shown_by = [holding_row(h, me) for h in holdings.holders_of_relative(relative=me)]
    waiting = FamilyBinding.Status.AWAITING_CONSENT
    return render(
        request,
        "web/family/home.html",
        {
            "me": me,
            "policy": FamilyPolicy.objects.filter(region_id=me.region_id).first(),
            "mine_live": [r for r in mine if r["live"]],
            "mine_ended": [r for r in mine if not r["live"]],
            "bound_live": [r for r in bound if r["live"] and r["binding"].status != waiting],
            "bound_ended": [r for r in bound if not r["live"]],
            "to_consent": [r for r in bound if r["binding"].status == waiting],
            "i_show": i_show,
            "shown_by": [r for r in shown_by if not r["pending"]],
            "holdings_to_consent": [r for r in shown_by if r["pending"]],
            "max_relatives": holdings.MAX_RELATIVES,
        },
    )


@resident_required
@require_http_methods(["GET", "POST"])
def bind(request: HttpRequest) -> HttpResponse:
    """The initiator names a relative and uploads proof: the same call as ``POST /api/v1/family/bindings``."""
    me = _me(request)
    errors: dict[str, str] = {}
    try:
        allowed = services.policy_for(person=me).allowed_relations
    except DomainError as error:
        allowed, errors = list(Relation.values), field_errors(error, {}, default="form")
    form = {key: request.POST.get(key, "").strip() for key in ("relation", "name", "id_number")}
    if request.method == "POST":
        try:
            binding = services.binding_request(
                initiator=me,
                name=form["name"],
                id_number=form["id_number"],
                relation=form["relation"],
                proof=request.FILES.get("proof"),
            )
        except DomainError as error:
            errors = field_errors(error, BIND_FIELDS, default="form")
        else:
            return _after_bind(request, binding)
    relations = [(code, localized_label(Relation(code).label)) for code in Relation.values if code in allowed]
    return render(request, "web/family/bind.html", {"form": form, "errors": errors, "relations": relations})


def _after_bind(request: HttpRequest, binding: FamilyBinding) -> HttpResponse:
    if binding.status == FamilyBinding.Status.ACTIVE:  # a minor child: the parent consented as guardian
        messages.success(request, Bilingual("绑定已生效", "The binding is active").localized())
        return HttpResponseRedirect(HOME)
    if binding.status == FamilyBinding.Status.AWAITING_REVIEW:
        messages.success(request, Bilingual("已提交，等待经办审核", "Sent; waiting for staff review").localized())
        return HttpResponseRedirect(HOME)
    messages.success(
        request, Bilingual("绑定申请已提交，请亲属确认", "Request sent; now your relative must consent").localized()
    )
    return HttpResponseRedirect(f"{HOME}bindings/{binding.pk}")


def _binding_page(request: HttpRequest, binding: FamilyBinding, errors: dict[str, str]) -> HttpResponse:
    me = _me(request)
    spent = selectors.spent_from_my_account(initiator=me) if binding.initiator_id == me.pk else None
    row = binding_row(binding, me, spent)
    return render(request, "web/family/binding.html", {"row": row, "errors": errors})


@resident_required
def binding_detail(request: HttpRequest, binding_id: int) -> HttpResponse:
    """One binding and its next step: the SMS code for the initiator, or the consent button for the relative."""
    binding = _my_binding(_me(request), binding_id)
    if binding is None:
        return _not_found(request)
    return _binding_page(request, binding, {})


@resident_required
@require_POST
def binding_consent(request: HttpRequest, binding_id: int) -> HttpResponse:
    """The initiator types in the relative's SMS code, or the relative confirms in the app (as the API)."""
    me = _me(request)
    by_sms = "sms_code" in request.POST
    try:
        if by_sms:
            binding = services.binding_consent_by_sms(
                binding_id=binding_id, initiator=me, sms_code=request.POST["sms_code"].strip()
            )
        else:
            binding = services.binding_consent_in_app(binding_id=binding_id, bound=me)
    except DomainError as error:
        current = _my_binding(me, binding_id)
        if by_sms and current is not None:
            return _binding_page(request, current, field_errors(error, SMS_FIELDS, default="form"))
        messages.error(request, error.message())
        return HttpResponseRedirect(HOME)
    if binding.status == FamilyBinding.Status.AWAITING_REVIEW:
        text = Bilingual("已确认，等待经办审核", "Consent given; waiting for staff review")
    else:
        text = Bilingual("已确认，绑定已生效", "Consent given; the binding is active")
    messages.success(request, text.localized())
    return HttpResponseRedirect(HOME)


@resident_required
@require_POST
def binding_resend(request: HttpRequest, binding_id: int) -> HttpResponse:
    """Send the relative a new consent code."""
    me = _me(request)
    try:
        services.binding_resend_code(binding_id=binding_id, initiator=me)
    except DomainError as error:
        current = _my_binding(me, binding_id)
        if current is not None:
            return _binding_page(request, current, field_errors(error, {}, default="form"))
        messages.error(request, error.message())
        return HttpResponseRedirect(HOME)
    messages.success(request, Bilingual("验证码已重新发送", "A new code was sent").localized())
    return HttpResponseRedirect(f"/family/bindings/{binding_id}")


@resident_required
@require_http_methods(["GET", "POST"])
def binding_unbind(request: HttpRequest, binding_id: int) -> HttpResponse:
    """Ask first (GET), then end the binding (POST): the same call as ``DELETE /api/v1/family/bindings/<id>``."""
    me = _me(request)
    binding = _my_binding(me, binding_id)
    if binding is None or binding.status not in FamilyBinding.LIVE:
        return _not_found(request)
    if request.method == "POST":
        try:
            services.binding_unbind(binding_id=binding_id, by=me)
        except DomainError as error:
            messages.error(request, error.message())
        else:
            messages.success(request, Bilingual("已解除绑定", "The binding has ended").localized())
        return HttpResponseRedirect(HOME)
    return render(request, "web/family/unbind.html", {"row": binding_row(binding, me)})
