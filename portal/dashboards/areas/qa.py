"""Policy Q&A: the answers residents found least helpful, and the searches that found nothing."""

from __future__ import annotations

from django.db.models import Count, F, Max, Q

from portal.dashboards.areas import in_period
from portal.dashboards.tables import Chart, Scope, Table, percent
from portal.errors import Bilingual
from portal.qa.models import EntryFeedback, EntryPage, SearchLog

LIMIT = 30


def tables(scope: Scope) -> list[Table]:
    """Two queries. An entry counts for a region when it applies there (its regions, or none: everywhere)."""
    feedback = EntryFeedback.objects.filter(**in_period(scope, "created_at"))
    if scope.region is not None:
        applies = EntryPage.objects.filter(Q(regions=scope.region) | Q(regions__isnull=True))
        feedback = feedback.filter(entry_id__in=applies.values("pk"))
    rows = (
        feedback.values("entry_id", "entry__title")
        .annotate(votes=Count("id"), helpful=Count("id", filter=Q(helpful=True)))
        .annotate(not_helpful=F("votes") - F("helpful"))
        .filter(not_helpful__gt=0)
        .order_by("-not_helpful", "helpful", "entry_id")[:LIMIT]
    )
    least = Table(
        key="least_helpful",
        title=Bilingual("最没帮助的回答", "The least helpful answers"),
        columns=[
            Bilingual("问题", "Question"),
            Bilingual("评价数", "Votes"),
            Bilingual("没帮助", "Not helpful"),
            Bilingual("有帮助比例（%）", "Helpful (%)"),
        ],
        chart=Chart("bar", (2,)),
        note=Bilingual("“没帮助”评价最多的30条", "The 30 answers most often voted not helpful"),
    )
    for row in rows:
        least.rows.append(
            [row["entry__title"], row["votes"], row["not_helpful"], percent(row["helpful"], row["votes"])]
        )

    searches = SearchLog.objects.filter(results=0, **in_period(scope, "created_at"))
    if scope.region is not None:
        searches = searches.filter(region=scope.region)
    failed = Table(
        key="searches_without_results",
        title=Bilingual("没有结果的搜索", "Searches that found nothing"),
        columns=[Bilingual("搜索词", "Search"), Bilingual("次数", "Times"), Bilingual("最近日期", "Last searched")],
        chart=Chart("bar", (1,)),
        note=Bilingual("最常见的30个", "The 30 most frequent"),
    )
    for row in (
        searches.values("query").annotate(times=Count("id"), last=Max("created_at")).order_by("-times", "query")[:LIMIT]
    ):
        failed.rows.append([row["query"], row["times"], row["last"].astimezone(scope.since.tzinfo).date()])
    return [least, failed]
