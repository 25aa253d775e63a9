"""Reading the off-site filing forms: required fields and ISO dates only. The rules stay in the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import QueryDict

from portal.errors import Bilingual
from portal.offsite.models import FilingCategory

ADDRESS_MAX = 200

REQUIRED = Bilingual("请填写此项", "Fill this in")
CATEGORY_REQUIRED = Bilingual("请选择备案类别", "Choose a kind of filing")
DATE_FORMAT = Bilingual("请填写有效日期（年-月-日）", "Enter a valid date (year-month-day)")
ADDRESS_TOO_LONG = Bilingual(f"联系地址最多 {ADDRESS_MAX} 个字", f"The address has at most {ADDRESS_MAX} characters")


def _date(raw: str) -> dt.date:
    return dt.date.fromisoformat(raw.strip())


def _optional_date(data: QueryDict, name: str, errors: dict[str, str]) -> dt.date | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    try:
        return _date(raw)
    except ValueError:
        errors[name] = DATE_FORMAT.localized()
        return None


def _address(data: QueryDict, errors: dict[str, str]) -> str:
    address = data.get("contact_address", "").strip()
    if not address:
        errors["contact_address"] = REQUIRED.localized()
    elif len(address) > ADDRESS_MAX:
        errors["contact_address"] = ADDRESS_TOO_LONG.localized()
    return address


@dataclass
class FilingForm:
    """A new filing as typed in; ``errors`` maps a field to a message in the request's language."""

    category: str = ""
    destination_code: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    admission_date: dt.date | None = None
    contact_address: str = ""
    commitment_version: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, data: QueryDict) -> FilingForm:
        form = cls(errors={})
        form.category = data.get("category", "")
        if form.category not in FilingCategory.Code.values:
            form.errors["category"] = CATEGORY_REQUIRED.localized()
        form.destination_code = data.get("destination_code", "").strip()
        if not form.destination_code:
            form.errors["destination_code"] = REQUIRED.localized()
        raw_start = data.get("start_date", "").strip()
        if not raw_start:
            form.errors["start_date"] = REQUIRED.localized()
        else:
            form.start_date = _optional_date(data, "start_date", form.errors)
        form.end_date = _optional_date(data, "end_date", form.errors)
        form.admission_date = _optional_date(data, "admission_date", form.errors)
        form.contact_address = _address(data, form.errors)
        form.commitment_version = data.get("commitment_version", "").strip() or None
        return form


@dataclass
class ChangeForm:
    """A change to a filing: the contact address and, for filings with an end, the end date."""

    contact_address: str = ""
    end_date: dt.date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, data: QueryDict, *, has_end: bool) -> ChangeForm:
        form = cls(errors={})
        form.contact_address = _address(data, form.errors)
        if has_end:
            if not data.get("end_date", "").strip():
                form.errors["end_date"] = REQUIRED.localized()
            else:
                form.end_date = _optional_date(data, "end_date", form.errors)
        return form
