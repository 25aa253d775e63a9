"""Residents' payments pages: bills from internet hospitals, paying them, and the orders' receipts.

Thin views over ``payments.online.orders`` (split, authorise, pay, query), mirroring the resident API in
``payments/online/views.py``. Counter settlements are in ``settlements.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from payments.online import orders
from payments.online.models import OnlineOrder
from payments.settlement.models import Settlement
from portal.clientip import client_ip
from portal.errors import Bilingual, DomainError, localized_label
from portal.money import fen_to_yuan
from portal.people.models import Person
from portal.web.access import resident_required
from portal.web.payments.shaping import (
    not_found,
    order_parts,
    order_row,
    settlement_row,
    split_digest,
    split_parts,
    tone,
    visible_people,
    with_return,
)

WAITING = (OnlineOrder.Status.PRE_SETTLED, OnlineOrder.Status.AWAITING_CASH)
RECENT_SETTLEMENTS = 5


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def _visible_order(me: Person, number: str) -> OnlineOrder | None:
    return (
        OnlineOrder.objects.filter(number=number, person_id__in=visible_people(me))
        .select_related("institution", "person")
        .first()
    )


def _order_url(number: str) -> str:
    return reverse("web-payment-order", kwargs={"number": number})


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
            "waiting": [order_row(o, me) for o in rows if o.status in WAITING],
            "history": [order_row(o, me) for o in rows if o.status not in WAITING],
            "settlements": [settlement_row(s, me) for s in settlements[:RECENT_SETTLEMENTS]],
        },
    )


def _order_page(
    request: HttpRequest, order: OnlineOrder, *, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    me = _me(request)
    context: dict[str, Any] = {
        "order": order,
        "row": order_row(order, me),
        "items": [(i.name, i.code, fen_to_yuan(i.amount_fen)) for i in order.items.all()],
        "error": error.message() if error else "",
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
                "created_at": r.created_at,
                "completed_at": r.completed_at,
            }
            for r in order.refunds.all()
        ],
    }
    if order.status == OnlineOrder.Status.PRE_SETTLED:
        expired = timezone.now() > order.expires_at
        context["expired"] = DomainError(orders.ORDER_EXPIRED).message() if expired else ""
        context["may_pay"] = not expired and orders.may_pay_for(payer=me, patient=order.person)
        try:
            split = orders.order_split(order=order)
        except DomainError as refusal:
            context["error"] = context["error"] or refusal.message()
            context["may_pay"] = False
        else:
            context["parts"] = split_parts(order, split)
            context["split_digest"] = split_digest(split)
            context["cash_due"] = split.cash_fen > 0
    else:
        context["parts"] = order_parts(order)
    if order.status == OnlineOrder.Status.AWAITING_CASH and order.h5_url:
        context["h5_url"] = with_return(order.h5_url, request.build_absolute_uri(_order_url(order.number)))
    return render(request, "web/payments/order.html", context, status=status)


@resident_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _visible_order(_me(request), number)
    if order is None:
        return not_found(request, orders.ORDER_NOT_FOUND)
    return _order_page(request, order)


@resident_required
def order_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Authorise the split the page showed and pay: insurance legs held, then off to the channel's H5 page."""
    if request.method != "POST":  # e.g. back from signing in again: show the bill, pay nothing
        return HttpResponseRedirect(_order_url(number))
    me = _me(request)
    order = _visible_order(me, number)
    if order is None:
        return not_found(request, orders.ORDER_NOT_FOUND)
    try:
        raw, _, split = orders.order_authorize(order=order, payer=me)
        if request.POST.get("split", "") != split_digest(split):
            raise DomainError(orders.SPLIT_CHANGED)  # what the payer saw is not what they would authorise now
        order = orders.order_pay(
            order_number=order.number,
            payer=me,
            pay_auth_no=raw,
            client_ip=client_ip(request) or "127.0.0.1",
        )
    except DomainError as error:
        order.refresh_from_db()
        return _order_page(request, order, error=error, status=error.status)
    if order.status == OnlineOrder.Status.SETTLED:
        messages.success(request, Bilingual("支付成功，已由医保结算", "Paid: settled by insurance").localized())
    elif order.h5_url:
        return HttpResponseRedirect(with_return(order.h5_url, request.build_absolute_uri(_order_url(order.number))))
    return HttpResponseRedirect(_order_url(order.number))


@resident_required
def order_check(request: HttpRequest, number: str) -> HttpResponse:
    """The payer says they have paid: ask the channel now instead of waiting for its notify (the late-order query)."""
    if request.method != "POST":
        return HttpResponseRedirect(_order_url(number))
    order = _visible_order(_me(request), number)
    if order is None:
        return not_found(request, orders.ORDER_NOT_FOUND)
    outcome = orders.order_query_late(number=order.number)
    if outcome == "settled":
        messages.success(request, Bilingual("支付成功", "Payment confirmed").localized())
    elif outcome in ("waiting", "retry later"):
        messages.info(
            request, Bilingual("暂未收到支付结果，请稍后再查", "No payment result yet; check again shortly").localized()
        )
    return HttpResponseRedirect(_order_url(order.number))
