"""Internet-hospital orders: by state, the lag of the channels' payment notifies, reconciliation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum

from payments.online.models import ChannelNotification, OnlineOrder, ReconciliationDifference, ReconciliationRun
from portal.dashboards.areas import in_period, in_region
from portal.dashboards.tables import Chart, Scope, Table, yuan
from portal.errors import Bilingual, localized_label


def tables(scope: Scope) -> list[Table]:
    """Four queries."""
    return [_by_state(scope), _notify_lag(scope), *_reconciliation(scope)]


def _by_state(scope: Scope) -> Table:
    found = {
        row["status"]: row
        for row in OnlineOrder.objects.filter(
            **in_period(scope, "created_at"), **in_region(scope, "institution__region")
        )
        .values("status")
        .annotate(n=Count("id"), total=Sum("total_fen"), cash=Sum("cash_fen"))
    }
    table = Table(
        key="orders_by_state",
        title=Bilingual("线上订单状态", "Online orders by state"),
        columns=[
            Bilingual("状态", "State"),
            Bilingual("订单数", "Orders"),
            Bilingual("医疗总费用（元）", "Total (yuan)"),
            Bilingual("现金部分（元）", "Cash share (yuan)"),
        ],
        chart=Chart("bar", (1,)),
        note=Bilingual("期间内创建的订单的当前状态", "The present state of the orders created in the period"),
    )
    for status in OnlineOrder.Status:
        row = found.get(status.value, {})
        table.rows.append(
            [localized_label(status.label), row.get("n", 0), yuan(row.get("total")), yuan(row.get("cash"))]
        )
    return table


def _orders_of_region(scope: Scope) -> dict[str, QuerySet[OnlineOrder, Any]]:
    """Notifies and bill rows name an order by its trade number: in one region, those of its orders."""
    if scope.region is None:
        return {}
    numbers = OnlineOrder.objects.filter(institution__region=scope.region).exclude(out_trade_no="")
    return {"out_trade_no__in": numbers.values("out_trade_no")}


def _seconds(value: dt.timedelta | None) -> Decimal:
    return Decimal(value.total_seconds()).quantize(Decimal("0.1")) if value is not None else Decimal("0.0")


def _notify_lag(scope: Scope) -> Table:
    lag = ExpressionWrapper(F("processed_at") - F("received_at"), output_field=DurationField())
    rows = (
        ChannelNotification.objects.filter(
            **in_period(scope, "received_at"), **_orders_of_region(scope), notify_id__isnull=False, duplicate_of=None
        )
        .values("channel")
        .annotate(
            n=Count("id"),
            waiting=Count("id", filter=Q(processed_at__isnull=True)),
            average=Avg(lag),
            longest=Max(lag),
        )
        .order_by("channel")
    )
    table = Table(
        key="notify_lag",
        title=Bilingual("支付通知处理时延", "Payment notify lag"),
        columns=[
            Bilingual("渠道", "Channel"),
            Bilingual("收到通知", "Notifies received"),
            Bilingual("未处理", "Not processed yet"),
            Bilingual("平均时延（秒）", "Average lag (s)"),
            Bilingual("最长时延（秒）", "Longest lag (s)"),
        ],
        chart=Chart("bar", (3, 4)),
        note=Bilingual("从收到渠道通知到订单入账", "From the channel's notify arriving to the order settled"),
    )
    for row in rows:
        table.rows.append(
            [row["channel"], row["n"], row["waiting"], _seconds(row["average"]), _seconds(row["longest"])]
        )
    return table


def _reconciliation(scope: Scope) -> list[Table]:
    runs = Table(
        key="reconciliation_runs",
        title=Bilingual("对账结果", "Reconciliation runs"),
        columns=[
            Bilingual("对账日", "Bill date"),
            Bilingual("渠道", "Channel"),
            Bilingual("账单笔数", "Bill rows"),
            Bilingual("一致", "Matched"),
            Bilingual("差异", "Differences"),
            Bilingual("已处理", "Fixed"),
        ],
        note=Bilingual("对账按渠道进行，涵盖所有统筹区", "Runs are per channel and cover every region"),
    )
    for run in ReconciliationRun.objects.filter(bill_date__gte=scope.start, bill_date__lte=scope.end).order_by(
        "bill_date", "channel"
    ):
        runs.rows.append([run.bill_date, run.channel, run.bill_rows, run.matched, run.differences, run.fixed])
    found = {
        row["kind"]: row
        for row in ReconciliationDifference.objects.filter(
            run__bill_date__gte=scope.start, run__bill_date__lte=scope.end, **_orders_of_region(scope)
        )
        .values("kind")
        .annotate(n=Count("id"), fixed=Count("id", filter=Q(fixed=True)))
    }
    kinds = Table(
        key="reconciliation_differences",
        title=Bilingual("对账差异", "Reconciliation differences"),
        columns=[Bilingual("差异类型", "Difference"), Bilingual("笔数", "Count"), Bilingual("已处理", "Fixed")],
        chart=Chart("bar", (1, 2)),
    )
    for kind in ReconciliationDifference.Kind:
        row = found.get(kind.value, {})
        kinds.rows.append([localized_label(kind.label), row.get("n", 0), row.get("fixed", 0)])
    return [runs, kinds]
