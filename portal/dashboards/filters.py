"""The filters every dashboard takes (GET): a region and a date range, by default the last 30 days in
every region."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from portal.dashboards.tables import Scope
from portal.errors import Bilingual
from portal.institutions.models import Region

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year of daily rows at most: the charts and the export stay readable

RANGE_REVERSED = Bilingual("开始日期不能晚于结束日期", "The start date must not be after the end date")
RANGE_TOO_LONG = Bilingual("日期范围最长366天", "The date range may be 366 days at most")


class FilterForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), to_field_name="code", required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = Region.objects.filter(active=True).order_by("code")
        region.label = Bilingual("统筹区", "Region").localized()
        region.empty_label = Bilingual("全部统筹区", "All regions").localized()
        self.fields["start"].label = Bilingual("开始日期", "From").localized()
        self.fields["end"].label = Bilingual("结束日期", "To").localized()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(RANGE_REVERSED.localized())
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(RANGE_TOO_LONG.localized())
        data["start"], data["end"] = start, end
        return data


def scope_from(query: QueryDict) -> tuple[FilterForm, Scope]:
    """The form (bound, with its errors to show) and the scope: the defaults when the filters are invalid."""
    form = FilterForm(query or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, Scope(start=data["start"], end=data["end"], region=data["region"])
    today = timezone.localdate()
    if not form.is_bound:
        form = FilterForm(initial={"start": today - dt.timedelta(days=DEFAULT_DAYS - 1), "end": today})
    return form, Scope(start=today - dt.timedelta(days=DEFAULT_DAYS - 1), end=today)
