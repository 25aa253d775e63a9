"""Family sharing pages (家庭共济: relatives pay medical bills from my personal account), and the /family/ chooser.

Thin views over ``portal.family.services`` / ``selectors`` (the same calls as the JSON API in
``portal/family/views.py``); the relatives' codes pages (亲情账户) are in ``holdings.py``. Every successful POST
redirects (post/redirect/get); a form sent twice (double tap, two tabs, reload) finds the binding it made.
The one verb here is 解除共济 / "stop sharing"; the codes page says 移除 / "remove".
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import Bilingual, DomainError, localized_label
from portal.family import selectors, services
from portal.family.models import FamilyBinding, FamilyPolicy, Relation
from portal.family.proofs import PROOF_MISSING, check_proof
from portal.money import fen_to_yuan
from portal.people.models import Person
from portal.people.selectors import person_by_id_number
from portal.web.access import resident_required
from portal.web.family import kept_proof
from portal.web.family.forms import ENTER_SMS_CODE, BindForm, field_refusal
from vouchers import family as holdings
from vouchers.models import FamilyHolding

HOME = "/family/"
SHARING = "/family/sharing/"

# Which form field each refusal of ``binding_request`` belongs to; the others go on top of the form.
BIND_FIELDS = {
    "bound_person_not_found": "name",
    "id_number_invalid": "id_number",
    "binding_self": "id_number",
    "bound_not_insured": "id_number",
    "bound_other_region": "id_number",
    "relation_not_allowed": "relation",
    "proof_invalid": "proof",
    "proof_missing": "proof",
    "proof_unsafe": "proof",
}
SMS_FIELDS = {"otp_invalid": "sms_code", "otp_expired": "sms_code", "otp_locked": "sms_code"}

# Statuses in the words of these pages (the model's labels say 被绑定人 and 解绑).
STATUS_WORDS = {
    FamilyBinding.Status.AWAITING_CONSENT: Bilingual("等待同意", "Waiting for agreement"),
    FamilyBinding.Status.AWAITING_REVIEW: Bilingual("等待审核", "Being checked by the insurance office"),
    FamilyBinding.Status.ACTIVE: Bilingual("已生效", "Active"),
    FamilyBinding.Status.REFUSED: Bilingual("审核未通过", "Not approved"),
    FamilyBinding.Status.EXPIRED: Bilingual("已过期（没有及时同意）", "Expired (not agreed in time)"),
    FamilyBinding.Status.UNBOUND: Bilingual("已解除共济", "Stopped"),
}
AGREED = Bilingual("已同意，共济已生效", "Agreed: sharing has started")
AGREED_REVIEW = Bilingual("已同意，等待医保经办机构审核", "Agreed: the insurance office will now check it")
STOPPED = Bilingual("已解除共济", "Sharing has stopped")
DECLINED = Bilingual("已拒绝这项申请", "You declined the request")
ALREADY_SENT = Bilingual(
    "您已经申请过和这位亲属共济，不用再提交",
    "You have already asked to share with this relative; no need to send it again",
)


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def binding_row(binding: FamilyBinding, me: Person, spent: dict[int, int] | None = None) -> dict[str, Any]:
    """What a page shows of one binding, seen from ``me``'s side."""
    mine = binding.initiator_id == me.pk
    other = binding.bound if mine else binding.initiator
    status = STATUS_WORDS.get(FamilyBinding.Status(binding.status))
    return {
        "binding": binding,
        "other": other,
        "role": "initiator" if mine else "bound",
        "relation": localized_label(binding.get_relation_display()),
        "status": status.localized() if status else localized_label(binding.get_status_display()),
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
    return HttpResponseRedirect(SHARING)


def _may_bind(me: Person) -> tuple[FamilyPolicy | None, str]:
    """The region's policy if ``me`` may share their account, else the reason in plain words."""
    try:
        return services.initiator_policy(initiator=me), ""
    except DomainError as error:
        if error.code == services.INITIATOR_NOT_ALLOWED:
            return None, Bilingual(
                "只有有个人账户的职工参保人才能让家人用自己的账户。",
                "Only employee-insured people with a personal account can let relatives use it.",
            ).localized()
        return None, error.message()


@resident_required
def family_home(request: HttpRequest) -> HttpResponse:
    """Two things with one name in the apps: pick one. Each says what it is for in one sentence."""
    me = _me(request)
    waiting_sharing = selectors.bindings_as_bound(person=me).filter(status=FamilyBinding.Status.AWAITING_CONSENT)
    waiting_codes = holdings.holders_of_relative(relative=me).filter(status=FamilyHolding.Status.PENDING)
    return render(
        request,
        "web/family/home.html",
        {"waiting_sharing": waiting_sharing.count(), "waiting_codes": waiting_codes.count()},
    )


@resident_required
def sharing_home(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    mine = _initiator_rows(me)
    bound = [binding_row(b, me) for b in selectors.bindings_as_bound(person=me)]
    waiting = FamilyBinding.Status.AWAITING_CONSENT
    policy, cannot_bind = _may_bind(me)
    return render(
        request,
        "web/family/sharing.html",
        {
            "me": me,
            "policy": policy or FamilyPolicy.objects.filter(region_id=me.region_id).first(),
            "cannot_bind": cannot_bind,
            "mine_live": [r for r in mine if r["live"]],
            "mine_ended": [r for r in mine if not r["live"]],
            "bound_live": [r for r in bound if r["live"] and r["binding"].status != waiting],
            "bound_ended": [r for r in bound if not r["live"]],
            "to_consent": [r for r in bound if r["binding"].status == waiting],
        },
    )


@resident_required
@require_http_methods(["GET", "POST"])
def bind(request: HttpRequest) -> HttpResponse:
    """The initiator names a relative and uploads proof: the same call as ``POST /api/v1/family/bindings``.

    Every missing or mistyped field is reported at once; a proof that passed its check is kept (server-side,
    behind a token in the form) so an error elsewhere never asks for the file again."""
    me = _me(request)
    policy, cannot_bind = _may_bind(me)
    if policy is None:
        return render(request, "web/family/bind.html", {"cannot_bind": cannot_bind})
    allowed = [code for code in Relation.values if code in policy.allowed_relations]
    relations = [(code, localized_label(Relation(code).label)) for code in allowed]
    if request.method != "POST":
        return _bind_page(request, BindForm(), None, relations, policy)

    form_token = request.POST.get("form_token", "")
    done = kept_proof.done_binding(request, form_token)
    if done is not None and _my_binding(me, done) is not None:  # the same form sent again (back, then send)
        messages.info(request, ALREADY_SENT.localized())
        return HttpResponseRedirect(f"{SHARING}{done}")
    form = BindForm.read(request.POST, allowed=allowed)
    kept = kept_proof.find(request, request.POST.get("proof_token", ""))
    upload = request.FILES.get("proof")
    checked: tuple[str, str] | None = None
    if upload is not None:  # a newly chosen file replaces the kept one
        kept = None
        kept_proof.discard(request)
        try:
            checked = check_proof(upload, max_bytes=policy.proof_max_bytes)
        except DomainError as error:
            form.errors.update(field_refusal(error, BIND_FIELDS))
    elif kept is None:
        form.errors.update(field_refusal(DomainError(PROOF_MISSING), BIND_FIELDS))
    if not form.errors:
        proof = upload if upload is not None else (kept.upload() if kept is not None else None)
        try:
            binding = services.binding_request(
                initiator=me, name=form.name, id_number=form.id_number, relation=form.relation, proof=proof
            )
        except DomainError as error:
            existing = _live_binding_with(me, form.id_number) if error.code == services.ALREADY_BOUND else None
            if existing is not None:  # a double tap or a second tab: the first one made it
                kept_proof.discard(request)
                messages.info(request, ALREADY_SENT.localized())
                return HttpResponseRedirect(f"{SHARING}{existing.pk}")
            form.errors.update(field_refusal(error, BIND_FIELDS))
        else:
            kept_proof.discard(request)
            kept_proof.remember_done(request, form_token, binding.pk)
            return _after_bind(request, binding)
    if "proof" in form.errors:
        kept_proof.discard(request)
        kept = None
    elif upload is not None and checked is not None:
        kept = kept_proof.keep(request, upload, content_type=checked[0], extension=checked[1])
    return _bind_page(request, form, kept, relations, policy)


def _live_binding_with(me: Person, id_number: str) -> FamilyBinding | None:
    bound = person_by_id_number(id_number=id_number)
    if bound is None:
        return None
    live = selectors.bindings_as_initiator(person=me).filter(bound=bound, status__in=FamilyBinding.LIVE)
    return live.first()


def _bind_page(
    request: HttpRequest,
    form: BindForm,
    kept: kept_proof.KeptProof | None,
    relations: list[tuple[str, str]],
    policy: FamilyPolicy,
) -> HttpResponse:
    return render(
        request,
        "web/family/bind.html",
        {
            "form": form,
            "errors": form.errors,
            "kept": kept,
            "relations": relations,
            "max_mb": policy.proof_max_bytes // (1024 * 1024),
            "form_token": request.POST.get("form_token", "")[:64] or secrets.token_urlsafe(16),
        },
    )


def _after_bind(request: HttpRequest, binding: FamilyBinding) -> HttpResponse:
    name = binding.bound.name
    if binding.status == FamilyBinding.Status.ACTIVE:  # a minor child: the parent consented as guardian
        text = Bilingual(
            f"已生效：{name}现在可以用您的个人账户付医药费",
            f"Done: {name} can now pay medical bills from your personal account",
        )
        messages.success(request, text.localized())
        return HttpResponseRedirect(SHARING)
    if binding.status == FamilyBinding.Status.AWAITING_REVIEW:
        text = Bilingual("已提交，等待医保经办机构审核", "Sent: the insurance office will now check it")
        messages.success(request, text.localized())
        return HttpResponseRedirect(SHARING)
    messages.success(request, Bilingual("已提交，请亲属同意", "Sent: now your relative must agree").localized())
    return HttpResponseRedirect(f"{SHARING}{binding.pk}")


def _binding_page(request: HttpRequest, binding: FamilyBinding, errors: dict[str, str]) -> HttpResponse:
    me = _me(request)
    spent = selectors.spent_from_my_account(initiator=me) if binding.initiator_id == me.pk else None
    row = binding_row(binding, me, spent)
    return render(request, "web/family/binding.html", {"row": row, "errors": errors})


@resident_required
def binding_detail(request: HttpRequest, binding_id: int) -> HttpResponse:
    """One binding and its next step: the SMS code for the initiator, or the agree button for the relative."""
    binding = _my_binding(_me(request), binding_id)
    if binding is None:
        return _not_found(request)
    return _binding_page(request, binding, {})


@resident_required
@require_POST
def binding_consent(request: HttpRequest, binding_id: int) -> HttpResponse:
    """The initiator types in the relative's SMS code, or the relative agrees in the app (as the API)."""
    me = _me(request)
    by_sms = "sms_code" in request.POST
    code = request.POST.get("sms_code", "").strip()
    if by_sms and not code:  # nothing typed: say so, without spending one of the code's attempts
        current = _my_binding(me, binding_id)
        if current is not None:
            return _binding_page(request, current, {"sms_code": ENTER_SMS_CODE.localized()})
    try:
        if by_sms:
            binding = services.binding_consent_by_sms(binding_id=binding_id, initiator=me, sms_code=code)
        else:
            binding = services.binding_consent_in_app(binding_id=binding_id, bound=me)
    except DomainError as error:
        current = _my_binding(me, binding_id)
        if current is not None and current.status != FamilyBinding.Status.AWAITING_CONSENT:
            return HttpResponseRedirect(f"{SHARING}{binding_id}")  # agreed already (a second tap): show it
        if by_sms and current is not None:
            return _binding_page(request, current, field_refusal(error, SMS_FIELDS))
        messages.error(request, error.message())
        return HttpResponseRedirect(SHARING)
    text = AGREED_REVIEW if binding.status == FamilyBinding.Status.AWAITING_REVIEW else AGREED
    messages.success(request, text.localized())
    return HttpResponseRedirect(SHARING)


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
            return _binding_page(request, current, field_refusal(error, {}))
        messages.error(request, error.message())
        return HttpResponseRedirect(SHARING)
    messages.success(request, Bilingual("验证码已重新发送", "A new code was sent").localized())
    return HttpResponseRedirect(f"{SHARING}{binding_id}")


@resident_required
@require_http_methods(["GET", "POST"])
def binding_end(request: HttpRequest, binding_id: int) -> HttpResponse:
    """Ask first (GET), then stop sharing (POST): the same call as ``DELETE /api/v1/family/bindings/<id>``.

    The relative who has not agreed yet declines here too."""
    me = _me(request)
    binding = _my_binding(me, binding_id)
    if binding is None:
        return _not_found(request)
    if binding.status not in FamilyBinding.LIVE:  # ended already (a second tap, another tab): nothing to do
        if request.method == "POST":
            return HttpResponseRedirect(SHARING)
        return _not_found(request)
    declining = binding.status == FamilyBinding.Status.AWAITING_CONSENT and binding.bound_id == me.pk
    if request.method == "POST":
        try:
            services.binding_unbind(binding_id=binding_id, by=me)
        except DomainError as error:
            messages.error(request, error.message())
        else:
            text = DECLINED if declining else STOPPED
            messages.success(request, text.localized())
        return HttpResponseRedirect(SHARING)
    return render(request, "web/family/unbind.html", {"row": binding_row(binding, me), "declining": declining})
