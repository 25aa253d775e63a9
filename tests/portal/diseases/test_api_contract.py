"""Every answer of the specified-disease API, success or refusal, fits the OpenAPI schema it publishes
(what the live schemathesis run checks against the deployed service)."""

import datetime as dt
from typing import Any

import jsonschema
import pytest

from portal.diseases import services
from portal.diseases.common import add_months
from tests import factories
from tests.portal.diseases import factories as make
from tests.portal.diseases.test_suspensions import GOOD

pytestmark = pytest.mark.django_db


def _plain(node: Any, components: dict[str, Any]) -> Any:
    """OpenAPI 3.0 to JSON Schema: references inlined, ``nullable`` as a union with null."""
    if isinstance(node, list):
        return [_plain(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _plain(components[node["$ref"].rsplit("/", 1)[1]], components)
    out = {key: _plain(value, components) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out


@pytest.fixture
def contract(api):
    document = api.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    components = document["components"]["schemas"]

    def check(template: str, method: str, response: Any) -> None:
        operation = document["paths"][template][method]
        declared = operation["responses"].get(str(response.status_code))
        assert declared is not None, f"{method} {template} answered an undeclared {response.status_code}"
        schema = _plain(declared["content"]["application/json"]["schema"], components)
        jsonschema.validate(response.json(), schema)

    return check


def test_every_operation_is_documented_with_a_body(contract, api) -> None:
    paths = api.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()["paths"]
    ours = {p: ops for p, ops in paths.items() if p.startswith("/api/v1/diseases")}
    assert set(ours) == {
        "/api/v1/diseases",
        "/api/v1/diseases/recognitions",
        "/api/v1/diseases/recognitions/{recognition_id}",
        "/api/v1/diseases/recognitions/{recognition_id}/withdraw",
        "/api/v1/diseases/recognitions/{recognition_id}/institution",
        "/api/v1/diseases/suspensions",
        "/api/v1/diseases/suspensions/{suspension_id}/reinstatement",
    }
    for template, operations in ours.items():
        for method, operation in operations.items():
            success = [s for s in operation["responses"] if s.startswith("2")]
            assert success and all("content" in operation["responses"][s] for s in success), (method, template)


def test_the_list_answers_fit_the_schema(contract, api, resident_api) -> None:
    make.hospital(region_code="340500")
    contract("/api/v1/diseases", "get", api.get("/api/v1/diseases", {"region": "340500"}))
    contract("/api/v1/diseases", "get", api.get("/api/v1/diseases", {"region": "640000"}))
    contract("/api/v1/diseases", "get", api.get("/api/v1/diseases"))
    contract("/api/v1/diseases", "get", api.get("/api/v1/diseases", {"region": "000000"}))
    make.group(with_rules=False)
    contract("/api/v1/diseases", "get", resident_api(factories.person()).get("/api/v1/diseases"))


def test_the_recognition_answers_fit_the_schema(contract, resident_api) -> None:
    person = factories.person()
    api = resident_api(person)
    disease, hospital = make.disease(), make.hospital()
    url = "/api/v1/diseases/recognitions"
    created = api.post(
        url,
        {"disease_code": disease.code, "institution_code": hospital.code, "documents": [make.png()]},
        format="multipart",
    )
    contract(url, "post", created)
    contract(url, "post", api.post(url, {"disease_code": disease.code}, format="multipart"))
    contract(url, "get", api.get(url))
    item = f"{url}/{{recognition_id}}"
    rid = created.json()["id"]
    contract(item, "get", api.get(f"{url}/{rid}"))
    contract(item, "get", api.get(f"{url}/999999"))
    contract(f"{item}/institution", "post", api.post(f"{url}/{rid}/institution", {"institution_code": "X"}))
    contract(f"{item}/withdraw", "post", api.post(f"{url}/{rid}/withdraw"))
    contract(f"{item}/withdraw", "post", api.post(f"{url}/{rid}/withdraw"))
    approved = make.approved(person=person, of=make.disease(choice_exempt=True))
    contract(item, "get", api.get(f"{url}/{approved.pk}"))
    chosen = make.approved(person=person, of=make.disease())
    changed = api.post(f"{url}/{chosen.pk}/institution", {"institution_code": make.hospital().code}, format="json")
    assert changed.status_code == 200
    contract(f"{item}/institution", "post", changed)


def test_the_suspension_answers_fit_the_schema(contract, resident_api) -> None:
    person = factories.person()
    api = resident_api(person)
    url = "/api/v1/diseases/suspensions"
    contract(url, "get", api.get(url))
    recognition = make.approved(person=person, of=make.disease(), valid_from=make.today() - dt.timedelta(days=500))
    make.violation(recognition=recognition, starts_on=add_months(make.today(), -13))
    contract(url, "get", api.get(url))
    sid = api.get(url).json()["results"][0]["id"]
    template = f"{url}/{{suspension_id}}/reinstatement"
    contract(template, "post", api.post(f"{url}/{sid}/reinstatement", {**GOOD, "application": "x"}, format="json"))
    applied = api.post(f"{url}/{sid}/reinstatement", GOOD, format="json")
    assert applied.status_code == 201
    contract(template, "post", applied)
    reinstatement_id = applied.json()["reinstatements"][0]["id"]
    services.reinstatement_approve(reinstatement_id=reinstatement_id, reviewer=make.staff())
    contract(url, "get", api.get(url))
    contract(template, "post", api.post(f"{url}/{sid}/reinstatement", GOOD, format="json"))


def test_the_contract_check_itself_refuses_a_body_missing_a_field(contract, resident_api) -> None:
    person = factories.person()
    recognition = make.applied(person=person, of=make.disease())
    response = resident_api(person).get(f"/api/v1/diseases/recognitions/{recognition.pk}")
    body = response.json()
    del body["valid_to"]
    response.json = lambda: body
    with pytest.raises(jsonschema.ValidationError):
        contract("/api/v1/diseases/recognitions/{recognition_id}", "get", response)
