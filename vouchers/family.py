"""Family (亲情) display: a holder shows up to 5 relatives' codes, with each relative's consent."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal import ratelimit
from portal.concurrency import lock_person
from portal.errors import RATE_LIMITED, DomainError, define, wait_words
from portal.identity import parse_id_number
from portal.people.models import Person
from portal.people.selectors import person_by_id_number
from portal.people.services import id_number_index
from portal.signin.models import OtpChallenge
from portal.signin.services import OTP_INVALID, OTP_LOCKED, otp_request, otp_verify
from portal.transitions import transition
from vouchers.models import FamilyHolding, FamilyHoldingEvent, Voucher
from vouchers.services import live_voucher, voucher_issue

logger = logging.getLogger(__name__)

MAX_RELATIVES = 5

HOLDING_LIMIT = define(
    "holding_limit", 409, "最多可添加 {max} 位亲属", "You can show the codes of at most {max} relatives"
)
HOLDING_EXISTS = define("holding_exists", 409, "已添加过该亲属", "This relative is already on your list")
HOLDING_SELF = define("holding_self", 400, "不能添加自己", "You cannot add yourself")
HOLDING_NOT_FOUND = define("holding_not_found", 404, "未找到该亲情关系", "No such family holding")
HOLDING_REQUESTS_PER_DAY = 10
PENDING_LIFETIME = timedelta(days=1)


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


# --- The one access rule of the resident API and pages ------------------------------------------------
# A resident sees and acts for themself and for the relatives whose e-voucher code they actively hold
# (亲情账户: consented, not removed); nobody else. Every view asks these selectors, never the holdings.


def _active_holdings(holder: Person) -> QuerySet[FamilyHolding]:
    return FamilyHolding.objects.filter(holder=holder, status=FamilyHolding.Status.ACTIVE, relative__isnull=False)


def relatives_held_by(*, holder: Person) -> list[Person]:
    """The relatives whose e-voucher ``holder`` actively holds (consented, not removed)."""
    held = _active_holdings(holder).select_related("relative", "relative__region")
    return [h.relative for h in held if h.relative is not None]


def people_visible_to(*, viewer: Person) -> list[int]:
    """The ids of the people ``viewer`` may see and act for: themself, and the relatives whose code they
    actively hold. Their bills, receipts, filings and codes are the viewer's to see; nobody else's."""
    return [viewer.pk, *_active_holdings(viewer).values_list("relative_id", flat=True)]


def may_show_code_of(*, viewer: Person, subject: Person) -> FamilyHolding | None:
    """The active holding that lets ``viewer`` show ``subject``'s code, if any."""
    return _active_holdings(viewer).filter(relative=subject).first()


def may_act_for(*, viewer: Person, person_id: int) -> bool:
    """Whether ``viewer`` may see and act for the person ``person_id`` (themself, or a relative held)."""
    return person_id == viewer.pk or _active_holdings(viewer).filter(relative_id=person_id).exists()


def person_visible_to(*, viewer: Person, person_id: int | None) -> Person | None:
    """The person a request names (``person_id``; none means the viewer) if ``viewer`` may act for them,
    with their region; None for anyone else, so a caller answers "not found" and reveals nothing."""
    if person_id is None or person_id == viewer.pk:
        return viewer
    holding = _active_holdings(viewer).filter(relative_id=person_id).select_related("relative__region").first()
    return holding.relative if holding is not None else None


def holding_request(*, holder: Person, name: str, id_number: str) -> FamilyHolding:
    """Ask to show a relative's code. The relative consents by SMS or in the app; staff for those without
    a phone.

    No identity oracle: whether or not the name and number match an insured person, the answer is the
    same request, waiting for consent; only a real relative gets the text (and can consent). Requests are
    limited per holder per day (``HOLDING_REQUESTS_PER_DAY``) and expire unconsented after a day.
    """
    facts = parse_id_number(id_number)
    index = id_number_index(facts.number)
    if index == holder.id_number_index:
        raise DomainError(HOLDING_SELF)
    used, left = ratelimit.hit(f"holding-request:{holder.pk}", period=86400)
    if used > HOLDING_REQUESTS_PER_DAY:
        raise DomainError(RATE_LIMITED, wait=wait_words(left), details={"retry_after": left})
    found = person_by_id_number(id_number=facts.number)
    relative = found if found is not None and found.name == name.strip() and found.insured else None
    with transaction.atomic():
        lock_person(holder.pk)  # serialise the limit check
        if holdings_of_holder(holder=holder).count() >= MAX_RELATIVES:
            raise DomainError(HOLDING_LIMIT, max=MAX_RELATIVES)
        try:
            with transaction.atomic():
                holding = FamilyHolding.objects.create(
                    holder=holder, relative=relative, requested_name=name.strip()[:100], requested_index=index
                )
        except IntegrityError:
            raise DomainError(HOLDING_EXISTS) from None
        FamilyHoldingEvent.objects.create(holding=holding, to_status=holding.status, note="requested")
    if relative is not None and relative.phone:
        try:
            otp_request(phone=relative.phone, purpose=OtpChallenge.Purpose.FAMILY_CONSENT)
        except DomainError as error:  # the request stands either way; the holder can ask for a code again
            logger.info("holding %s: consent code not sent (%s)", holding.pk, error.code)
    return holding


def holdings_expire_pending(*, older_than: timedelta = PENDING_LIFETIME) -> int:
    """Requests nobody consented to within a day are removed (real or not: the list looks the same)."""
    done = 0
    for holding in FamilyHolding.objects.filter(
        status=FamilyHolding.Status.PENDING, created_at__lt=timezone.now() - older_than
    ):
        try:
            _move(holding, FamilyHolding.Status.REMOVED, note="not consented in time", removed_by="expired")
            done += 1
        except DomainError:
            continue  # consented or removed meanwhile
    return done


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
        assert relative is not None  # requests that matched nobody never reach here
        if live_voucher(person=relative) is None:
            voucher_issue(person=relative, channel=Voucher.Channel.FAMILY)
    return holding


def holding_consent_by_sms(*, holding_id: int, holder: Person, sms_code: str) -> FamilyHolding:
    """The holder types in the code the relative received (the relative is beside them, phone in hand).

    A request that matched nobody, or a relative without a phone, answers exactly like a wrong code."""
    holding = FamilyHolding.objects.select_related("relative").filter(pk=holding_id, holder=holder).first()
    if holding is None or holding.status != FamilyHolding.Status.PENDING:
        raise DomainError(HOLDING_NOT_FOUND)
    if holding.relative is None or not holding.relative.phone:
        _no_code_can_match(holding)
    assert holding.relative is not None
    otp_verify(phone=holding.relative.phone, code=sms_code, purpose=OtpChallenge.Purpose.FAMILY_CONSENT)
    return _activate(holding, FamilyHolding.Consent.SMS)


def _no_code_can_match(holding: FamilyHolding) -> NoReturn:
    """What a wrong code answers (attempts counted down, then locked), for a code that cannot exist."""
    used, _ = ratelimit.hit(f"holding-consent:{holding.pk}", period=settings.OTP_TTL_SECONDS)
    remaining = max(settings.OTP_MAX_ATTEMPTS - used, 0)
    if remaining == 0:
        raise DomainError(OTP_LOCKED)
    raise DomainError(OTP_INVALID, remaining=remaining, details={"remaining_attempts": remaining})


def holding_consent_in_app(*, holding_id: int, relative: Person) -> FamilyHolding:
    """The relative, signed in themself, confirms."""
    holding = FamilyHolding.objects.select_related("relative").filter(pk=holding_id, relative=relative).first()
    if holding is None or holding.status != FamilyHolding.Status.PENDING:
        raise DomainError(HOLDING_NOT_FOUND)
    return _activate(holding, FamilyHolding.Consent.APP)


def holding_register_by_staff(*, holding_id: int) -> FamilyHolding:
    """Staff register a minor or an elder without a phone, after checking papers at the counter."""
    holding = FamilyHolding.objects.select_related("relative").get(pk=holding_id)
    if holding.relative is None:
        raise DomainError(HOLDING_NOT_FOUND)  # the request matched nobody: there is no one to register
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
