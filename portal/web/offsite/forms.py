"""Reading the off-site filing forms, one question at a time: what is missing or unreadable, in words.

The rules (eligibility, dates a category allows, overlaps) stay in the services; these only read what was typed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import QueryDict

from portal.errors import Bilingual

ADDRESS_MAX = 200

CATEGORY_REQUIRED = Bilingual("请选择备案类别", "Choose a kind of filing")
DESTINATION_REQUIRED = Bilingual("请输入或选择就医的城市", "Enter or choose the city where you will get care")
ADDRESS_REQUIRED = Bilingual("请输入您在就医地的联系地址", "Enter your address there")
ADDRESS_TOO_LONG = Bilingual(f"联系地址最多 {ADDRESS_MAX} 个字", f"The address has at most {ADDRESS_MAX} characters")
DATE_REQUIRED = {
    "start_date": Bilingual("请输入开始日期", "Enter the start date"),
    "end_date": Bilingual("请输入结束日期", "Enter the end date"),
}
DATE_FORMAT = Bilingual("请按“年-月-日”填写日期，如 2026-12-01", "Enter the date as year-month-day, e.g. 2026-12-01")


def read_date(data: QueryDict, name: str, errors: dict[str, str], *, required: bool) -> dt.date | None:
    raw = data.get(name, "").strip()
    if not raw:
        if required:
            errors[name] = DATE_REQUIRED[name].localized()
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = DATE_FORMAT.localized()
        return None


def read_address(data: QueryDict, errors: dict[str, str]) -> str:
    address = data.get("contact_address", "").strip()
    if not address:
        errors["contact_address"] = ADDRESS_REQUIRED.localized()
    elif len(address) > ADDRESS_MAX:
        errors["contact_address"] = ADDRESS_TOO_LONG.localized()
    return address


@dataclass
class ChangeForm:
    """A change to a filing: the contact address and, for filings with an end, the end date."""

    contact_address: str = ""
    end_date: dt.date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, data: QueryDict, *, has_end: bool) -> ChangeForm:
        form = cls(errors={})
        form.contact_address = read_address(data, form.errors)
        if has_end:
            form.end_date = read_date(data, "end_date", form.errors, required=True)
        return form
