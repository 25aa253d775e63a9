"""Binding relatives to an initiator's personal account: request, consent, review, unbind, expiry."""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.errors import DomainError, define
from portal.family.models import FamilyBinding, FamilyBindingEvent, FamilyPolicy
from portal.family.proofs import check_proof
from portal.identity import parse_id_number
from portal.ledger.selectors import personal_account
from portal.people.models import Person
from portal.people.selectors import person_by_id_number
from portal.signin.models import OtpChallenge
from portal.signin.services import otp_request, otp_verify
from portal.transitions import transition

logger = logging.getLogger(__name__)

NO_POLICY = define("family_no_policy", 409, "本统筹区未开通家庭共济", "Family sharing is not available in this region")
INITIATOR_NOT_ALLOWED = define(
    "initiator_no_personal_account",
    409,
    "仅有个人账户的职工参保人可以发起家庭共济绑定",
    "Only employee-insured persons with a personal account can bind relatives",
)
BOUND_NOT_FOUND = define(
    "bound_person_not_found",
    404,
    "未找到姓名与身份证号一致的参保人",
    "No insured person has this name and identity number",
)
BOUND_NOT_INSURED = define("bound_not_insured", 409, "被绑定人未参保或参保状态异常", "The relative is not insured")
OTHER_REGION = define(
    "bound_other_region",
    409,
    "被绑定人须与您在同一统筹区参保",
    "The relative must be insured in the same region as you",
)
RELATION_NOT_ALLOWED = define(
    "relation_not_allowed",
    409,
    "本统筹区不允许绑定该亲属关系（{relation}）",
    "This region does not allow binding a {relation}",
)
LIMIT_REACHED = define("binding_limit", 409, "最多可绑定 {max} 名亲属", "You can bind at most {max} relatives")
ALREADY_BOUND = define(
    "already_bound", 409, "已与该亲属绑定或正在办理", "This relative is already bound or being bound"
)
BIND_SELF = define("binding_self", 400, "不能绑定自己", "You cannot bind yourself")
CONSENT_EXPIRED = define(
    "consent_expired",
    409,
    "被绑定人未在规定时间内确认，请重新发起",
    "The relative did not consent in time; start again",
)
BINDING_NOT_FOUND = define("binding_not_found", 404, "未找到该绑定", "No such binding")
NO_PHONE_FOR_CODE = define(
    "binding_no_phone",
    409,
    "亲属未登记手机号，请亲属登录后在应用内确认",
    "Your relative has no phone registered; they can agree after signing in",
)
BINDING_TRANSITION = define(
    "binding_transition_refused", 409, "绑定状态不能从 {old} 变为 {new}", "The binding cannot go from {old} to {new}"
)

ADULT_AGE = 18


def policy_for(*, person: Person) -> FamilyPolicy:
    policy = FamilyPolicy.objects.filter(region_id=person.region_id).first()
    if policy is None:
        raise DomainError(NO_POLICY)
    return policy


def _age(person: Person, today: dt.date) -> int:
    birth = person.birth_date
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _move(binding: FamilyBinding, new: str, *, by: str, note: str = "", **fields: object) -> FamilyBinding:
    """Compare-and-set along a declared transition, with a history row."""
    now = timezone.now()
    if new == FamilyBinding.Status.ACTIVE:
        fields.setdefault("activated_at", now)
    if new in (FamilyBinding.Status.UNBOUND, FamilyBinding.Status.REFUSED, FamilyBinding.Status.EXPIRED):
        fields.setdefault("ended_at", now)
        fields.setdefault("ended_by", by)
    return transition(
        binding,
        new,
        transitions=FamilyBinding.TRANSITIONS,
        refused=lambda old: DomainError(BINDING_TRANSITION, old=old, new=new),
        history=lambda old, to: FamilyBindingEvent.objects.create(
            binding=binding, from_status=old, to_status=to, by=by, note=note[:200]
        ),
        **fields,
    )


def initiator_policy(*, initiator: Person) -> FamilyPolicy:
    """The region's policy, if ``initiator`` may bind relatives at all; otherwise the refusal (no policy here,
    or not an employee-insured person with a personal account). Pages ask it before showing the form."""
    policy = policy_for(person=initiator)
    if initiator.insurance_type not in policy.initiator_types or personal_account(person=initiator) is None:
        raise DomainError(INITIATOR_NOT_ALLOWED)
    return policy


def binding_request(
    *, initiator: Person, name: str, id_number: str, relation: str, proof: UploadedFile | None
) -> FamilyBinding:
    """The initiator names a relative and uploads proof; every rule is checked, each with its own refusal."""
    policy = initiator_policy(initiator=initiator)
    bound = person_by_id_number(id_number=parse_id_number(id_number).number)
    if bound is None or bound.name != name.strip():
        raise DomainError(BOUND_NOT_FOUND)
    if bound.pk == initiator.pk:
        raise DomainError(BIND_SELF)
    if not bound.insured:
        raise DomainError(BOUND_NOT_INSURED)
    if policy.same_region_required and bound.region_id != initiator.region_id:
        raise DomainError(OTHER_REGION)
    if relation not in policy.allowed_relations:
        raise DomainError(RELATION_NOT_ALLOWED, relation=relation)
    content_type, extension = check_proof(proof, max_bytes=policy.proof_max_bytes)
    now = timezone.now()
    # A parent binding a minor child consents as the guardian; everyone else consents themself.
    guardian = relation == "child" and _age(bound, timezone.localdate()) < ADULT_AGE
    with transaction.atomic():
        Person.objects.select_for_update(no_key=True).filter(pk=initiator.pk).first()  # serialise the limit check
        live = FamilyBinding.objects.filter(initiator=initiator, status__in=FamilyBinding.LIVE).count()
        if live >= policy.max_bound:
            raise DomainError(LIMIT_REACHED, max=policy.max_bound)
        try:
            with transaction.atomic():
                binding = FamilyBinding(
                    initiator=initiator,
                    bound=bound,
                    relation=relation,
                    proof_content_type=content_type,
                    consent_expires_at=now + timedelta(hours=policy.consent_hours),
                )
                # Stored under a name the server chooses, with the extension of the type the content has.
                binding.proof.save(f"proof.{extension}", proof, save=False)
                binding.save()
        except IntegrityError:
            raise DomainError(ALREADY_BOUND) from None
        FamilyBindingEvent.objects.create(
            binding=binding, to_status=FamilyBinding.Status.AWAITING_CONSENT, by="initiator", note=relation
        )
    if guardian:
        return _after_consent(binding, method="guardian", by="initiator")
    _send_consent_code(binding)
    return binding


def _send_consent_code(binding: FamilyBinding) -> bool:
    """Text the relative a consent code. The request stands even if the text cannot go now (sent a moment
    ago, provider down): the relative can still agree in the app, and the initiator can ask again."""
    if not binding.bound.phone:
        return False
    try:
        otp_request(phone=binding.bound.phone, purpose=OtpChallenge.Purpose.FAMILY_BINDING)
    except DomainError as error:
        logger.warning("family binding %s: consent code not sent (%s)", binding.pk, error.code)
        return False
    return True


def binding_resend_code(*, binding_id: int, initiator: Person) -> FamilyBinding:
    """Send the relative a new consent code (the first one expired, or could not be sent)."""
    binding = _awaiting(binding_id, initiator=initiator)
    if not binding.bound.phone:
        raise DomainError(NO_PHONE_FOR_CODE)
    otp_request(phone=binding.bound.phone, purpose=OtpChallenge.Purpose.FAMILY_BINDING)
    return binding


def _after_consent(binding: FamilyBinding, *, method: str, by: str) -> FamilyBinding:
    if timezone.now() > binding.consent_expires_at:
        _move(binding, FamilyBinding.Status.EXPIRED, by="system", note="consent came too late")
        raise DomainError(CONSENT_EXPIRED)
    review = FamilyPolicy.objects.filter(region_id=binding.initiator.region_id, requires_staff_review=True).exists()
    new = FamilyBinding.Status.AWAITING_REVIEW if review else FamilyBinding.Status.ACTIVE
    return _move(binding, new, by=by, note=f"consent: {method}", consent_method=method)


def _awaiting(binding_id: int, **owner: Person) -> FamilyBinding:
    binding = (
        FamilyBinding.objects.select_related("initiator", "bound")
        .filter(pk=binding_id, status=FamilyBinding.Status.AWAITING_CONSENT, **owner)
        .first()
    )
    if binding is None:
        raise DomainError(BINDING_NOT_FOUND)
    return binding


def binding_consent_in_app(*, binding_id: int, bound: Person) -> FamilyBinding:
    return _after_consent(_awaiting(binding_id, bound=bound), method="app", by="bound")


def binding_consent_by_sms(*, binding_id: int, initiator: Person, sms_code: str) -> FamilyBinding:
    """The initiator types in the code the relative received on their phone."""
    binding = _awaiting(binding_id, initiator=initiator)
    if timezone.now() > binding.consent_expires_at:
        _move(binding, FamilyBinding.Status.EXPIRED, by="system", note="consent came too late")
        raise DomainError(CONSENT_EXPIRED)
    otp_verify(phone=binding.bound.phone, code=sms_code, purpose=OtpChallenge.Purpose.FAMILY_BINDING)
    return _after_consent(binding, method="sms", by="bound")


def binding_review(*, binding_id: int, approve: bool, note: str = "") -> FamilyBinding:
    binding = FamilyBinding.objects.select_related("initiator").get(pk=binding_id)
    new = FamilyBinding.Status.ACTIVE if approve else FamilyBinding.Status.REFUSED
    return _move(binding, new, by="staff", note=note)


def binding_unbind(*, binding_id: int, by: Person) -> FamilyBinding:
    """Either side ends a binding at once for new payments; past payments are untouched."""
    binding = FamilyBinding.objects.filter(pk=binding_id, status__in=FamilyBinding.LIVE).first()
    if binding is None or by.pk not in (binding.initiator_id, binding.bound_id):
        raise DomainError(BINDING_NOT_FOUND)
    side = "initiator" if by.pk == binding.initiator_id else "bound"
    return _move(binding, FamilyBinding.Status.UNBOUND, by=side)


def bindings_expire_overdue() -> int:
    """Scheduled: bindings whose relative did not consent in time expire."""
    expired = 0
    overdue = FamilyBinding.objects.filter(
        status=FamilyBinding.Status.AWAITING_CONSENT, consent_expires_at__lt=timezone.now()
    )
    for binding in overdue:
        try:
            _move(binding, FamilyBinding.Status.EXPIRED, by="system", note="no consent in time")
            expired += 1
        except DomainError:
            continue  # consented or unbound meanwhile
    return expired
