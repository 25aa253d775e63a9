"""定点医药机构查询: designated institutions by name, district and kind, in the API and on the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portal.institutions.directory import district_code
from portal.institutions.models import Institution
from portal.people.services import person_user
from tests import factories
from tests.portal.browser import shot, sign_in
from tests.portal.test_web_statement import browser_test

URL = "/api/v1/institutions"


def city() -> None:
    """Huaibei: two hospitals in 相山区, pharmacies in 杜集区 (one specified-disease, one dual-channel), one
    not designated; Ma'anshan: one hospital."""
    factories.institution(code="H34060300001", kind="hospital", level="3")
    factories.institution(code="H34060300002", kind="hospital", level="1", primary=True)
    factories.institution(code="P34060200003", kind="pharmacy", specified_disease_pharmacy=True)
    factories.institution(code="P34060200004", kind="pharmacy", dual_channel=True)
    factories.institution(code="P34060200005", kind="pharmacy", designated=False)
    factories.region("340500", "马鞍山市")
    factories.institution(code="H34050400006", kind="hospital", region_code="340500")


def codes(body: dict[str, Any]) -> list[str]:
    return [r["code"] for r in body["results"]]


@pytest.mark.django_db
class TestApi:
    def test_a_resident_sees_the_designated_ones_of_their_region_by_default(self, resident_api: Any) -> None:
        city()
        body = resident_api(factories.person()).get(URL).json()
        assert body["region"]["code"] == "340600" and body["count"] == 4
        assert "P34060200005" not in codes(body) and "H34050400006" not in codes(body)
        assert [d["code"] for d in body["districts"]] == ["340602", "340603"]
        assert body["districts"][1]["name"] == "相山区"
        assert {"340500", "340600"} <= {r["code"] for r in body["regions"]}

    def test_by_name_district_and_kind(self, api: Any) -> None:
        city()
        ask = lambda **q: codes(api.get(URL, {"region": "340600", **q}).json())  # noqa: E731
        assert ask(kind="specified_disease") == ["P34060200003"]
        assert ask(kind="dual_channel") == ["P34060200004"]
        assert ask(kind="hospital", district="340603") == ["H34060300001", "H34060300002"]
        assert ask(district="340602") == ["P34060200003", "P34060200004"]
        Institution.objects.filter(code="P34060200004").update(name="百姓大药房淮海路店")
        assert ask(name=" 大药房 ") == ["P34060200004"] and ask(name="没有这家") == []
        assert codes(api.get(URL, {"region": "340500"}).json()) == ["H34050400006"]

    def test_labels_say_what_the_place_is_in_the_request_language(self, api: Any) -> None:
        city()
        body = api.get(URL, {"region": "340600", "kind": "hospital"}, headers={"Accept-Language": "en"}).json()
        assert body["results"][1]["labels"] == ["Hospital or clinic", "Level 1", "Primary care"]
        assert body["results"][0]["district"] == {"code": "340603", "name": "Xiangshan District"}

    def test_pages(self, api: Any) -> None:
        for _ in range(5):
            factories.institution(kind="pharmacy")
        first = api.get(URL, {"region": "340600", "page_size": 2}).json()
        last = api.get(URL, {"region": "340600", "page_size": 2, "page": 99}).json()
        assert (first["count"], first["pages"], len(first["results"])) == (5, 3, 2)
        assert last["page"] == 3 and len(last["results"]) == 1

    @pytest.mark.parametrize(
        "params, code",
        [
            ({"region": "34060"}, "invalid_input"),
            ({"region": "999999"}, "directory_region_unknown"),
            ({"region": "340600", "kind": "spa"}, "invalid_input"),
            ({"region": "340600", "page": "abc"}, "invalid_input"),
            ({"region": "340600", "district": "xx"}, "invalid_input"),
            ({"region": "340600", "name": "x" * 51}, "invalid_input"),
            ({}, "directory_region_required"),
        ],
    )
    def test_bad_input_is_refused_with_a_code(self, api: Any, params: dict[str, str], code: str) -> None:
        city()
        assert api.get(URL, params).json()["code"] == code

    def test_the_answer_fits_the_published_schema(self, api: Any) -> None:
        import jsonschema

        from tests.portal.diseases.test_api_contract import _plain

        city()
        document = api.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
        schema = document["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.validate(
            api.get(URL, {"region": "340600"}).json(), _plain(schema, document["components"]["schemas"])
        )


def test_the_district_is_read_from_the_national_code() -> None:
    assert district_code("H34060300003") == "340603" and district_code("X34060000012") == "340600"
    assert district_code("ABC") == "" and district_code("H3406") == ""


@pytest.mark.django_db
class TestPage:
    def test_visitors_see_the_first_region_and_are_told(self) -> None:
        city()
        page = Client().get("/institutions/").content.decode()
        assert "马鞍山市" in page and "登录后默认显示您的参保地" in page
        assert page.count('data-testid="institution"') == 1

    def test_a_resident_sees_their_region_and_filters_work(self) -> None:
        city()
        client = Client()
        client.force_login(person_user(person=factories.person()))
        page = client.get("/institutions/").content.decode()
        assert page.count('data-testid="institution"') == 4 and "登录后" not in page
        page = client.get("/institutions/?kind=specified_disease").content.decode()
        assert page.count('data-testid="institution"') == 1 and "规定病种定点药店" in page

    @pytest.mark.parametrize(
        "query, message",
        [
            ("region=999999", "没有这个地区"),
            ("region=340600&district=110101", "该地区没有这个区县"),
            ("region=340600&kind=spa", "没有这种机构类型"),
            ("region=340600&page=abc", "页码无效"),
            ("region=340600&page=999", ""),
            ("region=340600&name=" + "长" * 80, ""),
        ],
    )
    def test_bad_filters_are_named_and_ignored_never_an_error(self, query: str, message: str) -> None:
        city()
        response = Client().get(f"/institutions/?{query}")
        assert response.status_code == 200 and message in response.content.decode()

    def test_pages_link_to_each_other_with_the_filters_kept(self) -> None:
        for _ in range(12):
            factories.institution(kind="pharmacy")
        page = Client().get("/institutions/?region=340600&kind=pharmacy").content.decode()
        assert page.count('data-testid="institution"') == 10
        assert 'href="/institutions/?region=340600&amp;kind=pharmacy&amp;page=2"' in page
        second = Client().get("/institutions/?region=340600&kind=pharmacy&page=2").content.decode()
        assert second.count('data-testid="institution"') == 2


@browser_test
def test_institutions_journey_in_the_browser(page: Any) -> None:
    city()
    me = factories.person(name="周强", phone="13900007201")
    sign_in(page, me.phone)
    page.get_by_role("link", name="找定点医院药店").click()
    page.wait_for_url("**/institutions/")
    assert page.get_by_test_id("institution").count() == 4
    shot(page, "institutions-list")
    page.get_by_label("类型").select_option("specified_disease")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/institutions/?*kind=specified_disease*")
    assert page.get_by_test_id("institution").count() == 1
    shot(page, "institutions-specified-disease")
    page.get_by_label("类型").select_option("")
    page.get_by_label("区县").select_option("340603")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/institutions/?*district=340603*")
    assert page.get_by_test_id("institution").count() == 2
    page.get_by_label("地区").select_option("340500")
    page.get_by_label("区县").select_option("")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/institutions/?*region=340500*")
    assert page.get_by_test_id("institution").count() == 1
    shot(page, "institutions-other-region")
