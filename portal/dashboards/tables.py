"""What a dashboard shows: tables of figures (each maybe drawn as a chart), for one region and date range.

A table's cells are the figures themselves (ints, Decimals, dates, short texts): the page, the chart and
the Excel export all read the same rows, so the export holds exactly what the page shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from django.conf import settings

from portal.errors import Bilingual
from portal.institutions.models import Region

Cell = str | int | Decimal | dt.date | None


@dataclass(frozen=True)
class Scope:
    """The filters: a region (None: every region) and the days from ``start`` to ``end`` inclusive, in the
    bureau's time zone."""

    start: dt.date
    end: dt.date
    region: Region | None = None

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def until(self) -> dt.datetime:
        """The first moment after the range (exclusive bound)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Chart:
    """Column 0 along the x axis; ``series`` are the indexes of the columns drawn (bars or lines)."""

    kind: Literal["bar", "line"]
    series: tuple[int, ...]


@dataclass
class Table:
    key: str  # the sheet's name in the export, and the table's anchor
    title: Bilingual
    columns: list[Bilingual]
    rows: list[list[Cell]] = field(default_factory=list)
    chart: Chart | None = None
    note: Bilingual | None = None


def yuan(fen: int | None) -> Decimal:
    """Fen as yuan with two decimals (the edges show yuan; the figures stay exact)."""
    return (Decimal(fen or 0) / 100).quantize(Decimal("0.01"))


def percent(part: int, whole: int) -> Decimal:
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1")) if whole else Decimal("0.0")


def choice(label: object) -> Bilingual:
    """A model choice's label, written "中文 / english", as a column heading."""
    zh, _, en = str(label).partition(" / ")
    return Bilingual(zh.strip(), en.strip() or zh.strip())
