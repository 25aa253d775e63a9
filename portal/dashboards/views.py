"""The dashboard pages and their Excel export. Thin: check the group, read the filters, build the tables,
shape them for the page (the SVG charts) or the workbook."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from portal.dashboards import charts, export
from portal.dashboards.filters import scope_from
from portal.dashboards.registry import Area, areas_for
from portal.dashboards.tables import Cell, Table


def _area(request: HttpRequest, slug: str) -> Area:
    """The area, if the user's groups open it; anything else is the admin's 403 (the admin's own login
    redirect has already turned away whoever is not staff)."""
    allowed = {area.slug: area for area in areas_for(request.user)}
    if slug not in allowed:
        raise PermissionDenied
    return allowed[slug]


def text(cell: Cell) -> str:
    """A figure as the page prints it (the export keeps the value itself)."""
    if cell is None:
        return ""
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, Decimal):
        return f"{cell:f}"
    return str(cell)


@dataclass
class ShownTable:
    key: str
    title: str
    note: str
    headings: list[tuple[str, bool]]  # (text, whether the column holds numbers: right-aligned)
    rows: list[list[tuple[str, bool]]]
    chart: SafeString | None


def shown(table: Table) -> ShownTable:
    headings = [capfirst(column.localized()) for column in table.columns]
    title = table.title.localized()
    chart = None
    if table.chart is not None and table.rows:
        labels = [text(row[0])[5:] if isinstance(row[0], dt.date) else text(row[0]) for row in table.rows]
        chart = charts.render(table, title=title, labels=labels, names=[headings[i] for i in table.chart.series])
    first = table.rows[0] if table.rows else []
    numeric = [isinstance(cell, int | Decimal) for cell in first]
    return ShownTable(
        key=table.key,
        title=title,
        note=table.note.localized() if table.note else "",
        headings=list(zip(headings, numeric or [False] * len(headings), strict=True)),
        rows=[[(text(cell), isinstance(cell, int | Decimal)) for cell in row] for row in table.rows],
        chart=chart,
    )


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    area = _area(request, slug)
    form, scope = scope_from(request.GET)
    tables = area.tables(scope)
    context = {
        **admin.site.each_context(request),
        "title": area.title.localized(),
        "area": area,
        "areas": [(a.slug, a.title.localized()) for a in areas_for(request.user)],
        "form": form,
        "scope": scope,
        "tables": [shown(table) for table in tables],
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "dashboards/page.html", context)


def dashboard_export(request: HttpRequest, slug: str) -> HttpResponse:
    area = _area(request, slug)
    _, scope = scope_from(request.GET)
    content = export.workbook(title=area.title.localized(), scope=scope, tables=area.tables(scope))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"dashboard-{area.slug}-{scope.start.isoformat()}-{scope.end.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
