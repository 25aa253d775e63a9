"""Residents' account statement page (消费明细, /statement/): my personal account's entries in words, filtered by
year, month and kind, 20 a page (older pages by cursor). Money on hold for an unpaid bill shows as on hold,
with a link to the bill. Bad filter values are named on the page and left out, never an error page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.errors import Bilingual
from portal.ledger.models import LedgerAccount
from portal.ledger.selectors import personal_account
from portal.ledger.statement import (
    CATEGORIES,
    StatementFilter,
    StatementLine,
    statement_entries,
    statement_lines,
    statement_years,
)
from portal.money import fen_to_yuan
from portal.parsing import ascii_digits, row_id
from portal.people.models import Person
from portal.web.access import resident_required
from vouchers.family import people_visible_to

PAGE_SIZE = 20
YEAR_MIN, YEAR_MAX = 2000, 2100


@dataclass(frozen=True)
class Row:
    """A statement line ready to print: words in the request's language, yuan, and a link to its bill."""

    line: StatementLine
    title: str
    yuan: str
    balance_after: str
    link: str
    for_person: str


def rows_for(*, me: Person, lines: list[StatementLine]) -> list[Row]:
    """Lines as rows. A bill is linked only when it is mine or a relative's whose code I hold (the payments
    pages' access rule); money paid for a bound relative under family sharing links nowhere else."""
    visible = set(people_visible_to(viewer=me)) if any(line.bill for line in lines) else set()
    rows = []
    for line in lines:
        link = ""
        if line.bill and (line.for_person_id is None or line.for_person_id in visible):
            link = (
                f"/payments/orders/{line.bill}" if line.bill_kind == "order" else f"/payments/settlements/{line.bill}"
            )
        rows.append(
            Row(
                line=line,
                title=line.title.localized(),
                yuan=fen_to_yuan(line.amount_fen),
                balance_after=fen_to_yuan(line.balance_after_fen) if line.balance_after_fen is not None else "",
                link=link,
                for_person=line.for_person_name,
            )
        )
    return rows


def recent_rows(*, me: Person, account: LedgerAccount | None, limit: int = 5) -> list[Row]:
    """The newest entries, for the home page."""
    if account is None:
        return []
    entries = statement_entries(account=account, filters=StatementFilter(), limit=limit)
    return rows_for(me=me, lines=statement_lines(entries=entries, owner_id=me.pk))


def _filters(params: Any) -> tuple[StatementFilter, int | None, list[str]]:
    """The filters from the query string; a bad value is left out and named in ``problems``."""
    problems: list[str] = []
    year = month = None
    text = params.get("year", "").strip()
    if text:
        if ascii_digits(text) and len(text) == 4 and YEAR_MIN <= int(text) <= YEAR_MAX:
            year = int(text)
        else:
            problems.append(
                Bilingual("年份无效，已显示全部年份", "That year is not valid; showing all years").localized()
            )
    text = params.get("month", "").strip()
    if text:
        if not (ascii_digits(text) and len(text) <= 2 and 1 <= int(text) <= 12):
            problems.append(
                Bilingual("月份应为1到12，已显示全年", "A month is 1 to 12; showing the whole year").localized()
            )
        elif year is None:
            problems.append(Bilingual("请先选择年份，再选择月份", "Choose a year before a month").localized())
        else:
            month = int(text)
    category = params.get("kind", "").strip()
    if category and category not in CATEGORIES:
        problems.append(Bilingual("没有这种类型，已显示全部类型", "No such kind; showing every kind").localized())
        category = ""
    before = None
    text = params.get("before", "").strip()
    if text:
        before = row_id(text)
        if before is None:
            problems.append(
                Bilingual("页码无效，已显示最新记录", "That page is not valid; showing the newest").localized()
            )
    return StatementFilter(year=year, month=month, category=category), before, problems


def _query(filters: StatementFilter, **extra: Any) -> str:
    values = {"year": filters.year or "", "month": filters.month or "", "kind": filters.category, **extra}
    return urlencode({key: value for key, value in values.items() if value})


@resident_required
def statement(request: HttpRequest) -> HttpResponse:
    me: Person = request.person  # type: ignore[attr-defined]
    account = personal_account(person=me)
    filters, before, problems = _filters(request.GET)
    context: dict[str, Any] = {
        "me": me,
        "account": account,
        "problems": problems,
        "filters": filters,
        "kinds": [(key, words.localized()) for key, words in CATEGORIES.items()],
        "months": list(range(1, 13)),
        "years": [timezone.localdate().year],
        "rows": [],
    }
    if account is not None:
        entries = statement_entries(account=account, filters=filters, before_id=before, limit=PAGE_SIZE)
        context["rows"] = rows_for(me=me, lines=statement_lines(entries=entries, owner_id=me.pk))
        context["balance"] = fen_to_yuan(account.balance)
        context["years"] = statement_years(account=account)
        if filters.year is not None and filters.year not in context["years"]:
            context["years"] = sorted({*context["years"], filters.year}, reverse=True)
        if len(entries) == PAGE_SIZE:
            context["older"] = "?" + _query(filters, before=entries[-1].pk)
        if before is not None:
            context["newest"] = "?" + _query(filters)
    return render(request, "web/statement/list.html", context)
