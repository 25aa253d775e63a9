"""Internet-hospital orders, upload and pay: the hospital uploads fee details, the order is split (fund,
assistance, personal accounts, cash), the payer authorises that split and pays.

The insurance legs (fund and assistance usage, personal accounts) are *held* when the cash payment
starts: benefit usage is recorded and the personal-account money moves to the region's held account.
They are committed (fund and held money to the hospital) when the cash is confirmed (``confirm``), or at
once for an insurance-only order; closing releases them. Services that lock are retried on a deadlock,
then refused with ``busy_retry``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.benefits.engine import Breakdown, Item, Visit
from payments.benefits.selectors import with_first_self_pay
from payments.benefits.services import benefit_commit, benefit_estimate
from payments.channels.base import ChannelError
from payments.channels.factory import enabled as enabled_channels
from payments.channels.factory import notify_url
from payments.online.models import HospitalEvent, OnlineOrder, OnlineOrderItem, OrderEvent, PayAuthorization
from payments.online.state import channel_of, hospital_event, locked, move, note, state_refused
from payments.settlement.entitlement import backing
from portal.concurrency import lock_accounts, lock_person, retry_on_conflict
from portal.errors import DomainError, define
from portal.family.deduction import family_deduct, payment_sources
from portal.institutions.models import Institution, Terminal
from portal.ledger.models import LedgerAccount, LedgerTransaction
from portal.ledger.services import IDEMPOTENCY_CONFLICT, Leg, institution_account, ledger_post, region_account
from portal.people.models import Person
from vouchers.family import may_act_for

PAY_WINDOW = timedelta(minutes=15)
AUTH_LIFETIME = timedelta(minutes=5)
# Kept in an authorisation's split when the payer chose to leave the personal accounts out.
NO_PERSONAL_ACCOUNT = "use_personal_account"

NOT_INTERNET_HOSPITAL = define(
    "not_internet_hospital",
    403,
    "仅定点互联网医院可使用医保移动支付",
    "Only designated internet hospitals can take insurance payments online",
)
AUTH_INVALID = define(
    "pay_auth_invalid",
    409,
    "支付授权无效、已使用或已过期，请重新授权",
    "The payment authorisation is invalid, used or expired",
)
SPLIT_CHANGED = define(
    "split_changed",
    409,
    "支付金额构成已变化，请重新确认",
    "The split changed since you authorised (e.g. a balance moved); authorise again",
)
ORDER_EXPIRED = define(
    "order_expired",
    409,
    "这张账单已过支付截止时间，不能再支付",
    "The time to pay this bill has passed; it can no longer be paid",
)
CHANNEL_UNKNOWN = define(
    "channel_unknown", 400, "不支持该支付方式：{channel}", "This payment method is not offered: {channel}"
)
CHANNEL_UNAVAILABLE = define(
    "channel_unavailable",
    503,
    "支付渠道暂时不可用，请稍后重试",
    "The payment channel is unavailable; try again shortly",
)


@dataclass(frozen=True)
class Split:
    total_fen: int
    fund_fen: int
    assistance_fen: int
    personal_fen: int
    cash_fen: int
    personal_by_owner: tuple[tuple[int, int], ...]  # (person id, fen) in deduction order

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total_fen,
            "fund": self.fund_fen,
            "assistance": self.assistance_fen,
            "personal": self.personal_fen,
            "cash": self.cash_fen,
            "personal_by_owner": [list(pair) for pair in self.personal_by_owner],
        }


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# --- Upload and split --------------------------------------------------------------------------


def order_upload(
    *,
    terminal: Terminal,
    person: Person,
    idempotency_key: str,
    items: list[dict[str, Any]],
    description: str,
    diagnosis: str = "",
    department: str = "",
    doctor: str = "",
    disease_code: str = "",
    delivery_address: str = "",
) -> tuple[OnlineOrder, bool]:
    """The hospital uploads fee details (6201): the order is saved and pre-settled at once. A chronic
    follow-up names its recognised disease (``disease_code``: one the internet hospital may treat), and the
    drugs may be delivered (``delivery_address``)."""
    institution = terminal.institution
    if institution.kind != Institution.Kind.INTERNET_HOSPITAL or not institution.designated:
        raise DomainError(NOT_INTERNET_HOSPITAL)
    request = {
        "person": person.pk,
        "items": items,
        "description": description,
        "diagnosis": diagnosis,
        "department": department,
        "doctor": doctor,
        **(
            {"disease_code": disease_code, "delivery_address": delivery_address}
            if disease_code or delivery_address
            else {}
        ),
    }
    digest = _hash(request)
    first = OnlineOrder.objects.filter(institution=institution, idempotency_key=idempotency_key).first()
    if first is not None:
        if first.request_hash != digest:
            raise DomainError(IDEMPOTENCY_CONFLICT)
        return first, False
    today = timezone.localdate()
    try:
        with transaction.atomic():
            order = OnlineOrder.objects.create(
                institution=institution,
                terminal=terminal,
                person=person,
                idempotency_key=idempotency_key,
                request_hash=digest,
                description=description[:120],
                diagnosis=diagnosis,
                department=department,
                doctor=doctor,
                disease_code=disease_code,
                delivery_address=delivery_address,
                service_date=today,
                expires_at=timezone.now() + PAY_WINDOW,
            )
            OnlineOrderItem.objects.bulk_create(
                OnlineOrderItem(
                    order=order,
                    line=n,
                    code=i["code"],
                    name=i["name"],
                    amount_fen=i["amount_fen"],
                    in_catalogue=i.get("in_catalogue", True),
                    dual_channel=i.get("dual_channel", False),
                )
                for n, i in enumerate(items, start=1)
            )
            OrderEvent.objects.create(order=order, to_status=OnlineOrder.Status.SAVED, note="uploaded")
            split = order_split(order=order)
            move(
                order,
                OnlineOrder.Status.PRE_SETTLED,
                note="pre-settled",
                total_fen=split.total_fen,
                fund_fen=split.fund_fen,
                assistance_fen=split.assistance_fen,
                personal_fen=split.personal_fen,
                cash_fen=split.cash_fen,
            )
    except IntegrityError:
        first = OnlineOrder.objects.filter(institution=institution, idempotency_key=idempotency_key).first()
        if first is None or first.request_hash != digest:
            raise DomainError(IDEMPOTENCY_CONFLICT) from None
        return first, False
    return order, True


def _items(order: OnlineOrder) -> list[Item]:
    items = [Item(i.code, i.name, i.amount_fen, i.in_catalogue, i.dual_channel) for i in order.items.all()]
    return with_first_self_pay(items=items, region_id=order.institution.region_id, on=order.service_date)


def _visit(order: OnlineOrder) -> Visit:
    """The order's disease (checked again each time: a recognition can end between upload and payment)."""
    return backing(
        person=order.person,
        institution=order.institution,
        on=order.service_date,
        prescription_id=None,
        disease_code=order.disease_code,
    ).visit


def order_breakdown(*, order: OnlineOrder) -> Breakdown:
    """What the benefit engine says of the order now: the fund's and assistance's shares, item by item,
    with the reasons for what they do not pay. Changes nothing."""
    return benefit_estimate(
        person=order.person,
        institution=order.institution,
        service_date=order.service_date,
        items=_items(order),
        visit=_visit(order),
    )


def order_split(*, order: OnlineOrder, use_personal_account: bool = True) -> Split:
    """Fund and assistance by the benefit engine, then the personal accounts (own, then family by owner),
    then cash. ``use_personal_account=False``: the payer keeps the personal accounts out of it, and pays
    that part in cash instead."""
    breakdown = order_breakdown(order=order)
    owed = breakdown.resident_fen
    by_owner: list[tuple[int, int]] = []
    sources = payment_sources(payer=order.person) if use_personal_account else []
    balances = dict(LedgerAccount.objects.filter(pk__in=[s.account_id for s in sources]).values_list("pk", "balance"))
    for source in sources:
        take = min(balances.get(source.account_id, 0), owed)
        if take > 0:
            by_owner.append((source.owner_id, take))
            owed -= take
    personal = sum(fen for _, fen in by_owner)
    return Split(
        total_fen=breakdown.total_fen,
        fund_fen=breakdown.fund_fen,
        assistance_fen=breakdown.assistance_fen,
        personal_fen=personal,
        cash_fen=breakdown.resident_fen - personal,
        personal_by_owner=tuple(by_owner),
    )


@retry_on_conflict
def order_cancel(*, terminal: Terminal, number: str) -> OnlineOrder:
    """The hospital cancels an upload (6401) before the patient pays."""
    with transaction.atomic():
        order = locked(number=number, institution_id=terminal.institution_id)
        if order.status not in (OnlineOrder.Status.SAVED, OnlineOrder.Status.PRE_SETTLED):
            raise state_refused(order.status)
        move(order, OnlineOrder.Status.CLOSED, note="cancelled by the hospital", closed_at=timezone.now())
        hospital_event(order, HospitalEvent.Kind.CLOSED, reason="cancelled")
    return order


# --- The patient's side --------------------------------------------------------------------------


def may_pay_for(*, payer: Person, patient: Person) -> bool:
    return may_act_for(viewer=payer, person_id=patient.pk)


def order_authorize(
    *, order: OnlineOrder, payer: Person, use_personal_account: bool = True
) -> tuple[str, PayAuthorization, Split]:
    """A one-time authorisation valid 5 minutes, bound to the split shown to the payer (and to the payer's
    choice of leaving the personal accounts out, which paying keeps)."""
    if order.status != OnlineOrder.Status.PRE_SETTLED:
        raise state_refused(order.status)
    if timezone.now() > order.expires_at:
        raise DomainError(ORDER_EXPIRED)
    split = order_split(order=order, use_personal_account=use_personal_account)
    raw = "PA" + secrets.token_urlsafe(24)
    auth = PayAuthorization.objects.create(
        order=order,
        payer=payer,
        token_hash=hashlib.sha256(raw.encode()).hexdigest(),
        split=split.as_dict() if use_personal_account else {**split.as_dict(), NO_PERSONAL_ACCOUNT: False},
        expires_at=timezone.now() + AUTH_LIFETIME,
    )
    return raw, auth, split


def order_pay(
    *, order_number: str, payer: Person, pay_auth_no: str, channel: str | None = None, client_ip: str = "127.0.0.1"
) -> OnlineOrder:
    """Use the authorisation: hold the insurance legs and start the cash payment through ``channel`` (the
    payer's choice: wechatpay or alipay; the deployment's first channel by default), or settle at once when
    nothing is left to pay in cash."""
    channel = channel or enabled_channels()[0]
    if channel not in enabled_channels():
        raise DomainError(CHANNEL_UNKNOWN, channel=channel)
    digest = hashlib.sha256(pay_auth_no.encode()).hexdigest()
    order = _pay_and_hold(order_number=order_number, payer=payer, digest=digest, channel=channel)
    if order.status != OnlineOrder.Status.AWAITING_CASH:
        return order
    # Outside the lock: ask the channel for the cash order. A failure leaves the order awaiting cash;
    # the late-order job queries and closes it, releasing the held legs.
    try:
        created = channel_of(order).create_order(
            out_trade_no=order.number,
            amount_fen=order.cash_fen,
            description=order.description,
            notify_url=notify_url(order.channel),
            expires_at=order.expires_at,
            client_ip=client_ip,
        )
    except ChannelError as error:
        raise DomainError(CHANNEL_UNAVAILABLE, details={"channel": error.code}) from None
    OnlineOrder.objects.filter(pk=order.pk).update(h5_url=created.h5_url or "")
    order.refresh_from_db()
    return order


@retry_on_conflict
def _pay_and_hold(*, order_number: str, payer: Person, digest: str, channel: str) -> OnlineOrder:
    """The locked part of paying: the authorisation used, the legs held (or the order settled)."""
    with transaction.atomic():
        order = locked(number=order_number)
        used = PayAuthorization.objects.filter(
            token_hash=digest, order=order, payer=payer, used_at__isnull=True, expires_at__gt=timezone.now()
        ).update(used_at=timezone.now())
        if not used:
            raise DomainError(AUTH_INVALID)
        auth = PayAuthorization.objects.get(token_hash=digest)
        if order.status != OnlineOrder.Status.PRE_SETTLED:
            raise state_refused(order.status)
        if timezone.now() > order.expires_at:
            raise DomainError(ORDER_EXPIRED)
        lock_person(order.person_id)
        receivable = institution_account(institution=order.institution)
        lock_accounts([*(s.account_id for s in payment_sources(payer=order.person)), receivable.pk])
        authorised = dict(auth.split)
        split = order_split(order=order, use_personal_account=authorised.pop(NO_PERSONAL_ACCOUNT, True))
        if split.as_dict() != authorised:
            raise DomainError(SPLIT_CHANGED, details={"now": split.as_dict()})
        parts = (split.fund_fen, split.assistance_fen, split.personal_fen, split.cash_fen)
        if parts != (order.fund_fen, order.assistance_fen, order.personal_fen, order.cash_fen):
            # Balances or the year's usage moved since the upload: the split the payer authorised wins.
            OnlineOrder.objects.filter(pk=order.pk).update(
                fund_fen=split.fund_fen,
                assistance_fen=split.assistance_fen,
                personal_fen=split.personal_fen,
                cash_fen=split.cash_fen,
            )
            note(order, "split updated to the one authorised")
            order.refresh_from_db()
        _hold_insurance(order, split)
        if split.cash_fen == 0:
            commit_insurance(order)
            move(order, OnlineOrder.Status.SETTLED, note="insurance only", settled_at=timezone.now())
            hospital_event(order, HospitalEvent.Kind.PAID)
            return order
        move(
            order,
            OnlineOrder.Status.AWAITING_CASH,
            note=f"cash payment started ({channel})",
            out_trade_no=order.number,
            channel=channel,
        )
    return order


def _held_account(order: OnlineOrder) -> LedgerAccount:
    return region_account(region=order.person.region, kind=LedgerAccount.Kind.HELD)


def _hold_insurance(order: OnlineOrder, split: Split) -> None:
    # Always: a bill below the deductible pays nothing from the fund but still counts toward it.
    benefit_commit(
        person=order.person,
        institution=order.institution,
        service_date=order.service_date,
        items=_items(order),
        reference=order.number,
        visit=_visit(order),
    )
    if split.personal_fen:
        hold = family_deduct(
            payer=order.person,
            amount_fen=split.personal_fen,
            to_account_id=_held_account(order).pk,
            reference=order.number,
            kind=LedgerTransaction.Kind.PAYMENT,
        )
        OnlineOrder.objects.filter(pk=order.pk).update(hold_transaction=hold)
        order.hold_transaction = hold


def commit_insurance(order: OnlineOrder) -> None:
    """The cash is confirmed (or there is none): fund, assistance and held money go to the hospital."""
    receivable = institution_account(institution=order.institution)
    region = order.person.region
    legs: list[Leg] = []
    if order.fund_fen:
        legs.append(Leg(region_account(region=region, kind=LedgerAccount.Kind.FUND).pk, -order.fund_fen))
    if order.assistance_fen:
        legs.append(Leg(region_account(region=region, kind=LedgerAccount.Kind.ASSISTANCE).pk, -order.assistance_fen))
    if order.personal_fen:
        legs.append(Leg(_held_account(order).pk, -order.personal_fen))
    if legs:
        legs.append(Leg(receivable.pk, order.fund_fen + order.assistance_fen + order.personal_fen))
        ledger_post(
            kind=LedgerTransaction.Kind.SETTLEMENT,
            legs=legs,
            reference=order.number,
            idempotency_key=f"{order.number}:commit",
            memo="online order settled",
            beneficiary=order.person,
        )
