"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.live.schemathesis_hooks): sign every request the way a
terminal signs it, when the run is a terminal's (ST_TERMINAL_KEY and ST_TERMINAL_SECRET are set)."""

from __future__ import annotations

import os
from typing import Any

import requests
import schemathesis

from portal.signin.signing import sign_headers


class TerminalSignature(requests.auth.AuthBase):
    """Signs the prepared request: the exact bytes and path?query that go on the wire."""

    def __init__(self, key: str, secret: str) -> None:
        self.key, self.secret = key, secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        assert request.method is not None
        request.headers.update(
            sign_headers(key_id=self.key, secret=self.secret, method=request.method, path=request.path_url, body=body)
        )
        return request


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    key, secret = os.environ.get("ST_TERMINAL_KEY"), os.environ.get("ST_TERMINAL_SECRET")
    if key and secret:
        kwargs["auth"] = TerminalSignature(key, secret)
