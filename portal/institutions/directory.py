"""定点医药机构查询: designated institutions and pharmacies of a region, by name, district and kind.

The district is not a field of its own: a national medical-insurance institution code (定点医药机构代码)
is a letter, the 6-digit county-level administrative division code, and a 5-digit sequence
(``H34060300003``: a hospital in 340603). Its name comes from ``DISTRICT_NAMES`` when known; otherwise the
chooser shows the code. Only designated institutions (``designated``) are ever listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Substr

from portal.errors import Bilingual
from portal.institutions.models import Institution, Region

_CODE = re.compile(r"^[A-Z](\d{6})\d+$")

# Searchable kinds, in the order shown. Specified-disease pharmacies (门诊规定病种定点药店) and dual-channel
# institutions (双通道) are flags on an institution, not kinds of their own.
KINDS: dict[str, tuple[Bilingual, Q]] = {
    "hospital": (Bilingual("医院和诊所", "Hospitals and clinics"), Q(kind=Institution.Kind.HOSPITAL)),
    "pharmacy": (Bilingual("药店", "Pharmacies"), Q(kind=Institution.Kind.PHARMACY)),
    "specified_disease": (
        Bilingual("规定病种定点药店", "Specified-disease pharmacies"),
        Q(kind=Institution.Kind.PHARMACY, specified_disease_pharmacy=True),
    ),
    "dual_channel": (Bilingual("双通道药店和医院", "Dual-channel pharmacies and hospitals"), Q(dual_channel=True)),
    "internet_hospital": (
        Bilingual("互联网医院", "Internet hospitals"),
        Q(kind=Institution.Kind.INTERNET_HOSPITAL),
    ),
}

# County-level divisions of the pooling regions served (GB/T 2260 codes as published by the Ministry of Civil
# Affairs, 2023). A division missing here is shown by its code.
DISTRICT_NAMES: dict[str, Bilingual] = {
    "340602": Bilingual("杜集区", "Duji District"),
    "340603": Bilingual("相山区", "Xiangshan District"),
    "340604": Bilingual("烈山区", "Lieshan District"),
    "340621": Bilingual("濉溪县", "Suixi County"),
    "340503": Bilingual("花山区", "Huashan District"),
    "340504": Bilingual("雨山区", "Yushan District"),
    "340506": Bilingual("博望区", "Bowang District"),
    "340521": Bilingual("当涂县", "Dangtu County"),
    "340522": Bilingual("含山县", "Hanshan County"),
    "340523": Bilingual("和县", "He County"),
}

NAME_MAX = 50


@dataclass(frozen=True)
class District:
    code: str
    name: Bilingual


def district_code(institution_code: str) -> str:
    """The division code inside a national institution code, or "" for another form of code."""
    found = _CODE.match(institution_code)
    return found.group(1) if found else ""


def district(code: str) -> District:
    return District(code, DISTRICT_NAMES.get(code) or Bilingual(f"区县 {code}", f"District {code}"))


def designated_in(*, region: Region) -> QuerySet[Institution]:
    return Institution.objects.filter(designated=True, region=region)


def districts_of(*, region: Region) -> list[District]:
    """The districts that designated institutions of the region are in (those in the region's own city)."""
    codes = (
        designated_in(region=region)
        .annotate(division=Substr("code", 2, 6))
        .values_list("division", flat=True)
        .distinct()
        .order_by("division")
    )
    city = region.code[:4]
    return [district(code) for code in codes if code and code.isdigit() and len(code) == 6 and code[:4] == city]


def institutions_search(
    *, region: Region, name: str = "", district_code: str = "", kind: str = ""
) -> QuerySet[Institution]:
    """Designated institutions of the region whose name contains ``name``, in the district, of the kind
    (a key of ``KINDS``); empty arguments do not filter. Ordered by kind, then code (which groups districts)."""
    found = designated_in(region=region).select_related("region")
    if name.strip():
        found = found.filter(name__icontains=name.strip()[:NAME_MAX])
    if district_code:
        found = found.annotate(division=Substr("code", 2, 6)).filter(division=district_code)
    if kind:
        found = found.filter(KINDS[kind][1])
    return found.order_by("kind", "code")


def kind_words(institution: Institution) -> list[Bilingual]:
    """What a resident needs to know about the place, in words: its kind, level and designations."""
    words = {
        Institution.Kind.HOSPITAL: Bilingual("医院/诊所", "Hospital or clinic"),
        Institution.Kind.PHARMACY: Bilingual("药店", "Pharmacy"),
        Institution.Kind.INTERNET_HOSPITAL: Bilingual("互联网医院", "Internet hospital"),
    }
    out = [words.get(institution.kind, Bilingual(institution.kind, institution.kind))]  # type: ignore[call-overload]
    levels = {"1": Bilingual("一级", "Level 1"), "2": Bilingual("二级", "Level 2"), "3": Bilingual("三级", "Level 3")}
    if institution.level in levels:
        out.append(levels[institution.level])
    if institution.is_primary_level:
        out.append(Bilingual("基层医疗机构", "Primary care"))
    if institution.specified_disease_pharmacy:
        out.append(Bilingual("规定病种定点药店", "Specified-disease pharmacy"))
    if institution.dual_channel:
        out.append(Bilingual("双通道", "Dual channel"))
    return out
