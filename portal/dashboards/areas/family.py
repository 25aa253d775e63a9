"""Family sharing (家庭共济): bindings by relation, and what relatives' personal accounts paid."""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from portal.dashboards.areas import in_period, in_region
from portal.dashboards.tables import Chart, Scope, Table, yuan
from portal.errors import Bilingual, localized_label
from portal.family.models import FamilyBinding, Relation
from portal.ledger.models import LedgerAccount, LedgerEntry


def tables(scope: Scope) -> list[Table]:
    """Two queries."""
    return [_bindings(scope), _paid_by_relatives(scope)]


def _bindings(scope: Scope) -> Table:
    in_force_at_end = Q(
        status__in=[FamilyBinding.Status.ACTIVE, FamilyBinding.Status.UNBOUND], activated_at__lt=scope.until
    ) & (Q(ended_at__isnull=True) | Q(ended_at__gte=scope.until))
    found = {
        row["relation"]: row
        for row in FamilyBinding.objects.filter(**in_region(scope, "initiator__region"))
        .values("relation")
        .annotate(
            requested=Count("id", filter=Q(**in_period(scope, "created_at"))),
            activated=Count("id", filter=Q(**in_period(scope, "activated_at"))),
            ended=Count("id", filter=Q(status=FamilyBinding.Status.UNBOUND, **in_period(scope, "ended_at"))),
            active=Count("id", filter=in_force_at_end),
        )
    }
    table = Table(
        key="bindings",
        title=Bilingual("家庭共济绑定（按关系）", "Family-sharing bindings by relation"),
        columns=[
            Bilingual("关系", "Relation"),
            Bilingual("期间申请", "Requested"),
            Bilingual("期间生效", "Became active"),
            Bilingual("期间解绑", "Unbound"),
            Bilingual("期末有效", "Active at the end"),
        ],
        chart=Chart("bar", (1, 2, 3)),
        note=Bilingual(
            "按绑定发起人（个人账户所有人）所在统筹区", "By the region of the initiator (the account holder)"
        ),
    )
    for relation in Relation:
        row = found.get(relation.value, {})
        table.rows.append(
            [
                localized_label(relation.label),
                row.get("requested", 0),
                row.get("activated", 0),
                row.get("ended", 0),
                row.get("active", 0),
            ]
        )
    return table


def _paid_by_relatives(scope: Scope) -> Table:
    """Legs on a personal account whose owner is not the one the purchase was for: a relative paid."""
    rows = {
        row["day"]: row
        for row in LedgerEntry.objects.filter(
            account__kind=LedgerAccount.Kind.PERSONAL,
            transaction__beneficiary__isnull=False,
            **in_period(scope, "created_at"),
            **in_region(scope, "transaction__beneficiary__region"),
        )
        .exclude(account__person=F("transaction__beneficiary"))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            payments=Count("transaction", distinct=True, filter=Q(amount__lt=0)),
            paid=Sum("amount", filter=Q(amount__lt=0)),
            returned=Sum("amount", filter=Q(amount__gt=0)),
        )
    }
    table = Table(
        key="paid_by_relatives",
        title=Bilingual("亲属个人账户代付金额（按日）", "Amounts paid by relatives per day"),
        columns=[
            Bilingual("日期", "Day"),
            Bilingual("代付笔数", "Payments"),
            Bilingual("代付金额（元）", "Paid (yuan)"),
            Bilingual("退回金额（元）", "Refunded (yuan)"),
        ],
        chart=Chart("bar", (2, 3)),
        note=Bilingual("按就医人所在统筹区", "By the region of the person treated"),
    )
    for day in scope.days():
        row = rows.get(day, {})
        table.rows.append([day, row.get("payments", 0), yuan(-(row.get("paid") or 0)), yuan(row.get("returned"))])
    return table
