"""参保信息: insurance status and contributions by year, in the API and on the page, and a browser journey."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from portal.ledger.services import personal_account_allocate
from portal.people.models import Contribution, ContributionLapse, Person
from portal.people.services import person_user
from tests import factories
from tests.portal.browser import shot, sign_in
from tests.portal.test_web_statement import browser_test

URL = "/api/v1/me/insurance"


def signed_in(person: Person, language: str = "") -> Client:
    client = Client()
    client.force_login(person_user(person=person))
    if language:
        client.cookies["django_language"] = language
    return client


def with_history(**extra: Any) -> Person:
    """Paid last year with a lapse in spring, this year paid; two allocations this year, one last year."""
    me = factories.person(**extra)
    year = timezone.localdate().year
    Contribution.objects.create(person=me, year=year - 1, paid=True, paid_at=dt.date(year - 1, 1, 15))
    Contribution.objects.create(person=me, year=year, paid=True, paid_at=dt.date(year, 1, 10))
    ContributionLapse.objects.create(
        person=me, starts_on=dt.date(year - 1, 3, 1), ends_on=dt.date(year - 1, 5, 31), reason="单位欠缴"
    )
    personal_account_allocate(person=me, amount_fen=12_000, reference="a1")
    personal_account_allocate(person=me, amount_fen=8_050, reference="a2")
    return me


@pytest.mark.django_db
class TestApi:
    def test_the_owner_reads_status_and_years_newest_first(self, resident_api: Any) -> None:
        me = with_history()
        body = resident_api(me).get(URL).json()
        year = timezone.localdate().year
        assert (body["status"], body["insured"], body["covered_today"]) == ("insured", True, True)
        assert body["region"] == {"code": "340600", "name": "淮北市"}
        assert body["insurance_type"] == "employee" and body["insurance_type_label"] == "职工（在职）"
        assert [y["year"] for y in body["years"]] == [year, year - 1]
        this, last = body["years"]
        assert this["allocated"] == {"fen": 20_050, "yuan": "200.50"} and this["allocations"] == 2
        assert this["paid_on"] == f"{year}-01-10" and this["lapses"] == []
        assert last["lapses"] == [
            {"starts_on": f"{year - 1}-03-01", "ends_on": f"{year - 1}-05-31", "reason": "单位欠缴"}
        ]
        assert last["allocated"]["fen"] == 0 and body["page"] == body["pages"] == 1

    def test_a_suspended_person_and_an_unpaid_year_are_said_so(self, resident_api: Any) -> None:
        me = factories.person(insurance_type="resident")
        Person.objects.filter(pk=me.pk).update(insured=False)
        Contribution.objects.create(person=me, year=timezone.localdate().year, paid=False)
        body = resident_api(me).get(URL, headers={"Accept-Language": "en"}).json()
        assert (body["status"], body["status_label"], body["covered_today"]) == (
            "suspended",
            "Insurance suspended",
            False,
        )
        assert body["years"][0]["status"] == "unpaid" and body["years"][0]["status_label"] == "Not paid"
        assert body["has_personal_account"] is False and body["insurance_type_label"] == "Resident"

    def test_years_are_paged_ten_at_a_time(self, resident_api: Any) -> None:
        me = factories.person()
        for year in range(2005, 2027):
            Contribution.objects.create(person=me, year=year, paid=True)
        api = resident_api(me)
        first, third = api.get(URL).json(), api.get(URL, {"page": 3}).json()
        assert first["pages"] == 3 and len(first["years"]) == 10 and first["years"][0]["year"] == 2026
        assert [y["year"] for y in third["years"]] == [2006, 2005]
        assert api.get(URL, {"page": 99}).json()["page"] == 3
        assert api.get(URL, {"page": "abc"}).status_code == 400

    def test_each_sees_only_their_own_and_outsiders_are_refused(self, api: Any, resident_api: Any) -> None:
        parent = with_history(name="父亲")
        child = factories.person(name="孩子", insurance_type="resident")
        factories.bound_to(child, [parent])  # a family member: shares money, not records
        assert resident_api(child).get(URL).json()["years"] == []
        assert api.get(URL).status_code == 401

    def test_the_answer_fits_the_published_schema(self, api: Any, resident_api: Any) -> None:
        import jsonschema

        from tests.portal.diseases.test_api_contract import _plain

        document = api.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
        schema = document["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        answer = resident_api(with_history()).get(URL).json()
        jsonschema.validate(answer, _plain(schema, document["components"]["schemas"]))


@pytest.mark.django_db
class TestPage:
    def test_the_page_shows_status_years_and_masked_identity_only(self) -> None:
        me = with_history(phone="13900007101")
        page = signed_in(me).get("/insurance/").content.decode()
        year = timezone.localdate().year
        assert "参保缴费正常" in page and "职工（在职）" in page and "淮北市" in page
        assert f"{year}年" in page and f"{year - 1}年" in page and "单位欠缴" in page and "¥200.50" in page
        assert me.id_number_masked in page and "13900007101" not in page
        from portal.people.services import person_id_number

        assert person_id_number(me) not in page

    def test_english_shows_no_chinese_but_proper_names(self) -> None:
        me = with_history()
        page = signed_in(me, "en").get("/insurance/").content.decode()
        main = page.split("<main>")[1].split("</main>")[0].replace(me.name, "").replace("淮北市", "")
        assert "Contributions by year" in page and "Xiangshan" not in page
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in main), main

    @pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999999999999999", "%00"])
    def test_a_bad_page_is_named_or_refused_never_an_error(self, page: str) -> None:
        response = signed_in(with_history()).get(f"/insurance/?page={page}")
        assert response.status_code in (200, 400)

    def test_signed_out_visitors_are_sent_to_sign_in(self) -> None:
        assert Client().get("/insurance/")["Location"] == "/signin?next=/insurance/"


@browser_test
def test_insurance_journey_in_the_browser(page: Any) -> None:
    me = with_history(name="孙丽", phone="13900007102")
    sign_in(page, me.phone)
    page.get_by_role("link", name="参保信息").click()
    page.wait_for_url("**/insurance/")
    assert page.get_by_test_id("enrolment").inner_text() == "参保缴费正常"
    assert page.get_by_test_id("year").count() == 2
    shot(page, "insurance-page")
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/insurance/")
    assert page.get_by_role("heading", name="My insurance").is_visible()
    shot(page, "insurance-page-en")
    page.get_by_role("button", name="Large text").click()
    shot(page, "insurance-page-elderly")
