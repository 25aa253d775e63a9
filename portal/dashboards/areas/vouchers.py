"""E-vouchers: activation rate by region and channel, over time; scans by business type per day."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from portal.dashboards.areas import in_period, in_region
from portal.dashboards.tables import Cell, Chart, Scope, Table, choice, percent
from portal.errors import Bilingual, localized_label
from portal.people.models import Person
from vouchers.models import ScanSession, Voucher


def tables(scope: Scope) -> list[Table]:
    """Five queries: insured persons, active vouchers by region and channel, those activated before the
    range, activations per day, scans per day."""
    insured = dict(
        Person.objects.filter(insured=True, **in_region(scope, "region"))
        .values("region__code")
        .annotate(n=Count("id"))
        .values_list("region__code", "n")
    )
    active = Voucher.objects.filter(status=Voucher.Status.ACTIVE, **in_region(scope, "person__region"))
    labels = dict(Voucher.Channel.choices)
    by_region = Table(
        key="activation_by_region",
        title=Bilingual("按统筹区和渠道的激活率", "Activation rate by region and channel"),
        columns=[
            Bilingual("统筹区", "Region"),
            Bilingual("渠道", "Channel"),
            Bilingual("期间激活", "Activated in the period"),
            Bilingual("截至期末有效", "Active at the end of the period"),
            Bilingual("参保人数", "Insured persons"),
            Bilingual("激活率（%）", "Activation rate (%)"),
        ],
        note=Bilingual("激活率＝截至期末仍有效的电子凭证÷参保人数", "Rate = e-vouchers active at the end ÷ insured"),
    )
    rows = (
        active.filter(activated_at__lt=scope.until)
        .values("person__region__code", "person__region__name", "channel")
        .annotate(total=Count("id"), in_period=Count("id", filter=Q(activated_at__gte=scope.since)))
        .order_by("person__region__code", "channel")
    )
    for row in rows:
        of = insured.get(row["person__region__code"], 0)
        by_region.rows.append(
            [
                row["person__region__name"],
                localized_label(labels[row["channel"]]),
                row["in_period"],
                row["total"],
                of,
                percent(row["total"], of),
            ]
        )
    return [by_region, _rate_over_time(scope, active, sum(insured.values())), _scans(scope)]


def _rate_over_time(scope: Scope, active: QuerySet[Voucher], insured: int) -> Table:
    before = dict(
        active.filter(activated_at__lt=scope.since)
        .values("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    daily: dict[tuple[object, str], int] = {
        (row["day"], row["channel"]): row["n"]
        for row in active.filter(**in_period(scope, "activated_at"))
        .annotate(day=TruncDate("activated_at"))
        .values("day", "channel")
        .annotate(n=Count("id"))
    }
    channels = [c for c in Voucher.Channel if c in before or any(ch == c for _, ch in daily)]
    table = Table(
        key="activation_over_time",
        title=Bilingual("各渠道累计激活率（按日）", "Activation rate by channel over time"),
        columns=[Bilingual("日期", "Day")] + [choice(c.label) for c in channels] + [Bilingual("合计", "All channels")],
        chart=Chart("line", tuple(range(1, len(channels) + 2))),
        note=Bilingual(
            "每日截至当日的激活率（%），按仍有效的电子凭证计",
            "Rate (%) at the end of each day, of e-vouchers still active",
        ),
    )
    running = defaultdict(int, before)
    for day in scope.days():
        for channel in channels:
            running[channel] += daily.get((day, channel), 0)
        rates: list[Cell] = [percent(running[c], insured) for c in channels]
        table.rows.append([day, *rates, percent(sum(running.values()), insured)])
    return table


def _scans(scope: Scope) -> Table:
    counts = {
        (row["day"], row["business_type"]): row["n"]
        for row in ScanSession.objects.filter(
            **in_period(scope, "created_at"), **in_region(scope, "institution__region")
        )
        .annotate(day=TruncDate("created_at"))
        .values("day", "business_type")
        .annotate(n=Count("id"))
    }
    types = list(ScanSession.BusinessType)
    table = Table(
        key="scans_by_business",
        title=Bilingual("按业务类型的每日扫码次数", "Scans by business type per day"),
        columns=[Bilingual("日期", "Day")] + [choice(t.label) for t in types],
        chart=Chart("bar", tuple(range(1, len(types) + 1))),
    )
    for day in scope.days():
        table.rows.append([day] + [counts.get((day, t.value), 0) for t in types])
    return table
