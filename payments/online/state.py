"""Shared order state of online payment: the order's row lock, its moves along declared transitions, the
signed events the hospital is sent, and the channel its cash goes through.

The bottom of the online-payment modules (below upload and pay, cash confirmation and close, refunds,
notifies and reconciliation, and the tasks; ``.importlinter`` holds them to that order). Rules: the lock
order of portal.concurrency (the order row, then the person, then accounts in id order); never call the
channel while holding a lock.
"""

from __future__ import annotations

from typing import Any

from payments.channels.base import CashChannel
from payments.channels.factory import WECHATPAY, get_channel
from payments.online.jobs import Job, enqueue_after_commit
from payments.online.models import HospitalEvent, OnlineOrder, OrderEvent
from payments.online.words import status_words
from portal.errors import DomainError, define
from portal.transitions import transition

ORDER_NOT_FOUND = define("order_not_found", 404, "未找到该订单", "No such order")
ORDER_STATE = define(
    "order_state_refused",
    409,
    "这笔账单当前为“{status}”，不能进行这一步。请返回账单查看",
    "This bill is now “{status}”, so this step is not possible. Go back to the bill to see where it stands",
)


def state_refused(status: str) -> DomainError:
    """``order_state_refused`` with the status in the resident's words (the raw value in ``details``)."""
    return DomainError(ORDER_STATE, details={"status": status}, status=status_words(status))


def locked(*, number: str, institution_id: int | None = None) -> OnlineOrder:
    """The order, row-locked for the current transaction (``order_not_found`` if there is none, or none of
    that institution's)."""
    qs = OnlineOrder.objects.select_for_update(no_key=True).filter(number=number)
    if institution_id is not None:
        qs = qs.filter(institution_id=institution_id)
    order = qs.first()
    if order is None:
        raise DomainError(ORDER_NOT_FOUND)
    return order


def move(order: OnlineOrder, new: str, *, note: str = "", **fields: Any) -> OnlineOrder:
    """Compare-and-set along a declared transition, with a history row. Call inside a transaction."""
    return transition(
        order,
        new,
        transitions=OnlineOrder.TRANSITIONS,
        refused=state_refused,
        history=lambda old, to: OrderEvent.objects.create(order=order, from_status=old, to_status=to, note=note[:200]),
        **fields,
    )


def note(order: OnlineOrder, text: str) -> None:
    """A history row that does not change the status (e.g. the split updated, a late payment)."""
    OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, note=text[:200])


def hospital_event(order: OnlineOrder, kind: str, **extra: Any) -> HospitalEvent:
    """Queue a signed notification to the hospital, sent after commit."""
    payload = {
        "order": order.number,
        "status": order.status,
        "total": order.total_fen,
        "fund": order.fund_fen + order.assistance_fen,
        "personal": order.personal_fen,
        "cash": order.cash_fen,
        **extra,
    }
    event = HospitalEvent.objects.create(order=order, kind=kind, payload=payload)
    enqueue_after_commit(Job.DELIVER_HOSPITAL_EVENT, event.pk)
    return event


def channel_of(order: OnlineOrder) -> CashChannel:
    """The channel the order's cash went through (its refunds go back the same way)."""
    return get_channel(order.channel or WECHATPAY)
