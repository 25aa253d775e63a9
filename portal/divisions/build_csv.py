"""Rebuild ``cities.csv`` (run by hand when the national list changes; not imported by the service).

Source: the ``china-division`` package, version 2.7.0 (npm; github.com/modood/Administrative-divisions-of-China),
which transcribes the National Bureau of Statistics' 2023 statistical division codes (as of 2023-06-30, published
2023-09-11); their first six digits are the GB/T 2260 administrative division codes. English names are Hanyu
Pinyin from ``pypinyin`` with the conventional English for the provinces and the kinds of prefecture.

    python -m venv /tmp/v && /tmp/v/bin/pip install pypinyin==0.55.0
    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    /tmp/v/bin/python portal/divisions/build_csv.py package/dist > portal/divisions/cities.csv

The list holds the places a resident may name as an off-site destination: every prefecture-level city,
prefecture, autonomous prefecture and league; the four municipalities as one place each; and the county-level
cities and counties that provinces administer directly (仙桃, 济源, the Hainan counties, the XPCC cities), which
are pooling regions of their own.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from pypinyin import lazy_pinyin

PROVINCES_EN = {
    "11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Inner Mongolia", "21": "Liaoning",
    "22": "Jilin", "23": "Heilongjiang", "31": "Shanghai", "32": "Jiangsu", "33": "Zhejiang", "34": "Anhui",
    "35": "Fujian", "36": "Jiangxi", "37": "Shandong", "41": "Henan", "42": "Hubei", "43": "Hunan",
    "44": "Guangdong", "45": "Guangxi", "46": "Hainan", "50": "Chongqing", "51": "Sichuan", "52": "Guizhou",
    "53": "Yunnan", "54": "Tibet", "61": "Shaanxi", "62": "Gansu", "63": "Qinghai", "64": "Ningxia",
    "65": "Xinjiang",
}  # fmt: skip
PEOPLES = {
    "回族": "Hui", "蒙古族": "Mongol", "蒙古": "Mongol", "藏族": "Tibetan", "彝族": "Yi", "壮族": "Zhuang",
    "苗族": "Miao", "布依族": "Bouyei", "侗族": "Dong", "土家族": "Tujia", "哈尼族": "Hani", "傣族": "Dai",
    "白族": "Bai", "景颇族": "Jingpo", "傈僳族": "Lisu", "朝鲜族": "Korean", "柯尔克孜": "Kirgiz",
    "哈萨克": "Kazak", "黎族": "Li", "羌族": "Qiang",
}  # fmt: skip
KINDS = [("自治州", "Autonomous Prefecture"), ("自治县", "Autonomous County"), ("地区", "Prefecture"),
         ("林区", "Forestry District"), ("盟", "League"), ("县", "County"), ("市", "")]  # fmt: skip


def pinyin(text: str) -> str:
    syllables = lazy_pinyin(text)
    word = syllables[0] + "".join(("'" + s) if s[0] in "aoe" else s for s in syllables[1:])
    return word[:1].upper() + word[1:]


def english(name: str) -> str:
    kind = ""
    for zh, en in KINDS:
        if name.endswith(zh) and len(name) > len(zh) + 1:
            name, kind = name[: -len(zh)], en
            break
    peoples: list[tuple[int, str]] = []
    for zh, en in sorted(PEOPLES.items(), key=lambda p: -len(p[0])):
        while zh in name and name.index(zh) > 0:
            at = name.index(zh)
            peoples.insert(0, (at, en))
            name = name[:at] + name[at + len(zh) :]
    peoples.sort()
    return " ".join([pinyin(name), *[en for _, en in peoples], kind]).strip()


def rows(dist: Path) -> list[list[str]]:
    def read(name: str) -> list[dict[str, str]]:
        with open(dist / name, encoding="utf-8") as f:
            return list(csv.DictReader(f))

    provinces = {p["code"]: p["name"] for p in read("provinces.csv")}
    counties: dict[str, list[dict[str, str]]] = {}
    for area in read("areas.csv"):
        counties.setdefault(area["cityCode"], []).append(area)
    out = []
    for province, province_name in provinces.items():
        if province not in PROVINCES_EN:
            continue
        province_row = [f"{province}0000", province_name, PROVINCES_EN[province]]
        cities = [c for c in read("cities.csv") if c["provinceCode"] == province]
        if all(c["name"] in ("市辖区", "县") for c in cities):  # a municipality: one place
            out.append([f"{province}0100", province_name, PROVINCES_EN[province], *province_row])
            continue
        for city in cities:
            if city["code"].endswith("90"):  # counties the province administers directly
                for county in counties[city["code"]]:
                    out.append([county["code"], county["name"], english(county["name"]), *province_row])
            else:
                out.append([f"{city['code']}00", city["name"], english(city["name"]), *province_row])
    return out


if __name__ == "__main__":
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["code", "name", "name_en", "province_code", "province_name", "province_name_en"])
    writer.writerows(rows(Path(sys.argv[1])))
