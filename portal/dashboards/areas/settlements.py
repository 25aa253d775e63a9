"""Settlements at the counter: count and fund outlay per day and institution, the review queue, reversals
and refunds."""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from payments.settlement.models import Settlement, SettlementRefund
from portal.dashboards.areas import in_period, in_region
from portal.dashboards.tables import Chart, Scope, Table, yuan
from portal.errors import Bilingual, localized_label

TOP_INSTITUTIONS = 30  # the institutions with the largest outlay; the rest are in the admin


def tables(scope: Scope) -> list[Table]:
    """Five queries. Reversed settlements are not counted as settled (as the bulletins count them)."""
    settled = Settlement.objects.filter(
        **in_period(scope, "created_at"), **in_region(scope, "institution__region")
    ).exclude(status=Settlement.Status.REVERSED)
    totals = {"n": Count("id"), "total": Sum("total_fen"), "fund": Sum("fund_fen")}
    money = [Bilingual("结算笔数", "Settlements"), Bilingual("医疗总费用（元）", "Total (yuan)")]
    money.append(Bilingual("基金支出（元）", "Fund outlay (yuan)"))

    per_day = {
        row["day"]: row for row in settled.annotate(day=TruncDate("created_at")).values("day").annotate(**totals)
    }
    days = Table(
        key="settlements_per_day",
        title=Bilingual("每日结算与基金支出", "Settlements and fund outlay per day"),
        columns=[Bilingual("日期", "Day"), *money],
        chart=Chart("bar", (3,)),
    )
    for day in scope.days():
        row = per_day.get(day, {})
        days.rows.append([day, row.get("n", 0), yuan(row.get("total")), yuan(row.get("fund"))])

    institutions = Table(
        key="settlements_by_institution",
        title=Bilingual("各定点机构结算与基金支出", "Settlements and fund outlay by institution"),
        columns=[Bilingual("定点机构", "Institution"), *money],
        chart=Chart("bar", (3,)),
        note=Bilingual("基金支出最多的前30家机构", "The 30 institutions with the largest fund outlay"),
    )
    for row in (
        settled.values("institution__name").annotate(**totals).order_by("-fund", "institution__name")[:TOP_INSTITUTIONS]
    ):
        institutions.rows.append([row["institution__name"], row["n"], yuan(row["total"]), yuan(row["fund"])])

    review = Table(
        key="review_queue",
        title=Bilingual("人工审核队列", "The review queue"),
        columns=[Bilingual("审核状态", "Review"), *money],
        chart=Chart("bar", (1,)),
        note=Bilingual("“待人工审核”的结算等待经办处理", "Settlements flagged for review wait for staff"),
    )
    found = {
        row["review"]: row for row in settled.exclude(review=Settlement.Review.NONE).values("review").annotate(**totals)
    }
    for state in (Settlement.Review.FLAGGED, Settlement.Review.CLEARED, Settlement.Review.VIOLATION):
        row = found.get(state.value, {})
        review.rows.append(
            [localized_label(state.label), row.get("n", 0), yuan(row.get("total")), yuan(row.get("fund"))]
        )
    return [days, institutions, review, _reversals_and_refunds(scope)]


def _reversals_and_refunds(scope: Scope) -> Table:
    reversed_ = {
        row["day"]: row
        for row in Settlement.objects.filter(
            status=Settlement.Status.REVERSED,
            **in_period(scope, "reversed_at"),
            **in_region(scope, "institution__region"),
        )
        .annotate(day=TruncDate("reversed_at"))
        .values("day")
        .annotate(n=Count("id"), total=Sum("total_fen"))
    }
    refunded = {
        row["day"]: row
        for row in SettlementRefund.objects.filter(
            **in_period(scope, "created_at"), **in_region(scope, "settlement__institution__region")
        )
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            n=Count("id"),
            total=Sum(F("fund_fen") + F("assistance_fen") + F("personal_account_fen") + F("cash_fen")),
            fund=Sum("fund_fen", filter=Q(fund_fen__gt=0)),
        )
    }
    table = Table(
        key="reversals_refunds",
        title=Bilingual("每日冲正与退费", "Reversals and refunds per day"),
        columns=[
            Bilingual("日期", "Day"),
            Bilingual("冲正笔数", "Reversals"),
            Bilingual("冲正金额（元）", "Reversed (yuan)"),
            Bilingual("退费笔数", "Refunds"),
            Bilingual("退费金额（元）", "Refunded (yuan)"),
            Bilingual("退回基金（元）", "Back to the fund (yuan)"),
        ],
        chart=Chart("bar", (1, 3)),
    )
    for day in scope.days():
        r, f = reversed_.get(day, {}), refunded.get(day, {})
        table.rows.append(
            [day, r.get("n", 0), yuan(r.get("total")), f.get("n", 0), yuan(f.get("total")), yuan(f.get("fund"))]
        )
    return table
