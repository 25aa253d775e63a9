"""A new off-site filing as a few short steps, one question per page (the GOV.UK pattern).

Who it is for (only for residents who hold a relative's code), the kind of filing, the city, the dates, the
address, then a last page that lists the answers, each with a link to change it, and takes the commitment or
the documents. The answers wait in the session between steps; every POST redirects (reload and back are safe),
and nothing is written until the last page is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone

from portal import divisions
from portal.errors import Bilingual, DomainError, localized_label
from portal.family.proofs import PROOF_INVALID, PROOF_MISSING
from portal.offsite import services
from portal.offsite.models import FilingCategory, OffsiteFiling
from portal.people.models import Person
from portal.web.access import resident_required
from portal.web.offsite import forms
from portal.web.offsite.views import (
    LIST_URL,
    _category_facts,
    _me,
    _refusal,
    _relatives,
    _subject,
)

DRAFT = "offsite_draft"
# A question's answer: the errors to show, or where to go next.
Answer = tuple[dict[str, str], HttpResponseRedirect | None]
BASE = "/offsite/new"

# Which step a refusal of the services on the last page sends the resident back to.
STEP_OF = {
    services.CATEGORY_UNKNOWN: "category",
    services.NOT_ELIGIBLE: "category",
    services.DESTINATION_INVALID: "destination",
    services.DESTINATION_HOME: "destination",
    services.DATES_INVALID: "dates",
    services.OVERLAP: "dates",
}
LAST_FIELDS = {
    services.COMMITMENT_OUTDATED: "commitment",
    services.COMMITMENT_NOT_ALLOWED: "commitment",
    services.BASIS_MISSING: "commitment",
    PROOF_INVALID: "materials",
    PROOF_MISSING: "materials",
}
TITLES = {
    "who": Bilingual("为谁办理备案？", "Who is the filing for?"),
    "category": Bilingual("您属于哪种情况？", "Which fits you?"),
    "destination": Bilingual("您要去哪个城市就医？", "Which city will you get care in?"),
    "dates": Bilingual("从哪天开始？", "From when?"),
    "address": Bilingual("您在那里的联系地址是？", "What is your address there?"),
    "confirm": Bilingual("核对并提交", "Check your answers and send"),
}
WHO_REQUIRED = Bilingual("请选择为谁办理", "Choose who the filing is for")
CHOOSE_ONE = Bilingual("请从下面选择一个城市", "Choose one of the cities below")
NOT_FOUND = Bilingual(
    "没有找到“{text}”，请输入城市名称（如 上海、马鞍山），或按省份选择",
    "We found no city called '{text}'; type a city's name (e.g. Shanghai) or choose by province",
)
COMMITMENT_REQUIRED = Bilingual("请勾选“本人承诺以上内容属实”", "Tick 'I promise the above is true'")
DOCUMENTS_REQUIRED = Bilingual("请选择要上传的证明材料", "Choose the documents to upload")
DOCUMENTS_INVALID = Bilingual(
    "证明材料须为 JPEG、PNG 或 PDF 文件，且不超过 {max_mb} MB",
    "Documents must be a JPEG, PNG or PDF file of at most {max_mb} MB",
)
START_AGAIN = Bilingual("请重新开始填写备案", "Please start the filing again")


def _draft(request: HttpRequest) -> dict[str, Any]:
    return dict(request.session.get(DRAFT) or {})


def _save(request: HttpRequest, draft: dict[str, Any]) -> None:
    request.session[DRAFT] = draft


def _steps(me: Person) -> list[str]:
    steps = ["category", "destination", "dates", "address", "confirm"]
    return ["who", *steps] if _relatives(me) else steps


def _categories(subject: Person) -> list[FilingCategory]:
    return sorted(
        (
            c
            for c in FilingCategory.objects.filter(region_id=subject.region_id, active=True)
            if subject.insurance_type in c.eligible_insurance_types
        ),
        key=lambda c: FilingCategory.Code.values.index(c.code) if c.code in FilingCategory.Code.values else 99,
    )


def _category(subject: Person, code: str | None) -> FilingCategory | None:
    return next((c for c in _categories(subject) if c.code == code), None)


def _first_missing(draft: dict[str, Any], category: FilingCategory | None) -> str | None:
    """The first step not yet answered (a resident who jumps ahead by address is sent back to it)."""
    if category is None:
        return "category"
    if not draft.get("destination"):
        return "destination"
    if not draft.get("start_date"):
        return "dates"
    if not draft.get("contact_address"):
        return "address"
    return None


def _go(step: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{BASE}/{step}")


@resident_required
def start(request: HttpRequest) -> HttpResponse:
    """A fresh filing: for a relative when ``?person=`` names one whose code I hold, else the first question."""
    me = _me(request)
    subject = _subject(me, request.GET.get("person", ""))
    _save(request, {"person": subject.pk, "chose_person": subject.pk != me.pk})
    steps = _steps(me)
    return _go(steps[1] if subject.pk != me.pk and steps[0] == "who" else steps[0])


@resident_required
def step(request: HttpRequest, name: str) -> HttpResponse:
    me = _me(request)
    steps = _steps(me)
    if name not in steps:
        raise Http404
    draft = _draft(request)
    if "person" not in draft:
        messages.info(request, START_AGAIN.localized())
        return HttpResponseRedirect(BASE)
    subject = _subject(me, str(draft["person"]))
    category = _category(subject, draft.get("category"))
    if name != "who" and name != "category":
        missing = _first_missing(draft, category)
        if missing is not None and steps.index(missing) < steps.index(name):
            return _go(missing)
    errors: dict[str, str] = {}
    context: dict[str, Any] = {}
    if request.method == "POST":
        errors, redirect = POST_HANDLERS[name](request, me, subject, category, draft)
        if redirect is not None:
            _save(request, draft)
            return redirect
    context.update(GET_CONTEXT[name](request, me, subject, category, draft))
    position = steps.index(name)
    back = f"{BASE}/{steps[position - 1]}" if position else LIST_URL
    return render(
        request,
        f"web/offsite/new_{name}.html",
        {
            "me": me,
            "subject": subject,
            "step": name,
            "title": TITLES[name].localized(),
            "number": position + 1,
            "count": len(steps),
            "back": back,
            "errors": errors,
            "draft": draft,
            **context,
        },
        status=400 if errors else 200,
    )


def _next(me: Person, name: str, draft: dict[str, Any], category: FilingCategory | None) -> HttpResponseRedirect:
    """The next step; or, for a resident who came from the last page to change one answer, back there (or to
    the first answer that change made void, such as the dates after another kind of filing)."""
    steps = _steps(me)
    if draft.get("return_to_confirm"):
        return _go(_first_missing(draft, category) or "confirm")
    return _go(steps[steps.index(name) + 1])


# --- the questions: each reads its answer into the draft, or says what is wrong ---------------------------------


def _post_who(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory | None, draft: dict[str, Any]
) -> Answer:
    raw = request.POST.get("person", "")
    if not raw:
        return {"person": WHO_REQUIRED.localized()}, None
    chosen = _subject(me, raw)
    if chosen.pk != draft.get("person"):
        draft.clear()  # another person: their own categories, so their own answers
    draft.update(person=chosen.pk, chose_person=True)
    return {}, _next(me, "who", draft, category)


def _get_who(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory | None, draft: dict[str, Any]
) -> dict[str, Any]:
    return {"people": [me, *_relatives(me)], "chosen": draft.get("person") if draft.get("chose_person") else None}


def _post_category(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory | None, draft: dict[str, Any]
) -> Answer:
    chosen = _category(subject, request.POST.get("category"))
    if chosen is None:
        return {"category": forms.CATEGORY_REQUIRED.localized()}, None
    if chosen.code != draft.get("category"):
        # Another kind of filing allows other dates: ask them again.
        for key in ("start_date", "end_date", "admission_date"):
            draft.pop(key, None)
    draft["category"] = chosen.code
    return {}, _next(me, "category", draft, chosen)


def _get_category(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory | None, draft: dict[str, Any]
) -> dict[str, Any]:
    return {
        "categories": [
            {
                "code": c.code,
                "label": localized_label(c.get_code_display()),
                "facts": _category_facts(c),
                "documents": not c.commitment_allowed,
            }
            for c in _categories(subject)
        ]
    }


def _post_destination(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> Answer:
    code = request.POST.get("destination", "").strip()
    text = request.POST.get("q", "").strip()
    if not code and text:
        found = divisions.search(text)
        if not found:
            return {"q": NOT_FOUND.localized().format(text=text[:20])}, None
        exact = divisions.exact(text)
        if exact is None and len(found) > 1:
            return {}, HttpResponseRedirect(f"{BASE}/destination?q={quote(text[:40])}")
        code = (exact or found[0]).code
    if not code:
        return {"q": forms.DESTINATION_REQUIRED.localized()}, None
    try:
        services.check_destination(code, home=subject.region.code)
    except DomainError as error:
        return {"q": error.message()}, None
    draft["destination"] = code
    return {}, _next(me, "destination", draft, category)


def _get_destination(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> dict[str, Any]:
    query = (request.POST.get("q") or request.GET.get("q") or "").strip()[:40]
    province = request.GET.get("province", "")[:6]
    chosen = divisions.place(draft.get("destination", ""))
    results = divisions.search(query) if query else []
    return {
        "q": query,
        "results": results,
        "choose_one": CHOOSE_ONE.localized() if len(results) > 1 else "",
        "province": next((p for p in divisions.provinces() if p.code == province), None),
        "in_province": divisions.in_province(province) if province else [],
        "provinces": divisions.provinces(),
        "chosen": chosen,
        "source": divisions.SOURCE_EN if divisions.english() else divisions.SOURCE,
    }


def _post_dates(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> Answer:
    errors: dict[str, str] = {}
    start_date = forms.read_date(request.POST, "start_date", errors, required=True)
    has_end = category.validity_days is not None
    end_date = forms.read_date(request.POST, "end_date", errors, required=has_end) if has_end else None
    admission = (
        forms.read_date(request.POST, "admission_date", errors, required=False) if category.backdate_days else None
    )
    draft.update(_raw_dates(request))  # what was typed stays on the page, right or wrong
    if not errors and start_date is not None:
        try:
            services.check_dates(category, start_date=start_date, end_date=end_date, admission_date=admission)
        except DomainError as error:
            errors = _refusal(error, {})
            if "form" in errors:
                errors = {"start_date": errors["form"]}
    if errors:
        draft.pop("start_date", None)
        _save(request, draft)
        return errors, None
    return {}, _next(me, "dates", draft, category)


def _raw_dates(request: HttpRequest) -> dict[str, str]:
    return {key: request.POST.get(key, "").strip()[:10] for key in ("start_date", "end_date", "admission_date")}


def _get_dates(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> dict[str, Any]:
    values = _raw_dates(request) if request.method == "POST" else draft
    return {
        "values": {"start_date": values.get("start_date") or timezone.localdate().isoformat(), **_without(values)},
        "has_end": category.validity_days is not None,
        "validity_days": category.validity_days,
        "backdate_days": category.backdate_days,
    }


def _without(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in ("end_date", "admission_date") or (k == "start_date" and v)}


def _post_address(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> Answer:
    errors: dict[str, str] = {}
    address = forms.read_address(request.POST, errors)
    if errors:
        return errors, None
    draft["contact_address"] = address
    return {}, _next(me, "address", draft, category)


def _get_address(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> dict[str, Any]:
    typed = request.POST.get("contact_address") if request.method == "POST" else None
    return {"value": typed if typed is not None else draft.get("contact_address", "")}


def _post_confirm(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> Answer:
    upload = request.FILES.get("materials")
    version = request.POST.get("commitment_version", "").strip() or None
    if category.commitment_allowed and not version:
        return {"commitment": COMMITMENT_REQUIRED.localized()}, None
    if not category.commitment_allowed and upload is None:
        return {"materials": DOCUMENTS_REQUIRED.localized()}, None
    try:
        filing = services.filing_create(
            person=subject,
            filed_by=me,
            category_code=category.code,
            destination_code=draft["destination"],
            start_date=dt.date.fromisoformat(draft["start_date"]),
            end_date=dt.date.fromisoformat(draft["end_date"]) if draft.get("end_date") else None,
            contact_address=draft["contact_address"],
            commitment_version=version if category.commitment_allowed else None,
            materials=upload if not category.commitment_allowed else None,
            admission_date=dt.date.fromisoformat(draft["admission_date"]) if draft.get("admission_date") else None,
        )
    except DomainError as error:
        if error.code in STEP_OF:
            # An answer of an earlier page is refused: say so there, where it can be changed.
            messages.error(request, error.message())
            draft["return_to_confirm"] = True
            return {}, _go(STEP_OF[error.code])
        if error.code == PROOF_INVALID:
            return {"materials": DOCUMENTS_INVALID.localized().format(max_mb=error.params.get("max_mb", ""))}, None
        field = LAST_FIELDS.get(error.code, "form")
        return {field: error.message()}, None
    request.session.pop(DRAFT, None)
    if filing.status == OffsiteFiling.Status.ACTIVE:
        done = Bilingual("备案成功，已即时生效", "Filed: your filing is active now")
    else:
        done = Bilingual("已提交证明材料，等待医保经办机构审核", "Documents sent: waiting for staff review")
    messages.success(request, done.localized())
    return {}, HttpResponseRedirect(f"{LIST_URL}#filing-{filing.pk}")


def _get_confirm(
    request: HttpRequest, me: Person, subject: Person, category: FilingCategory, draft: dict[str, Any]
) -> dict[str, Any]:
    text = services.current_commitment()
    draft["return_to_confirm"] = True
    _save(request, draft)
    place = divisions.place(draft["destination"])
    return {
        "category_label": localized_label(category.get_code_display()),
        "documents": not category.commitment_allowed,
        "place": place.label if place else draft["destination"],
        "values": draft,
        "has_end": category.validity_days is not None,
        "commitment": {"version": text.version, "text": text.text_en if divisions.english() else text.text_zh},
        "can_choose_person": "who" in _steps(me),
    }


POST_HANDLERS: dict[str, Callable[..., Answer]] = {
    "who": _post_who,
    "category": _post_category,
    "destination": _post_destination,
    "dates": _post_dates,
    "address": _post_address,
    "confirm": _post_confirm,
}
GET_CONTEXT: dict[str, Callable[..., dict[str, Any]]] = {
    "who": _get_who,
    "category": _get_category,
    "destination": _get_destination,
    "dates": _get_dates,
    "address": _get_address,
    "confirm": _get_confirm,
}
