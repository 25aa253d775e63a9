"""Excel export of exactly the tables a dashboard shows: a sheet for the filters, then one sheet per table
(its title, its headings, its rows). Text that a spreadsheet would run as a formula gets a leading
apostrophe (portal.qa.reports.csv_safe), as every export of the project does."""

from __future__ import annotations

import datetime as dt
import io

from django.utils.text import capfirst
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from portal.dashboards.tables import Scope, Table
from portal.errors import Bilingual
from portal.qa.reports import csv_safe


def workbook(*, title: str, scope: Scope, tables: list[Table]) -> bytes:
    book = Workbook()
    about = book.active
    assert about is not None
    about.title = "filters"
    region = scope.region.name if scope.region is not None else Bilingual("全部统筹区", "All regions").localized()
    for row in (
        [csv_safe(title)],
        [Bilingual("统筹区", "Region").localized(), csv_safe(region)],
        [Bilingual("开始日期", "From").localized(), scope.start],
        [Bilingual("结束日期", "To").localized(), scope.end],
    ):
        about.append(row)
    for table in tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([csv_safe(table.title.localized())])
        sheet.append([csv_safe(capfirst(column.localized())) for column in table.columns])
        for row in table.rows:
            sheet.append([csv_safe(cell) for cell in row])
        for n, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = max(12, 2 * len(column.localized()) + 2)
        for cells in sheet.iter_rows(min_row=3):
            for cell in cells:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
