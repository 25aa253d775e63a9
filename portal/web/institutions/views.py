"""Find a designated hospital or pharmacy (定点医药机构查询, /institutions/): by name, district and kind, in my
region by default (visitors: the first region, said so), 10 a page. Open to everyone, like the bureau's list.
Bad filter values are named on the page and left out, never an error page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.errors import Bilingual
from portal.institutions.directory import (
    KINDS,
    NAME_MAX,
    district,
    district_code,
    districts_of,
    institutions_search,
    kind_words,
)
from portal.institutions.models import Region
from portal.parsing import row_id
from portal.people.selectors import person_for_user

PAGE_SIZE = 10


def institutions(request: HttpRequest) -> HttpResponse:
    me = person_for_user(user=request.user)
    regions = list(Region.objects.filter(active=True))
    problems: list[str] = []
    chosen = request.GET.get("region", "").strip()
    region = next((r for r in regions if r.code == chosen), None) if chosen else None
    if chosen and region is None:
        problems.append(
            Bilingual("没有这个地区，已显示默认地区", "No such region; showing the default one").localized()
        )
    if region is None and me is not None:
        region = next((r for r in regions if r.pk == me.region_id), None)
    guessed = region is None
    if region is None and regions:
        region = regions[0]
    context: dict[str, Any] = {"me": me, "regions": regions, "region": region, "guessed": guessed and not chosen}
    if region is None:
        return render(request, "web/institutions/list.html", {**context, "rows": [], "problems": problems})

    name = request.GET.get("name", "").strip()[:NAME_MAX]
    districts = districts_of(region=region)
    place = request.GET.get("district", "").strip()
    if place and place not in {d.code for d in districts}:
        problems.append(
            Bilingual("该地区没有这个区县，已显示全部区县", "No such district here; showing all").localized()
        )
        place = ""
    kind = request.GET.get("kind", "").strip()
    if kind and kind not in KINDS:
        problems.append(Bilingual("没有这种机构类型，已显示全部类型", "No such kind; showing every kind").localized())
        kind = ""
    text = request.GET.get("page", "").strip()
    number = row_id(text) if text else 1
    if number is None:
        problems.append(Bilingual("页码无效，已显示第1页", "That page is not valid; showing page 1").localized())
        number = 1
    found = institutions_search(region=region, name=name, district_code=place, kind=kind)
    paginator = Paginator(found, PAGE_SIZE)
    page = paginator.get_page(min(number, 100_000))
    query = {"region": region.code, "name": name, "district": place, "kind": kind}
    base = urlencode({key: value for key, value in query.items() if value})
    rows = []
    for institution in page.object_list:
        code = district_code(institution.code)
        rows.append(
            {
                "institution": institution,
                "district": district(code).name.localized() if code else "",
                "labels": [word.localized() for word in kind_words(institution)],
            }
        )
    context.update(
        {
            "problems": problems,
            "name": name,
            "district": place,
            "districts": [(d.code, d.name.localized()) for d in districts],
            "kind": kind,
            "kinds": [(key, words.localized()) for key, (words, _) in KINDS.items()],
            "rows": rows,
            "count": paginator.count,
            "page": page,
            "previous": f"?{base}&page={page.number - 1}" if page.has_previous() else "",
            "next": f"?{base}&page={page.number + 1}" if page.has_next() else "",
        }
    )
    return render(request, "web/institutions/list.html", context)
