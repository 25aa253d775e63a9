"""Residents' insurance page (参保信息, /insurance/): enrolment, kind of insurance, pooling region, whether
contributions cover today, and each year's contributions, periods without them and the money paid into the
personal account, 10 years a page. Only what the bureau's data holds (see portal/people/insurance.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.errors import Bilingual, localized_label
from portal.money import fen_to_yuan
from portal.parsing import row_id
from portal.people.api_insurance import YEAR_STATUS, enrolment_words
from portal.people.insurance import contribution_years, insurance_status
from portal.people.models import Person
from portal.web.access import resident_required

TONES = {"paid": "ok", "unpaid": "bad", "no_record": "off"}


@resident_required
def insurance(request: HttpRequest) -> HttpResponse:
    me: Person = request.person  # type: ignore[attr-defined]
    text = request.GET.get("page", "").strip()
    page = row_id(text) if text else 1
    problem = ""
    if page is None:
        problem = Bilingual("页码无效，已显示第1页", "That page is not valid; showing page 1").localized()
        page = 1
    status = insurance_status(person=me)
    years = contribution_years(person=me, page=min(page, 10_000))
    context: dict[str, Any] = {
        "me": me,
        "status": status,
        "problem": problem,
        "enrolment": enrolment_words(status.insured).localized(),
        "insurance_type": localized_label(me.get_insurance_type_display()),
        "assistance": localized_label(me.get_assistance_group_display())
        if me.assistance_group != Person.AssistanceGroup.NONE
        else "",
        "years": [
            {
                "year": y.year,
                "status": y.status,
                "status_label": YEAR_STATUS[y.status].localized(),
                "tone": TONES[y.status],
                "paid_on": y.paid_on,
                "lapses": y.lapses,
                "allocated": fen_to_yuan(y.allocated_fen) if y.allocations else "",
                "allocations": y.allocations,
            }
            for y in years.years
        ],
        "page": years.page,
        "pages": years.pages,
    }
    return render(request, "web/insurance/page.html", context)
