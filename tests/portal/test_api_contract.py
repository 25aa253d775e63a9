"""The schema gate: every operation typed, with its errors, and the document valid OpenAPI.

The answers themselves are checked against the document on every request of the suite (tests/contract.py);
here the document is checked for completeness, and a client generated from it is used end to end.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from portal.errors import CATALOGUE
from tests import contract


def _component(ref: str) -> dict[str, Any]:
    return contract.document()["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _typed(schema: dict[str, Any]) -> bool:
    """A schema that says what the body holds: a named component or an object with its members, or an
    array of those. A free-form object (``DictField``) or an empty schema is not typed."""
    if "$ref" in schema:
        return _typed(_component(schema["$ref"]))
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}))
    if "allOf" in schema or "oneOf" in schema:
        return all(_typed(part) for part in schema.get("allOf", []) + schema.get("oneOf", []))
    if schema.get("type") == "object":
        return bool(schema.get("properties"))
    return bool(schema.get("type") or schema.get("enum"))


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in contract.document()["paths"].items()
        for method, op in item.items()
        if method in contract.METHODS
    ]


def test_every_operation_declares_a_typed_answer() -> None:
    untyped = []
    for method, path, op in _operations():
        answers = {status: r for status, r in op["responses"].items() if status.startswith("2")}
        for status, response in answers.items():
            if status == "204":
                if "content" in response:
                    untyped.append(f"{method} {path} 204 declares a body")
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            other = [t for t in response.get("content", {}) if t != "application/json"]
            if schema is None and not other:
                untyped.append(f"{method} {path} {status}: no body declared")
            elif schema is not None and not _typed(schema):
                untyped.append(f"{method} {path} {status}: the body is not typed ({schema})")
        if not answers:
            untyped.append(f"{method} {path}: no 2xx answer")
    assert untyped == [], f"{len(untyped)} of {len(_operations())} operations:\n" + "\n".join(untyped)


def test_every_operation_declares_its_errors_with_the_shared_component() -> None:
    missing = []
    for method, path, op in _operations():
        errors = {status: r for status, r in op["responses"].items() if status[0] in "45"}
        if not errors:
            missing.append(f"{method} {path}: no error answers")
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            codes = response.get("x-error-codes", [])
            if schema != {"$ref": "#/components/schemas/Error"} or not codes:
                missing.append(f"{method} {path} {status}: not the Error component with its codes")
            wrong = [code for code in codes if CATALOGUE[code].status != int(status)]
            if wrong:
                missing.append(f"{method} {path} {status}: codes of another status {wrong}")
    assert missing == []


def test_an_operation_lists_its_own_refusals_beside_the_generic_ones() -> None:
    """The codes come from the define() registry, grouped by their status, with their messages."""
    op = contract.document()["paths"]["/api/v1/payments/orders/{number}/pay"]["post"]
    assert "order_state_refused" in op["responses"]["409"]["x-error-codes"]
    assert "not_authenticated" in op["responses"]["401"]["x-error-codes"]
    assert CATALOGUE["order_state_refused"].en in op["responses"]["409"]["description"]
    anonymous = contract.document()["paths"]["/api/v1/vouchers/jwks"]["get"]
    assert (
        "401" not in anonymous["responses"] or "not_authenticated" not in anonymous["responses"]["401"]["x-error-codes"]
    )


def test_the_document_is_valid_openapi_without_warnings() -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.django_db
def test_a_wrong_answer_fails_the_contract_check() -> None:
    """The suite-wide check is real: an undocumented member, a missing one, or an undeclared code fails."""
    me = "/api/v1/me"
    with pytest.raises(contract.ContractError, match="not documented"):
        contract.check(
            "GET", me, 401, "application/json", b'{"code": "order_state_refused", "message": "", "details": {}}'
        )
    with pytest.raises(contract.ContractError, match="does not match"):
        contract.check("GET", me, 200, "application/json", b'{"id": 1, "surprise": true}')
    with pytest.raises(contract.ContractError, match="status not in the document"):
        contract.check("GET", me, 418, "application/json", b"{}")


# --- A client generated from the document, used end to end ---------------------------------------------


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``openapi-python-client`` generates a typed client from the document the service publishes; it is
    imported as ``portal_client`` for the test, then forgotten."""
    import subprocess
    import sys
    from pathlib import Path

    from django.core.management import call_command

    root = tmp_path_factory.mktemp("client")
    call_command("spectacular", "--file", str(root / "openapi.yaml"))
    (root / "config.yaml").write_text("post_hooks: []\npackage_name_override: portal_client\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    arguments = ["--path", "openapi.yaml", "--meta", "none", "--config", "config.yaml"]
    arguments += ["--output-path", "portal_client"]
    run = subprocess.run(
        [str(generator), "generate", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "Warning" not in run.stdout, run.stdout + run.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("portal_client")
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == "portal_client"]:
            del sys.modules[name]


def _wsgi(client_module: Any, **headers: str) -> Any:
    """The generated client, talking to the whole Django stack (middleware, auth, views) over WSGI."""
    import httpx
    from django.core.handlers.wsgi import WSGIHandler

    transport = httpx.WSGITransport(app=WSGIHandler())
    return client_module.Client(base_url="http://testserver", headers=headers, httpx_args={"transport": transport})


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """A real WSGI request closes the database connection when it ends; inside a test that would close the
    test's own transaction (Django's test client does the same as this)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _api(name: str) -> Any:
    return importlib.import_module(f"portal_client.{name}")


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_the_test_connection")
def test_a_generated_python_client_signs_in_reads_and_pages(generated_client: Any, sms_outbox: Any) -> None:
    from urllib.parse import parse_qs, urlsplit

    from portal.ledger.services import personal_account_allocate
    from tests import factories

    person = factories.person(phone="13900007777")
    for n in range(3):
        personal_account_allocate(person=person, amount_fen=100 + n, reference=f"allocation-{n}")
    models = _api("models")
    anonymous = _wsgi(generated_client)

    # an error comes back as the typed Error model, with its documented code
    refused = _api("api.resident.me_retrieve").sync(client=anonymous)
    assert isinstance(refused, models.Error) and refused.code == "not_authenticated"

    sent = _api("api.sign_in.auth_sms_code_create").sync_detailed(
        client=anonymous, body=models.SmsCodeRequest(phone=person.phone)
    )
    assert sent.status_code == 202
    login = _api("api.sign_in.auth_login_create").sync(
        client=anonymous,
        body=models.Login(phone=person.phone, code=sms_outbox[-1]["code"], client=models.ClientEnum.APP),
    )
    assert isinstance(login, models.LoginResult) and login.token.startswith("rt_")
    me_client = _wsgi(generated_client, Authorization=f"Bearer {login.token}")

    me = _api("api.resident.me_retrieve").sync(client=me_client)
    assert isinstance(me, models.Me)
    assert (me.name, me.id_number_masked) == (person.name, person.id_number_masked)

    # a list, paged with the one convention: two rows, then the cursor of `next` for the third
    statement = _api("api.resident.me_statement")
    first = statement.sync(client=me_client, limit=2)
    assert len(first.results) == 2 and isinstance(first.next_, str)
    cursor = parse_qs(urlsplit(first.next_).query)["cursor"][0]
    second = statement.sync(client=me_client, limit=2, cursor=cursor)
    assert len(second.results) == 1 and second.next_ is None
    seen = [line.id for line in first.results + second.results]
    assert len(set(seen)) == 3

    code = _api("api.e_voucher.vouchers_code_retrieve").sync(client=me_client)
    assert isinstance(code, models.Error) and code.code == "no_voucher"  # not activated yet
