"""Reads and shapes for the payments pages: whose bills I see, labels in my language, amounts in yuan.

Nothing here decides a payment rule; it mirrors what the resident API shows (payments/online/views.py,
payments/settlement/views.py) in a form the templates can print.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import capfirst

from payments.benefits.engine import Breakdown
from payments.channels import factory
from payments.online.models import OnlineOrder
from payments.online.pay import Split
from payments.online.words import EXPIRED_WORDS, status_words
from payments.settlement.models import Settlement
from portal.errors import Bilingual, DomainError, localized_label
from portal.ledger.models import LedgerEntry
from portal.money import fen_to_yuan
from portal.people.models import Person
from portal.web.payments import reasons
from vouchers.family import people_visible_to

WAITING = (OnlineOrder.Status.PRE_SETTLED, OnlineOrder.Status.AWAITING_CASH)


# The channels' names in sentences; ``{channel}`` stands for a channel's name, in the request's language.
CASH_VIA = Bilingual("现金（{channel}）", "Cash ({channel})")
CASH_EITHER = Bilingual("现金（微信支付或支付宝）", "Cash (WeChat Pay or Alipay)")
EITHER = Bilingual("微信支付或支付宝", "WeChat Pay or Alipay")
CASH_NONE = Bilingual("现金", "cash")  # as the rows write it; a label starts with a capital


def channel_label(name: str) -> str:
    """A channel's name in the request's language ("微信支付" / "WeChat Pay"); unknown names as they are."""
    return localized_label(factory.LABELS[name]) if name in factory.LABELS else name


def order_channel(order: OnlineOrder) -> str:
    """The channel the order's cash went through (orders from before the choice went through WeChat Pay)."""
    return order.channel or factory.WECHATPAY


def offered() -> tuple[str, ...]:
    """The channels a resident may choose from, in the order the bill page shows them."""
    return factory.enabled()


def offered_words() -> str:
    """The channels on offer, named: "微信支付或支付宝" / "WeChat Pay or Alipay", or the only one."""
    names = offered()
    if len(names) == 1:
        return channel_label(names[0])
    return EITHER.localized()


def with_channel(words: Bilingual, name: str) -> str:
    """``words`` in the request's language with ``{channel}`` the channel's name."""
    return words.localized().format(channel=channel_label(name))


def default_channel(request: HttpRequest) -> str:
    """The channel the bill page chooses first: inside WeChat, WeChat Pay; inside Alipay, Alipay; otherwise
    the first this deployment offers."""
    names = offered()
    agent = request.headers.get("User-Agent", "")
    if "MicroMessenger" in agent and factory.WECHATPAY in names:
        return factory.WECHATPAY
    if "AlipayClient" in agent and factory.ALIPAY in names:
        return factory.ALIPAY
    return names[0] if names else factory.WECHATPAY


def visible_people(me: Person) -> list[int]:
    """Me, and the relatives whose e-voucher I hold (the same people the resident API lets me see)."""
    return people_visible_to(viewer=me)


TONES = {
    "settled": "ok",
    "succeeded": "ok",
    "pre_settled": "wait",
    "awaiting_cash": "wait",
    "cash_paid": "wait",
    "refunding": "wait",
    "processing": "wait",
    "closed": "off",
    "failed": "bad",
    "needs_attention": "bad",
    "reversed": "off",
}


def tone(status: str) -> str:
    """The badge colour of a status (``ok``, ``wait``, ``bad``, ``off``; refunds and the rest: plain)."""
    return TONES.get(status, "")


def not_found(request: HttpRequest, code: str) -> HttpResponse:
    """A refusal page (404) with the domain error's message in the request's language."""
    return render(request, "web/payments/missing.html", {"error": DomainError(code).message()}, status=404)


@dataclass
class Owner:
    name: str
    yuan: str
    family: bool  # the money came from a family member's account (家庭共济), not the patient's own


@dataclass
class Parts:
    """An order's or settlement's split, in yuan, for ``web/payments/_parts.html``. A ¥0 part says why
    (``fund_why``, ``personal_why``, ``cash_why``: sentences in the request's language)."""

    total: str
    fund: str
    assistance: str
    personal: str
    cash: str
    owners: list[Owner] = field(default_factory=list)
    show_assistance: bool = False
    fund_why: list[tuple[str, str]] = field(default_factory=list)  # (reason with its amount, what to do)
    personal_why: str = ""
    cash_why: str = ""
    cash_label: str = ""  # "现金（微信支付）": the channel that takes (or took) the cash; "" at the counter


def owners_of(patient: Person, by_owner: list[tuple[int, int]]) -> list[Owner]:
    names = dict(Person.objects.filter(pk__in=[pk for pk, _ in by_owner]).values_list("pk", "name"))
    return [Owner(names.get(pk, ""), fen_to_yuan(fen), pk != patient.pk) for pk, fen in by_owner]


def split_parts(order: OnlineOrder, split: Split, breakdown: Breakdown, *, declined: bool = False) -> Parts:
    """The split a payment would take now (before paying), each ¥0 part with its reason. ``declined``: the
    payer chose to leave the personal accounts out."""
    return Parts(
        total=fen_to_yuan(split.total_fen),
        fund=fen_to_yuan(split.fund_fen),
        assistance=fen_to_yuan(split.assistance_fen),
        personal=fen_to_yuan(split.personal_fen),
        cash=fen_to_yuan(split.cash_fen),
        owners=owners_of(order.person, list(split.personal_by_owner)),
        show_assistance=split.assistance_fen > 0,
        fund_why=reasons.fund_why_now(breakdown) if not split.fund_fen and split.total_fen else [],
        personal_why=reasons.personal_why(
            order=order,
            personal_fen=split.personal_fen,
            resident_fen=split.personal_fen + split.cash_fen,
            declined=declined,
            paid=False,
        ),
        cash_why=reasons.cash_why(cash_fen=split.cash_fen, total_fen=split.total_fen),
        cash_label=with_channel(CASH_VIA, offered()[0]) if len(offered()) == 1 else CASH_EITHER.localized(),
    )


def order_parts(order: OnlineOrder, *, why: bool = True) -> Parts:
    """What the order took (after paying): its stored parts, the personal part by the accounts it came from,
    each ¥0 part with its reason (``why``)."""
    by_owner: list[tuple[int, int]] = []
    if order.hold_transaction_id is not None:
        debits = (
            LedgerEntry.objects.filter(
                transaction_id=order.hold_transaction_id, amount__lt=0, account__person__isnull=False
            )
            .order_by("id")
            .values_list("account__person_id", "amount")
        )
        by_owner = [(pk, -amount) for pk, amount in debits]
    return Parts(
        total=fen_to_yuan(order.total_fen),
        fund=fen_to_yuan(order.fund_fen),
        assistance=fen_to_yuan(order.assistance_fen),
        personal=fen_to_yuan(order.personal_fen),
        cash=fen_to_yuan(order.cash_fen),
        owners=owners_of(order.person, by_owner),
        show_assistance=order.assistance_fen > 0,
        fund_why=reasons.fund_why_paid(order) if why else [],
        personal_why=reasons.personal_why(
            order=order,
            personal_fen=order.personal_fen,
            resident_fen=order.personal_fen + order.cash_fen,
            declined=reasons.declined_personal(order),
            paid=True,
        )
        if why
        else "",
        cash_why=reasons.cash_why(cash_fen=order.cash_fen, total_fen=order.total_fen) if why else "",
        cash_label=with_channel(CASH_VIA, order_channel(order))
        if order.channel or order.cash_fen
        else capfirst(CASH_NONE.localized()),
    )


def split_digest(split: Split) -> str:
    """A fingerprint of the split shown on the page, so that paying authorises exactly what was shown."""
    return hashlib.sha256(json.dumps(split.as_dict(), sort_keys=True).encode()).hexdigest()


def with_return(h5_url: str, back: str) -> str:
    """The channel's H5 page with where to send the payer afterwards (``redirect_url``; each channel's page
    reads it from its own pay URL)."""
    parts = urlsplit(h5_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("redirect_url", back)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def past_deadline(order: OnlineOrder) -> bool:
    """A bill still waiting (to be confirmed, or for its cash) after its time to pay: nothing to pay now."""
    return order.status in WAITING and timezone.now() > order.expires_at


def order_row(order: OnlineOrder, me: Person) -> dict[str, Any]:
    expired = past_deadline(order)
    return {
        "number": order.number,
        "description": order.description,
        "institution": order.institution.name,
        "patient": "" if order.person_id == me.pk else order.person.name,
        "status": order.status,
        "status_label": (EXPIRED_WORDS if expired else status_words(order.status)).localized(),
        "expired": expired,
        "tone": "off" if expired else tone(order.status),
        "total": fen_to_yuan(order.total_fen),
        "created_at": order.created_at,
        "expires_at": order.expires_at,
    }


def settlement_row(settlement: Settlement, me: Person) -> dict[str, Any]:
    return {
        "number": settlement.number,
        "institution": settlement.institution.name,
        "patient": "" if settlement.person_id == me.pk else settlement.person.name,
        "status": settlement.status,
        "status_label": localized_label(settlement.get_status_display()),
        "tone": tone(settlement.status),
        "total": fen_to_yuan(settlement.total_fen),
        "cash": fen_to_yuan(settlement.cash_fen),
        "created_at": settlement.created_at,
    }
