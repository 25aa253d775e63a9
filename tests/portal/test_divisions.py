"""The shipped list of destinations (portal/divisions/cities.csv) and the name search residents type into."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone, translation

from portal import divisions
from portal.errors import DomainError
from portal.offsite.services import DESTINATION_HOME, DESTINATION_INVALID, check_destination, current_commitment
from portal.people.models import Person
from tests import factories


def test_the_list_holds_every_prefecture_level_place_once_with_its_province() -> None:
    places = divisions._places()
    assert len(places) == 369
    assert len(divisions.provinces()) == 31  # Hong Kong, Macao and Taiwan have no pooling regions here
    # Municipalities are one place each; directly administered county-level places are their own.
    assert [p.code for p in divisions.in_province("310000")] == ["310100"]
    assert [p.code for p in divisions.in_province("500000")] == ["500100"]
    assert {"429004", "419001", "469002", "659001"} <= set(places)
    assert divisions.place("340500") == divisions.Place("340500", "马鞍山市", "Ma'anshan", "340000", "安徽省", "Anhui")
    assert divisions.SOURCE_DATE == "2023-06-30"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("上海", "310100"), ("上海市", "310100"), ("马鞍山", "340500"), ("maanshan", "340500"), ("Ma'anshan", "340500"),
     (" 广州 ", "440100"), ("310100", "310100"), ("xian", "610100"), ("吉林市", "220200")],
)  # fmt: skip
def test_a_place_is_found_by_what_people_type(typed: str, code: str) -> None:
    assert divisions.exact(typed) == divisions.place(code)
    assert divisions.search(typed)[0].code == code


def test_a_province_lists_its_places_and_nothing_matches_nonsense() -> None:
    assert [p.code for p in divisions.search("安徽")][:2] == ["340100", "340200"]
    assert divisions.search("火星") == [] and divisions.search("   ") == []
    assert divisions.exact("吉林") is None  # the city 吉林 and the province 吉林省: the resident chooses


def test_names_follow_the_language_and_unknown_codes_show_as_themselves() -> None:
    assert divisions.place_name("340500") == "马鞍山市（安徽省）"
    assert divisions.place_name("310100") == "上海市"
    assert divisions.place_name("999900") == "999900"
    with translation.override("en"):
        assert divisions.place_name("340500") == "Ma'anshan, Anhui"
        assert divisions.place_name("652300") == "Changji Hui Autonomous Prefecture, Xinjiang"


@pytest.mark.parametrize("code", ["310000", "340000", "999900", "31010", "abcdef", "340502"])
def test_a_destination_must_be_a_place_of_the_list(code: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_destination(code, home="340600")
    assert refused.value.code == DESTINATION_INVALID
    assert "310100" in refused.value.message("zh-hans") and "我们" not in refused.value.message("zh-hans")


def test_home_is_not_a_destination() -> None:
    assert check_destination(" 429004 ", home="340600") == "429004"
    with pytest.raises(DomainError) as refused:
        check_destination("340600", home="340600")
    assert refused.value.code == DESTINATION_HOME


@pytest.mark.django_db
def test_apps_search_destinations_and_read_the_names_of_a_filing(resident_api: Any) -> None:
    api = resident_api(factories.person(insurance_type=Person.InsuranceType.EMPLOYEE))
    found = api.get("/api/v1/offsite/destinations", {"q": "马鞍山"}).json()
    assert found["source"] == divisions.SOURCE
    assert found["results"][0] == {
        "code": "340500",
        "name": "马鞍山市",
        "name_en": "Ma'anshan",
        "province_code": "340000",
        "province": "安徽省",
        "province_en": "Anhui",
    }
    assert len(api.get("/api/v1/offsite/destinations", {"province": "340000"}).json()["results"]) == 16
    assert api.get("/api/v1/offsite/destinations", {"q": "x" * 500}).json()["results"] == []
    body = {
        "category": "temporary_trip",
        "destination_code": "429004",
        "start_date": timezone.localdate().isoformat(),
        "end_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "contact_address": "仙桃市",
        "commitment_version": current_commitment().version,
    }
    filing = api.post("/api/v1/offsite/filings", body, format="json").json()
    assert (filing["destination_code"], filing["destination"]["name"]) == ("429004", "仙桃市")
