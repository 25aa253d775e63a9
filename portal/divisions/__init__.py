"""The places a resident can name as an off-site destination, from a shipped, dated copy of the national list.

``cities.csv`` holds every prefecture-level division (cities, prefectures, autonomous prefectures, leagues), each
municipality as one place, and the county-level places that provinces administer directly, with their provinces
and zh/en names. Its source and date are in ``SOURCE`` (see build_csv.py to rebuild it). Codes are stored;
names are what people read and type.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils import translation

SOURCE = "国家统计局 2023 年统计用区划代码（截至 2023-06-30，2023-09-11 发布），china-division 2.7.0"
SOURCE_EN = "NBS 2023 statistical division codes (as of 2023-06-30, published 2023-09-11), china-division 2.7.0"
SOURCE_DATE = "2023-06-30"


@dataclass(frozen=True)
class Place:
    code: str
    name_zh: str
    name_en: str
    province_code: str
    province_zh: str
    province_en: str

    @property
    def name(self) -> str:
        return self.name_en if english() else self.name_zh

    @property
    def province(self) -> str:
        return self.province_en if english() else self.province_zh

    @property
    def label(self) -> str:
        """The name with its province where that helps: "马鞍山市（安徽省）" / "Ma'anshan, Anhui"."""
        if self.name_zh == self.province_zh:
            return self.name
        return f"{self.name}, {self.province}" if english() else f"{self.name}（{self.province}）"


@dataclass(frozen=True)
class Province:
    code: str
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if english() else self.name_zh


def english() -> bool:
    return (translation.get_language() or "").startswith("en")


@cache
def _places() -> dict[str, Place]:
    with open(Path(__file__).with_name("cities.csv"), encoding="utf-8") as f:
        return {
            row["code"]: Place(
                row["code"],
                row["name"],
                row["name_en"],
                row["province_code"],
                row["province_name"],
                row["province_name_en"],
            )
            for row in csv.DictReader(f)
        }


def place(code: str) -> Place | None:
    return _places().get(code)


def place_name(code: str) -> str:
    """The name to show for a stored code in the request's language; an unknown code shows as itself."""
    found = place(code)
    return found.label if found else code


def provinces() -> list[Province]:
    seen: dict[str, Province] = {}
    for p in _places().values():
        seen.setdefault(p.province_code, Province(p.province_code, p.province_zh, p.province_en))
    return list(seen.values())


def in_province(province_code: str) -> list[Place]:
    return [p for p in _places().values() if p.province_code == province_code]


_SUFFIXES = ("市", "地区", "自治州", "盟", "省", "自治区", "林区", "县")


def _plain(text: str) -> str:
    text = "".join(text.split()).lower().replace("'", "").replace("’", "")
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def search(text: str, limit: int = 20) -> list[Place]:
    """Places whose name (zh or pinyin) or province matches what was typed: "上海", "马鞍山市", "maanshan",
    "安徽" (all of Anhui), "310100". Exact names first, then names that start with it, then the rest."""
    query = _plain(text)
    if not query:
        return []
    ranked: list[tuple[int, int, Place]] = []
    for order, p in enumerate(_places().values()):
        names = (_plain(p.name_zh), _plain(p.name_en))
        provinces_ = (_plain(p.province_zh), _plain(p.province_en))
        if query == p.code or query in names:
            rank = 0
        elif any(n.startswith(query) for n in names):
            rank = 1
        elif any(query in n for n in names):
            rank = 2
        elif query in provinces_ or any(n.startswith(query) for n in provinces_):
            rank = 3
        else:
            continue
        ranked.append((rank, order, p))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [p for _, _, p in ranked[:limit]]


def exact(text: str) -> Place | None:
    """The one place whose name or code is exactly what was typed ("上海", "马鞍山市", "Ma'anshan", "310100");
    None where the words also name a province of several places ("吉林": the city or the province?)."""
    typed = "".join(text.split())
    named = [p for p in _places().values() if typed == p.name_zh]
    if len(named) == 1:
        return named[0]
    query = _plain(text)
    if any(query in (_plain(p.name_zh), _plain(p.name_en)) and len(in_province(p.code)) > 1 for p in provinces()):
        return None
    matches = [p for p in _places().values() if query in (p.code, _plain(p.name_zh), _plain(p.name_en))]
    return matches[0] if len(matches) == 1 else None


def display(name_zh: str) -> str:
    """A place's Chinese name as the request's language writes it ("淮北市" -> "Huaibei" in English)."""
    if not english():
        return name_zh
    found = exact(name_zh)
    return found.name_en if found is not None else name_zh


def join_names(names: list[str] | tuple[str, ...]) -> str:
    """Place names joined in the request's language: "淮北市、马鞍山市" / "Huaibei, Ma'anshan"."""
    return (", " if english() else "、").join(display(name) for name in names)
