"""Activation and the voucher's status: activate, suspend, reinstate, revoke (with history)."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.errors import DomainError, define
from portal.identity import normalize_id_number
from portal.people.models import Person, User
from portal.people.services import id_number_index
from portal.signin.models import OtpChallenge
from portal.signin.services import otp_verify
from portal.transitions import transition
from vouchers.models import Voucher, VoucherEvent

IDENTITY_MISMATCH = define(
    "identity_mismatch",
    400,
    "姓名或身份证号与参保登记信息不一致",
    "The name or identity number does not match your record",
)
ALREADY_ACTIVE = define("voucher_already_active", 409, "您的医保电子凭证已激活", "Your e-voucher is already active")
VOUCHER_SUSPENDED = define(
    "voucher_suspended",
    409,
    "医保电子凭证已被暂停，请联系医保经办机构",
    "The e-voucher is suspended; contact the bureau",
)
REACTIVATION_BLOCKED = define(
    "reactivation_blocked",
    409,
    "该凭证因 {reason} 被注销，需到医保经办机构办理",
    "The e-voucher was revoked ({reason}); it can be reissued only at the bureau",
)
NOT_INSURED = define(
    "not_insured", 409, "参保状态异常，无法激活", "Your insurance is not active, so the e-voucher cannot be activated"
)
NO_PHONE = define("no_phone", 409, "未登记手机号，无法接收验证码", "No phone number is registered to receive the code")
TRANSITION_REFUSED = define(
    "status_transition_refused", 409, "凭证状态不能从 {old} 变为 {new}", "The voucher cannot go from {old} to {new}"
)
NO_VOUCHER = define("no_voucher", 404, "尚未激活医保电子凭证", "The e-voucher has not been activated")

# Revocation reasons after which the resident may activate again by themself.
SELF_REACTIVATION_ALLOWED = {"lost_phone", "person_request", "reissued"}
REVOCATION_REASONS = {
    "lost_phone": "手机丢失 / phone lost",
    "person_request": "本人申请 / at the person's request",
    "reissued": "重新签发 / reissued",
    "misuse": "违规使用 / misuse",
    "fraud": "欺诈骗保 / fraud",
    "death": "死亡 / death",
    "left_insurance": "终止参保 / left the insurance",
}


def new_ref() -> str:
    return secrets.token_hex(8)


def live_voucher(*, person: Person) -> Voucher | None:
    return Voucher.objects.filter(person=person).exclude(status=Voucher.Status.REVOKED).first()


def voucher_activate(*, person: Person, name: str, id_number: str, sms_code: str, channel: str) -> Voucher:
    """The resident confirms who they are (name + identity number + SMS code) and activates."""
    if not person.insured:
        raise DomainError(NOT_INSURED)
    if name.strip() != person.name or id_number_index(normalize_id_number(id_number)) != person.id_number_index:
        raise DomainError(IDENTITY_MISMATCH)
    if not person.phone:
        raise DomainError(NO_PHONE)
    otp_verify(phone=person.phone, code=sms_code, purpose=OtpChallenge.Purpose.ACTIVATION)
    return voucher_issue(person=person, channel=channel)


def voucher_issue(*, person: Person, channel: str, actor: User | None = None) -> Voucher:
    """Create the person's live voucher, following the re-activation rules."""
    current = live_voucher(person=person)
    if current is not None:
        raise DomainError(ALREADY_ACTIVE if current.status == Voucher.Status.ACTIVE else VOUCHER_SUSPENDED)
    last = Voucher.objects.filter(person=person, status=Voucher.Status.REVOKED).order_by("-id").first()
    if last is not None and last.status_reason not in SELF_REACTIVATION_ALLOWED and actor is None:
        raise DomainError(REACTIVATION_BLOCKED, reason=REVOCATION_REASONS.get(last.status_reason, last.status_reason))
    try:
        with transaction.atomic():
            voucher = Voucher.objects.create(person=person, ref=new_ref(), channel=channel)
            VoucherEvent.objects.create(
                voucher=voucher, to_status=Voucher.Status.ACTIVE, reason="activation", note=channel, actor_user=actor
            )
    except IntegrityError:
        raise DomainError(ALREADY_ACTIVE) from None  # a concurrent activation won
    return voucher


def voucher_change_status(
    *, voucher_id: int, new_status: str, reason: str, actor: User | None, note: str = ""
) -> Voucher:
    """Move along a declared transition (compare-and-set) and record it."""
    voucher = Voucher.objects.get(pk=voucher_id)
    return transition(
        voucher,
        new_status,
        transitions=Voucher.TRANSITIONS,
        refused=lambda old: DomainError(TRANSITION_REFUSED, old=old, new=new_status),
        history=lambda old, to: VoucherEvent.objects.create(
            voucher=voucher, from_status=old, to_status=to, reason=reason, note=note[:200], actor_user=actor
        ),
        status_reason=reason,
        status_changed_at=timezone.now(),
    )
