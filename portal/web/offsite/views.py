"""Residents' off-site filing pages (异地就医备案): my filings, a new one with the commitment, change, cancel.

Thin views over ``portal.offsite.services``, mirroring the resident API in ``portal/offsite/views.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation

from portal import divisions
from portal.errors import Bilingual, DomainError, localized_label
from portal.offsite import services
from portal.offsite.models import FilingCategory, OffsiteFiling
from portal.parsing import row_id
from portal.people.models import Person
from portal.web.access import field_errors, resident_required
from portal.web.offsite.forms import ChangeForm
from vouchers.family import may_act_for, person_visible_to, relatives_held_by

LIST_URL = "/offsite/"

CHANGE_FIELDS = {services.DATES_INVALID: "end_date"}
# filing_dates_invalid carries its reason: these are about the end date, the others about the start.
END_DATE_REASONS = {"end_before_start", "too_long", "end_required", "end_not_allowed"}
NOTHING_CHANGED = Bilingual("您没有修改任何内容", "You changed nothing")

BY = {
    "resident": Bilingual("参保人本人", "The insured person"),
    "guardian": Bilingual("亲属代办", "A relative holding the code"),
    "staff": Bilingual("医保经办机构", "Insurance bureau"),
    "system": Bilingual("系统", "System"),
}


STATUSES: dict[str, str] = dict(OffsiteFiling.Status.choices)
FIELD_NAMES = {
    "contact_address": Bilingual("联系地址", "address"),
    "end_date": Bilingual("结束日期", "end date"),
}


def _note(note: str) -> str:
    """The history note in the request's language where it is one the services write; staff notes as typed."""
    if note == "documents":
        return Bilingual("证明材料", "Documents").localized()
    if note.startswith("commitment "):
        version = note.removeprefix("commitment ")
        return Bilingual(f"承诺书 {version}", f"Commitment {version}").localized()
    if note.startswith("changed: "):
        names = [FIELD_NAMES.get(n.strip(), Bilingual(n.strip(), n.strip())) for n in note[9:].split(",")]
        return Bilingual(
            "变更：" + "、".join(n.zh for n in names), "Changed: " + ", ".join(n.en for n in names)
        ).localized()
    if note == "verified: true":
        return Bilingual("核查属实", "Verified as true").localized()
    if note.startswith("verified: false"):
        reason = note.removeprefix("verified: false").lstrip(": ")
        return Bilingual(f"核查不实：{reason}", f"Found false: {reason}").localized()
    if note.startswith("SMS notice failed"):
        return Bilingual("短信通知发送失败", "The SMS notice failed").localized()
    return note


def _me(request: HttpRequest) -> Person:
    return request.person  # type: ignore[attr-defined]


def _relatives(me: Person) -> list[Person]:
    """The relatives whose e-voucher I hold: I may file for them."""
    return relatives_held_by(holder=me)


def _subject(me: Person, raw: str) -> Person:
    """Myself, or a relative whose e-voucher I hold (like the API's ``person_id``)."""
    subject = person_visible_to(viewer=me, person_id=row_id(raw) or 0 if raw else None)
    if subject is None:
        raise Http404
    return subject


def _mine(me: Person, filing_id: int) -> OffsiteFiling:
    """A filing of mine or of a relative whose code I hold; anything else does not exist for me."""
    filing = (
        OffsiteFiling.objects.select_related("category", "commitment", "person")
        .prefetch_related("events")
        .filter(pk=filing_id)
        .first()
    )
    if filing is None or not may_act_for(viewer=me, person_id=filing.person_id):
        raise Http404
    return filing


def _category_facts(category: FilingCategory) -> list[str]:
    """A category's rules in words, for the resident to choose."""
    separator = ", " if _english() else "、"
    names = dict(Person.InsuranceType.choices)
    types = separator.join(localized_label(names.get(t, t)) for t in category.eligible_insurance_types)
    facts = [Bilingual(f"可办理：{types}", f"Who may file: {types}").localized()]
    if category.validity_days is None:
        facts.append(Bilingual("长期有效，直至取消（无需结束日期）", "Valid until cancelled (no end date)").localized())
    else:
        days = category.validity_days
        facts.append(
            Bilingual(f"最长 {days} 天，须填写结束日期", f"At most {days} days; an end date is needed").localized()
        )
    if category.commitment_allowed:
        facts.append(
            Bilingual("可签署承诺书，提交后即时生效", "A signed commitment is enough; active at once").localized()
        )
    else:
        facts.append(
            Bilingual(
                "须上传证明材料（如转诊证明），经审核后生效", "Documents needed (e.g. the referral), reviewed by staff"
            ).localized()
        )
    if category.outpatient_pooling:
        facts.append(Bilingual("就医地可享门诊统筹", "Outpatient pooling applies there").localized())
    else:
        facts.append(Bilingual("就医地不享门诊统筹", "No outpatient pooling there").localized())
    if category.backdate_days:
        days = category.backdate_days
        facts.append(
            Bilingual(
                f"住院未结算的，开始日期可追溯至入院日（最多 {days} 天）",
                f"For an admission not yet settled the start may go back to it (up to {days} days)",
            ).localized()
        )
    if category.min_days_before_change:
        facts.append(_change_rule(category))
    return facts


def _change_rule(category: FilingCategory) -> str:
    days = category.min_days_before_change
    if not days:
        return ""
    return Bilingual(
        f"生效 {days} 天后方可变更或取消", f"May be changed or cancelled {days} days after it starts"
    ).localized()


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _card(filing: OffsiteFiling, me: Person) -> dict[str, Any]:
    """One filing shaped for the page, every label in the request's language."""
    commitment = filing.basis == OffsiteFiling.Basis.COMMITMENT
    return {
        "id": filing.pk,
        "person": filing.person,
        "mine": filing.person_id == me.pk,
        "category": localized_label(filing.category.get_code_display()),
        "status": filing.status,
        "status_label": localized_label(filing.get_status_display()),
        "destination": filing.destination_code,
        "place": divisions.place_name(filing.destination_code),
        "start_date": filing.start_date,
        "end_date": filing.end_date,
        "admission_date": filing.admission_date,
        "contact_address": filing.contact_address,
        "basis": localized_label(filing.get_basis_display()),
        "commitment_version": filing.commitment.version if filing.commitment else "",
        "commitment_accepted_at": filing.commitment_accepted_at,
        "verification": localized_label(filing.get_verification_display()) if commitment else "",
        "ended_on": filing.ended_on,
        "consequence": filing.consequence,
        "live": filing.status in OffsiteFiling.LIVE,
        "has_end": filing.category.validity_days is not None,
        "change_rule": _change_rule(filing.category),
        "changeable_from": services.change_allowed_from(filing),
        "history": [
            {
                "at": event.at,
                "from": localized_label(STATUSES.get(event.from_status, event.from_status))
                if event.from_status
                else "",
                "to": localized_label(STATUSES.get(event.to_status, event.to_status)),
                "by": BY[event.by].localized() if event.by in BY else event.by,
                "note": _note(event.note),
            }
            for event in filing.events.all()
        ],
    }


def _refusal(error: DomainError, fields: dict[str, str]) -> dict[str, str]:
    """A refusal as ``{field: message}``; date refusals go to the date they are about."""
    fields = dict(fields)
    if error.code == services.DATES_INVALID and error.details.get("reason") in END_DATE_REASONS:
        fields[services.DATES_INVALID] = "end_date"
    return field_errors(error, fields, default="form")


@resident_required
def filings(request: HttpRequest) -> HttpResponse:
    """My filings and those of the relatives I file for, newest first, each with its history."""
    me = _me(request)
    people = [me, *_relatives(me)]
    rows = list(
        OffsiteFiling.objects.filter(person_id__in=[p.pk for p in people])
        .select_related("category", "commitment", "person")
        .prefetch_related("events")[:50]
    )
    sections = [
        {
            "person": person,
            "mine": person.pk == me.pk,
            "filings": [_card(f, me) for f in rows if f.person_id == person.pk],
        }
        for person in people
    ]
    return render(request, "web/offsite/list.html", {"me": me, "sections": sections})


@resident_required
def filing_change(request: HttpRequest, filing_id: int) -> HttpResponse:
    """Change the contact address or (filings with an end) the end date, within the category's rules."""
    me = _me(request)
    filing = _mine(me, filing_id)
    has_end = filing.category.validity_days is not None
    errors: dict[str, str] = {}
    values: Any = {
        "contact_address": filing.contact_address,
        "end_date": filing.end_date.isoformat() if filing.end_date else "",
    }
    if request.method == "POST":
        values = request.POST
        form = ChangeForm.read(request.POST, has_end=has_end)
        errors = form.errors
        changes: dict[str, Any] = {}
        if form.contact_address != filing.contact_address:
            changes["contact_address"] = form.contact_address
        if has_end and form.end_date != filing.end_date:
            changes["end_date"] = form.end_date
        if not errors and not changes:
            errors = {"form": NOTHING_CHANGED.localized()}
        if not errors:
            try:
                services.filing_change(filing=filing, by=me, **changes)
            except DomainError as error:
                errors = _refusal(error, CHANGE_FIELDS)
            else:
                messages.success(request, Bilingual("备案信息已变更", "Your filing is changed").localized())
                return HttpResponseRedirect(f"{LIST_URL}#filing-{filing.pk}")
    return render(
        request,
        "web/offsite/change.html",
        {"me": me, "filing": _card(filing, me), "values": values, "errors": errors, "has_end": has_end},
    )


@resident_required
def filing_cancel(request: HttpRequest, filing_id: int) -> HttpResponse:
    """Ask for confirmation, then cancel (coverage under the filing ends today)."""
    me = _me(request)
    filing = _mine(me, filing_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.filing_cancel(filing=filing, by=me)
        except DomainError as error:
            errors = field_errors(error, {}, default="form")
        else:
            messages.success(request, Bilingual("备案已取消", "Your filing is cancelled").localized())
            return HttpResponseRedirect(f"{LIST_URL}#filing-{filing.pk}")
    return render(request, "web/offsite/cancel.html", {"me": me, "filing": _card(filing, me), "errors": errors})
