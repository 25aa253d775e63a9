"""Residents' payments pages: bills from internet hospitals, paying them, and the orders' receipts.

Thin views over ``payments.online.pay`` and ``confirm`` (split, authorise, pay, query, cancel), mirroring the
resident API in ``payments/online/views.py``. Counter settlements are in ``settlements.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from payments.channels import factory
from payments.online import confirm, pay, state
from payments.online.models import OnlineOrder
from payments.settlement.models import Settlement
from portal.clientip import client_ip
from portal.errors import Bilingual, DomainError, localized_label
from portal.money import fen_to_yuan
from portal.people.models import Person
from portal.web.access import resident_required
from portal.web.payments.shaping import (
    WAITING,
    channel_label,
    default_channel,
    not_found,
    offered,
    offered_words,
    order_channel,
    order_parts,
    order_row,
    past_deadline,
    settlement_row,
    split_digest,
    split_parts,
    tone,
    visible_people,
    with_channel,
    with_return,
)

RECENT_SETTLEMENTS = 5
PAID = (
    OnlineOrder.Status.CASH_PAID,
    OnlineOrder.Status.SETTLED,
    OnlineOrder.Status.REFUNDING,
    OnlineOrder.Status.REFUNDED_PARTLY,
    OnlineOrder.Status.REFUNDED,
)


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def _visible_order(me: Person, number: str) -> OnlineOrder | None:
    return (
        OnlineOrder.objects.filter(number=number, person_id__in=visible_people(me))
        .select_related("institution", "person")
        .first()
    )


def _order_url(number: str, *, personal: bool = True) -> str:
    url = reverse("web-payment-order", kwargs={"number": number})
    return url if personal else f"{url}?personal=0"


def _h5(request: HttpRequest, order: OnlineOrder) -> str:
    """The channel's cashier page for this order. WeChat Pay's H5 page comes back to the bill (its
    ``redirect_url``); Alipay's is a signed request, to which nothing may be added: its cashier comes back
    to the merchant's configured ``return_url``."""
    if order_channel(order) != factory.WECHATPAY:
        return order.h5_url
    return with_return(order.h5_url, request.build_absolute_uri(_order_url(order.number)))


def _chosen_channel(request: HttpRequest) -> str:
    """The channel the payer chose (kept across a refusal), or the browser's default (see ``default_channel``)."""
    chosen = (request.POST if request.method == "POST" else request.GET).get("channel", "")
    return chosen if chosen in offered() else default_channel(request)


CHOOSE_CHANNEL = Bilingual("请选择付款方式：{channel}", "Choose how to pay: {channel}")


def _uses_personal(request: HttpRequest) -> bool:
    """The payer's choice: the personal accounts pay their part unless the payer said no (``personal=0``)."""
    return (request.POST if request.method == "POST" else request.GET).get("personal", "1") != "0"


# Why a bill was closed (the note of its move to closed), and what the resident can do now.
CLOSED_WHY: list[tuple[str, Bilingual]] = [
    (confirm.PAYER_CANCELLED, Bilingual("您取消了这笔支付。", "You cancelled this payment.")),
    ("cancelled by the hospital", Bilingual("医院撤销了这张账单。", "The hospital withdrew this bill.")),
    (
        "expired",
        Bilingual("到了支付截止时间还没有付款，账单已自动关闭。", "It was not paid by the time to pay, so it closed."),
    ),
]
CLOSED_OTHER = Bilingual("这张账单已关闭。", "This bill is closed.")
CLOSED_NEXT = Bilingual(
    "如果仍需付款，请联系开具账单的医院重新开具账单。",
    "If you still need to pay, ask the hospital that sent it for a new bill.",
)
LATE_CASH = Bilingual(
    "您的{channel}付款在账单关闭后才到达，已自动原路退回。",
    "Your {channel} payment arrived after the bill closed; it is being paid back automatically, the way it came.",
)


def _closed_words(order: OnlineOrder) -> dict[str, str]:
    note = (
        order.events.filter(to_status=OnlineOrder.Status.CLOSED)
        .exclude(from_status=OnlineOrder.Status.CLOSED)
        .order_by("-id")
        .values_list("note", flat=True)
        .first()
        or ""
    )
    why = next((words for start, words in CLOSED_WHY if note.startswith(start)), CLOSED_OTHER)
    return {
        "closed_why": why.localized(),
        "closed_next": CLOSED_NEXT.localized(),
        "late_cash": with_channel(LATE_CASH, order_channel(order)) if order.channel_transaction_id else "",
    }


INDEX_REST = Bilingual(
    "互联网医院开具的账单：先由医保基金和个人账户支付，其余用{channel}付款。",
    "Bills from internet hospitals: the insurance fund and personal accounts pay first, the rest by {channel}.",
)

# The words of a bill whose cash goes (or went) through a channel: ``{channel}`` is the order's channel.
CHANNEL_WORDS = {
    "waiting_h": Bilingual("等待{channel}付款", "Waiting for your {channel} payment"),
    "waiting_note": Bilingual(
        "医保部分已冻结。在{channel}完成付款后，本页会自动更新。",
        "The insurance parts are held. This page updates by itself once {channel} confirms.",
    ),
    "continue": Bilingual("继续付款 · {channel}", "Continue to pay · {channel}"),
    "transaction": Bilingual("{channel}交易号", "{channel} transaction"),
    "refund_to": Bilingual("退回{channel}", "To {channel}"),
    "paid_already": Bilingual(
        "如果您已经在{channel}付了款，我们不会取消，会告诉您已支付。",
        "If you have already paid with {channel}, nothing is cancelled and we tell you it is paid.",
    ),
}


def _channel_words(name: str) -> dict[str, str]:
    return {key: with_channel(words, name) for key, words in CHANNEL_WORDS.items()}


@resident_required
def index(request: HttpRequest) -> HttpResponse:
    """Bills waiting (mine and my relatives'), the orders' history, and the latest counter settlements."""
    me = _me(request)
    people = visible_people(me)
    rows = OnlineOrder.objects.filter(person_id__in=people).select_related("institution", "person")[:50]
    settlements = Settlement.objects.filter(person_id__in=people).select_related("institution", "person")
    return render(
        request,
        "web/payments/index.html",
        {
            "pay_rest": INDEX_REST.localized().format(channel=offered_words()),
            "waiting": [order_row(o, me) for o in rows if o.status in WAITING and not past_deadline(o)],
            "history": [order_row(o, me) for o in rows if o.status not in WAITING or past_deadline(o)],
            "settlements": [settlement_row(s, me) for s in settlements[:RECENT_SETTLEMENTS]],
        },
    )


def _order_page(
    request: HttpRequest, order: OnlineOrder, *, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    me = _me(request)
    expired = past_deadline(order)
    errors: dict[str, str] = {}
    if error and error.code == pay.CHANNEL_UNKNOWN:
        # The way to pay is a field of the form: the error summary links to it (or, with nothing to choose, says so).
        errors["channel" if len(offered()) > 1 else "form"] = CHOOSE_CHANNEL.localized().format(channel=offered_words())
        error = None
    context: dict[str, Any] = {
        "order": order,
        "row": order_row(order, me),
        "items": [(i.name, i.code, fen_to_yuan(i.amount_fen)) for i in order.items.all()],
        # Past the deadline the page itself says so (and what to do): no second, shorter refusal above it.
        "error": error.message() if error and not (expired and error.code == pay.ORDER_EXPIRED) else "",
        "errors": errors,
        "expired": expired,
        "words": _channel_words(order_channel(order)),
        "refunds": [
            {
                "number": r.number,
                "status": r.status,
                "status_label": localized_label(r.get_status_display()),
                "tone": tone(r.status),
                "total": fen_to_yuan(r.total_fen),
                "fund": fen_to_yuan(r.fund_fen) if r.fund_fen else "",
                "assistance": fen_to_yuan(r.assistance_fen) if r.assistance_fen else "",
                "personal": fen_to_yuan(r.personal_fen) if r.personal_fen else "",
                "cash": fen_to_yuan(r.cash_fen) if r.cash_fen else "",
                # Back through the channel that was paid.
                "cash_to": with_channel(CHANNEL_WORDS["refund_to"], r.channel or order_channel(order)),
                "created_at": r.created_at,
                "completed_at": r.completed_at,
            }
            for r in order.refunds.all()
        ],
    }
    if order.status == OnlineOrder.Status.PRE_SETTLED:
        personal = _uses_personal(request)
        context["may_pay"] = not expired and pay.may_pay_for(payer=me, patient=order.person)
        context["use_personal"] = personal
        context["channel"] = _chosen_channel(request)
        context["channels"] = [{"name": name, "label": channel_label(name)} for name in offered()]
        try:
            breakdown = pay.order_breakdown(order=order)
            split = pay.order_split(order=order, use_personal_account=personal)
            # The choice is offered only when the personal accounts would pay something.
            usual = split if personal else pay.order_split(order=order)
        except DomainError as refusal:
            context["error"] = context["error"] or refusal.message()
            context["may_pay"] = False
        else:
            context["parts"] = split_parts(order, split, breakdown, declined=not personal)
            context["split_digest"] = split_digest(split)
            context["cash_due"] = split.cash_fen > 0
            context["holds"] = split.fund_fen + split.assistance_fen + split.personal_fen > 0
            context["may_choose_personal"] = usual.personal_fen > 0
            context["without_personal_url"] = _order_url(order.number, personal=False)
            context["with_personal_url"] = _order_url(order.number)
    elif order.status == OnlineOrder.Status.CLOSED:
        context.update(_closed_words(order))
    else:
        context["parts"] = order_parts(order)
    if order.status == OnlineOrder.Status.AWAITING_CASH:
        context["may_cancel"] = pay.may_pay_for(payer=me, patient=order.person)
        if order.h5_url and not expired:
            context["h5_url"] = _h5(request, order)
    return render(request, "web/payments/order.html", context, status=status)


@resident_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _visible_order(_me(request), number)
    if order is None:
        return not_found(request, state.ORDER_NOT_FOUND)
    return _order_page(request, order)


def _already_confirmed(request: HttpRequest, order: OnlineOrder) -> HttpResponse | None:
    """Confirming a bill that is past the confirming step (back, then 确认支付 again; a double click): no
    error, the resident goes where the bill stands now: the cash step again, or the bill's page."""
    if order.status == OnlineOrder.Status.AWAITING_CASH:
        if order.h5_url and not past_deadline(order):
            return HttpResponseRedirect(_h5(request, order))
        return HttpResponseRedirect(_order_url(order.number))  # the page says what is waited for, or what to do
    if order.status in PAID:
        messages.info(request, Bilingual("这张账单已经支付过了。", "This bill is already paid.").localized())
        return HttpResponseRedirect(_order_url(order.number))
    if order.status == OnlineOrder.Status.CLOSED:
        return HttpResponseRedirect(_order_url(order.number))  # the page says why and what to do
    return None


@resident_required
def order_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Authorise the split the page showed and pay: insurance legs held, then off to the channel's H5 page."""
    if request.method != "POST":  # e.g. back from signing in again: show the bill, pay nothing
        return HttpResponseRedirect(_order_url(number))
    me = _me(request)
    order = _visible_order(me, number)
    if order is None:
        return not_found(request, state.ORDER_NOT_FOUND)
    again = _already_confirmed(request, order)
    if again is not None:
        return again
    personal = _uses_personal(request)
    # The payer's choice; none posted (nothing to choose: no cash, or a page from before the choice) is the default.
    channel = request.POST.get("channel") or default_channel(request)
    try:
        if channel not in offered():
            raise DomainError(pay.CHANNEL_UNKNOWN, channel=channel)  # refused before anything is authorised
        raw, _, split = pay.order_authorize(order=order, payer=me, use_personal_account=personal)
        if request.POST.get("split", "") != split_digest(split):
            raise DomainError(pay.SPLIT_CHANGED)  # what the payer saw is not what they would authorise now
        order = pay.order_pay(
            order_number=order.number,
            payer=me,
            pay_auth_no=raw,
            channel=channel,
            client_ip=client_ip(request) or "127.0.0.1",
        )
    except DomainError as error:
        order.refresh_from_db()
        if error.code == state.ORDER_STATE:
            again = _already_confirmed(request, order)  # a second click that lost the race to the first
            if again is not None:
                return again
        return _order_page(request, order, error=error, status=error.status)
    if order.status == OnlineOrder.Status.SETTLED:
        messages.success(request, Bilingual("支付成功，已由医保结算", "Paid: settled by insurance").localized())
    elif order.h5_url:
        return HttpResponseRedirect(_h5(request, order))
    return HttpResponseRedirect(_order_url(order.number))


CANCEL_OUTCOMES = {
    confirm.Close.CLOSED: Bilingual(
        "已取消支付。冻结的医保和个人账户款项已退回，没有扣款。",
        "Payment cancelled. What was held from insurance and personal accounts went back; nothing was taken.",
    ),
    confirm.Close.SETTLED: Bilingual(
        "您已经在{channel}完成了付款，所以没有取消：这张账单已支付。",
        "Your {channel} payment had already gone through, so nothing was cancelled: this bill is paid.",
    ),
    confirm.Close.NOT_CLOSABLE: Bilingual(
        "暂时无法取消：{channel}没有应答。请稍后再试，在此之前请不要继续付款。",
        "Could not cancel yet: {channel} did not answer. Try again shortly, and do not pay in the meantime.",
    ),
}  # {channel}: the order's channel


@resident_required
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """Cancel a payment waiting for its cash: GET asks the question, POST cancels (the expiry job's path:
    the channel's order closed, the held legs released) and goes back to the bill."""
    me = _me(request)
    order = _visible_order(me, number)
    if order is None:
        return not_found(request, state.ORDER_NOT_FOUND)
    if request.method != "POST":
        if order.status != OnlineOrder.Status.AWAITING_CASH:
            return HttpResponseRedirect(_order_url(number))  # nothing to cancel: the bill says where it stands
        return render(
            request,
            "web/payments/cancel.html",
            {
                "order": order,
                "row": order_row(order, me),
                "parts": order_parts(order, why=False),
                "words": _channel_words(order_channel(order)),
            },
        )
    try:
        outcome = confirm.order_payer_cancel(number=order.number, payer=me)
    except DomainError as error:
        order.refresh_from_db()
        return _order_page(request, order, error=error, status=error.status)
    words = with_channel(CANCEL_OUTCOMES[outcome], order_channel(order))
    if outcome == confirm.Close.NOT_CLOSABLE:
        messages.error(request, words)
    else:
        messages.success(request, words)
    return HttpResponseRedirect(_order_url(order.number))


@resident_required
def order_check(request: HttpRequest, number: str) -> HttpResponse:
    """The payer says they have paid: ask the channel now instead of waiting for its notify (the late-order query)."""
    if request.method != "POST":
        return HttpResponseRedirect(_order_url(number))
    order = _visible_order(_me(request), number)
    if order is None:
        return not_found(request, state.ORDER_NOT_FOUND)
    outcome = confirm.order_query_late(number=order.number)
    if outcome in (confirm.Cash.SETTLED, confirm.Close.SETTLED):
        messages.success(request, Bilingual("支付成功", "Payment confirmed").localized())
    elif outcome == confirm.Close.CLOSED:
        messages.info(
            request,
            Bilingual(
                "没有查到付款，支付时间已过，账单已关闭，冻结的款项已退回。",
                "No payment was found and the time to pay has passed: the bill is closed and what was held went back.",
            ).localized(),
        )
    elif outcome in (confirm.Query.WAITING, confirm.Query.RETRY_LATER):
        messages.info(
            request, Bilingual("暂未收到支付结果，请稍后再查", "No payment result yet; check again shortly").localized()
        )
    return HttpResponseRedirect(_order_url(order.number))
