"""Family (亲情) display: a holder shows up to 5 relatives' codes, with each relative's consent."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.errors import DomainError, define
from portal.identity import parse_id_number
from portal.people.models import Person
from portal.people.selectors import person_by_id_number
from portal.signin.models import OtpChallenge
from portal.signin.services import otp_request, otp_verify
from portal.transitions import transition
from vouchers.models import FamilyHolding, FamilyHoldingEvent, Voucher
from vouchers.services import live_voucher, voucher_issue

MAX_RELATIVES = 5

RELATIVE_NOT_FOUND = define(
    "relative_not_found", 404, "未找到姓名与身份证号一致的参保人", "No insured person has this name and identity number"
)
HOLDING_LIMIT = define(
    "holding_limit", 409, "最多可添加 {max} 位亲属", "You can show the codes of at most {max} relatives"
)
HOLDING_EXISTS = define("holding_exists", 409, "已添加过该亲属", "This relative is already on your list")
HOLDING_SELF = define("holding_self", 400, "不能添加自己", "You cannot add yourself")
HOLDING_NOT_FOUND = define("holding_not_found", 404, "未找到该亲情关系", "No such family holding")
CONSENT_NEEDS_STAFF = define(
    "consent_needs_staff",
    409,
    "该亲属未登记手机号，请携带材料到医保经办机构登记",
    "This relative has no phone; register the holding at the bureau counter",
)


def holdings_of_holder(*, holder: Person) -> QuerySet[FamilyHolding]:
    return (
        FamilyHolding.objects.filter(holder=holder)
        .exclude(status=FamilyHolding.Status.REMOVED)
        .select_related("relative")
    )


def holders_of_relative(*, relative: Person) -> QuerySet[FamilyHolding]:
    return (
        FamilyHolding.objects.filter(relative=relative)
        .exclude(status=FamilyHolding.Status.REMOVED)
        .select_related("holder")
    )


def may_show_code_of(*, viewer: Person, subject: Person) -> FamilyHolding | None:
    """The active holding that lets ``viewer`` show ``subject``'s code, if any."""
    return FamilyHolding.objects.filter(holder=viewer, relative=subject, status=FamilyHolding.Status.ACTIVE).first()


def holding_request(*, holder: Person, name: str, id_number: str) -> FamilyHolding:
    """Ask to show a relative's code. The relative consents by SMS or in the app; staff for those without a phone."""
    facts = parse_id_number(id_number)
    relative = person_by_id_number(id_number=facts.number)
    if relative is None or relative.name != name.strip() or not relative.insured:
        raise DomainError(RELATIVE_NOT_FOUND)
    if relative.pk == holder.pk:
        raise DomainError(HOLDING_SELF)
    with transaction.atomic():
        Person.objects.select_for_update(no_key=True).filter(pk=holder.pk).first()  # serialise the limit check
        if holdings_of_holder(holder=holder).count() >= MAX_RELATIVES:
            raise DomainError(HOLDING_LIMIT, max=MAX_RELATIVES)
        try:
            with transaction.atomic():
                holding = FamilyHolding.objects.create(holder=holder, relative=relative)
        except IntegrityError:
            raise DomainError(HOLDING_EXISTS) from None
    if relative.phone:
        otp_request(phone=relative.phone, purpose=OtpChallenge.Purpose.FAMILY_CONSENT)
    return holding


def _move(holding: FamilyHolding, new: str, *, note: str, **fields: object) -> FamilyHolding:
    """Compare-and-set along a declared transition, with a history row."""
    return transition(
        holding,
        new,
        transitions=FamilyHolding.TRANSITIONS,
        refused=lambda old: DomainError(HOLDING_NOT_FOUND),
        history=lambda old, to: FamilyHoldingEvent.objects.create(
            holding=holding, from_status=old, to_status=to, note=note[:200]
        ),
        **fields,
    )


def _activate(holding: FamilyHolding, consent: str) -> FamilyHolding:
    with transaction.atomic():
        if holding.status != FamilyHolding.Status.PENDING:
            raise DomainError(HOLDING_NOT_FOUND)
        _move(
            holding,
            FamilyHolding.Status.ACTIVE,
            note=f"consent: {consent}",
            consent=consent,
            consented_at=timezone.now(),
        )
        relative = holding.relative
        if live_voucher(person=relative) is None:
            voucher_issue(person=relative, channel=Voucher.Channel.FAMILY)
    return holding


def holding_consent_by_sms(*, holding_id: int, holder: Person, sms_code: str) -> FamilyHolding:
    """The holder types in the code the relative received (the relative is beside them, phone in hand)."""
    holding = FamilyHolding.objects.select_related("relative").filter(pk=holding_id, holder=holder).first()
    if holding is None or holding.status != FamilyHolding.Status.PENDING:
        raise DomainError(HOLDING_NOT_FOUND)
    if not holding.relative.phone:
        raise DomainError(CONSENT_NEEDS_STAFF)
    otp_verify(phone=holding.relative.phone, code=sms_code, purpose=OtpChallenge.Purpose.FAMILY_CONSENT)
    return _activate(holding, FamilyHolding.Consent.SMS)


def holding_consent_in_app(*, holding_id: int, relative: Person) -> FamilyHolding:
    """The relative, signed in themself, confirms."""
    holding = FamilyHolding.objects.select_related("relative").filter(pk=holding_id, relative=relative).first()
    if holding is None or holding.status != FamilyHolding.Status.PENDING:
        raise DomainError(HOLDING_NOT_FOUND)
    return _activate(holding, FamilyHolding.Consent.APP)


def holding_register_by_staff(*, holding_id: int) -> FamilyHolding:
    """Staff register a minor or an elder without a phone, after checking papers at the counter."""
    holding = FamilyHolding.objects.select_related("relative").get(pk=holding_id)
    return _activate(holding, FamilyHolding.Consent.STAFF)


def holding_remove(*, holding_id: int, by: Person) -> FamilyHolding:
    """Either side ends a holding; the relative's code can no longer be shown by that holder."""
    holding = (
        FamilyHolding.objects.filter(pk=holding_id)
        .filter(Q(holder=by) | Q(relative=by))
        .exclude(status=FamilyHolding.Status.REMOVED)
        .first()
    )
    if holding is None:
        raise DomainError(HOLDING_NOT_FOUND)
    side = "holder" if holding.holder_id == by.pk else "relative"
    return _move(
        holding, FamilyHolding.Status.REMOVED, note=f"removed by the {side}", removed_at=timezone.now(), removed_by=side
    )
