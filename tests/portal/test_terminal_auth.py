"""Institution terminals sign every request; stale, replayed, forged or foreign requests are refused."""

import time

import pytest

from portal.signin.signing import sign_headers
from tests import factories

pytestmark = pytest.mark.django_db


def _call(terminal_client, path: str, **overrides: str):
    headers = sign_headers(
        key_id=terminal_client.terminal.key_id, secret=terminal_client.secret, method="GET", path=path
    )
    headers.update(overrides)
    return terminal_client.client.get(path, headers=headers)


def test_a_correctly_signed_request_is_accepted(terminal_api) -> None:
    client = terminal_api()
    response = client.get("/api/v1/terminal/me")
    assert response.status_code == 200
    assert response.json()["institution"]["code"] == client.terminal.institution.code


def test_a_wrong_signature_is_refused(terminal_api) -> None:
    client = terminal_api()
    response = _call(client, "/api/v1/terminal/me", **{"X-Signature": "AAAA" + "B" * 40})
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"


def test_a_request_signed_with_another_secret_is_refused(terminal_api) -> None:
    client = terminal_api()
    path = "/api/v1/terminal/me"
    headers = sign_headers(key_id=client.terminal.key_id, secret="not-the-secret", method="GET", path=path)
    response = client.client.get(path, headers=headers)
    assert response.json()["code"] == "signature_invalid"


def test_a_tampered_body_breaks_the_signature(terminal_api) -> None:
    client = terminal_api()
    path = "/api/v1/auth/logout"
    headers = sign_headers(
        key_id=client.terminal.key_id, secret=client.secret, method="POST", path=path, body=b'{"a":1}'
    )
    response = client.client.post(path, data=b'{"a":2}', content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_stale_request_is_refused(terminal_api, skew: int) -> None:
    client = terminal_api()
    path = "/api/v1/terminal/me"
    headers = sign_headers(
        key_id=client.terminal.key_id, secret=client.secret, method="GET", path=path, timestamp=int(time.time()) + skew
    )
    response = client.client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "request_stale"


def test_a_replayed_request_is_refused(terminal_api) -> None:
    client = terminal_api()
    path = "/api/v1/terminal/me"
    headers = sign_headers(key_id=client.terminal.key_id, secret=client.secret, method="GET", path=path)
    assert client.client.get(path, headers=headers).status_code == 200
    replay = client.client.get(path, headers=headers)
    assert replay.status_code == 401
    assert replay.json()["code"] == "request_replayed"


def test_missing_signature_headers_are_named(terminal_api) -> None:
    client = terminal_api()
    response = client.client.get("/api/v1/terminal/me", headers={"X-Terminal-Key": client.terminal.key_id})
    assert response.status_code == 401
    assert response.json()["code"] == "signature_missing"


def test_an_unknown_or_disabled_terminal_is_refused(terminal_api) -> None:
    client = terminal_api()
    client.terminal.active = False
    client.terminal.save()
    response = client.get("/api/v1/terminal/me")
    assert response.json()["code"] == "terminal_unknown"


def test_a_terminal_acts_only_for_its_own_institution(terminal_api) -> None:
    client = terminal_api()
    other = factories.institution()
    own = client.get(f"/api/v1/institutions/{client.terminal.institution.code}")
    assert own.status_code == 200
    foreign = client.get(f"/api/v1/institutions/{other.code}")
    assert foreign.status_code == 403
    assert foreign.json()["code"] == "institution_mismatch"


def test_a_resident_cannot_call_terminal_endpoints(resident_api) -> None:
    response = resident_api(factories.person()).get("/api/v1/terminal/me")
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_terminal"


def test_the_secret_is_stored_encrypted(terminal_api) -> None:
    client = terminal_api()
    assert client.secret not in client.terminal.secret_encrypted
