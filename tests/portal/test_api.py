"""The resident API: own data only, one error shape, never a 500 for bad input."""

import pytest

from portal.ledger.selectors import personal_account
from portal.ledger.services import Leg, institution_account, ledger_post
from tests import factories

pytestmark = pytest.mark.django_db


def test_me_shows_the_masked_identity_and_the_balance(resident_api) -> None:
    number = factories.id_number()
    person = factories.person(number=number, balance_fen=123_45)
    body = resident_api(person).get("/api/v1/me").json()
    assert body["id_number_masked"] == number[:3] + "*" * 13 + number[-2:]
    assert number not in str(body)
    assert body["personal_account"]["balance"] == {"fen": 12345, "yuan": "123.45"}
    assert body["phone_masked"].count("*") == 4
    assert body["region"]["code"] == "340600"


def test_a_resident_without_a_personal_account_sees_none(resident_api) -> None:
    person = factories.person(insurance_type="resident")
    assert resident_api(person).get("/api/v1/me").json()["personal_account"] is None


def test_the_owner_reads_their_account_history_newest_first(resident_api) -> None:
    person = factories.person(balance_fen=10_000)
    account = personal_account(person=person)
    pharmacy = institution_account(institution=factories.institution())
    for amount in (100, 200, 300):
        ledger_post(kind="payment", legs=[Leg(account.pk, -amount), Leg(pharmacy.pk, amount)])
    client = resident_api(person)
    page = client.get(f"/api/v1/accounts/{account.pk}/entries?limit=2").json()
    assert [e["amount"]["fen"] for e in page["results"]] == [-300, -200]
    assert page["results"][0]["balance_after"]["yuan"] == "94.00"
    assert page["previous"] is None
    rest = client.get(page["next"]).json()
    assert [e["amount"]["fen"] for e in rest["results"]] == [-100, 10_000]
    assert rest["next"] is None and client.get(rest["previous"]).json()["results"] == page["results"]


def test_another_resident_cannot_read_my_account_and_learns_nothing(resident_api) -> None:
    owner = factories.person(balance_fen=10_000)
    outsider = factories.person()
    account = personal_account(person=owner)
    response = resident_api(outsider).get(f"/api/v1/accounts/{account.pk}/entries")
    missing = resident_api(outsider).get("/api/v1/accounts/999999/entries")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()


def test_a_terminal_cannot_read_a_residents_account(terminal_api) -> None:
    owner = factories.person(balance_fen=10_000)
    response = terminal_api().get(f"/api/v1/accounts/{personal_account(person=owner).pk}/entries")
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_resident"


def test_anonymous_callers_are_asked_to_sign_in(api) -> None:
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "请先登录", "details": {}}


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=abc", "limit"), ("limit=0", "limit"), ("limit=101", "limit"), ("cursor=not-ours", "cursor")],
)
def test_bad_paging_parameters_are_field_errors_not_500(resident_api, query: str, field: str) -> None:
    person = factories.person(balance_fen=100)
    account = personal_account(person=person)
    response = resident_api(person).get(f"/api/v1/accounts/{account.pk}/entries?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert set(body["details"]["fields"]) == {field}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{not json", "application/json"), (b"\xff\xfe", "application/json"), (b"phone=1", "text/csv")],
)
def test_malformed_bodies_get_a_clear_error(api, body: bytes, content_type: str) -> None:
    response = api.post("/api/v1/auth/sms-code", data=body, content_type=content_type)
    assert response.status_code in (400, 415)
    assert response.json()["code"] in {"malformed_request", "unsupported_media_type"}


def test_unknown_api_paths_answer_json_404(api) -> None:
    response = api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_openapi_schema_and_its_ui_are_served(api) -> None:
    schema = api.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/me" in paths and "/api/v1/auth/login" in paths
    assert "terminalSignature" in schema.json()["components"]["securitySchemes"]
    docs = api.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_health_check_answers(api) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}


def test_a_session_post_without_the_csrf_token_is_told_to_reload() -> None:
    from django.test import Client

    from portal.people.services import person_user

    client = Client(enforce_csrf_checks=True)
    client.force_login(person_user(person=factories.person()))
    response = client.post("/api/v1/auth/logout", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed" and "reload" in response.json()["message"]
