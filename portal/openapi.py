"""OpenAPI schema helpers: what is documented, the error envelope, and the error codes of each operation.

Every operation declares its typed 2xx answer (an output serializer, or an explicit empty 204) and the
domain error codes it can answer with ``extend_schema(..., extensions=errors(CODE, ...))``. The
postprocessing hook below adds the codes every operation of its kind can answer (bad input, sign-in,
limits, a lost race) and writes, per error status, the shared ``Error`` component with the codes that
status carries (``x-error-codes``) and their messages, taken from the ``define()`` registry so the
document cannot drift from the code. The test suite checks every real API answer against this document
(``tests/contract.py``): an answer whose shape or error code is not documented fails the test that made it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from drf_spectacular.openapi import AutoSchema

from portal.errors import (
    AUTHENTICATION_FAILED,
    CATALOGUE,
    CSRF_FAILED,
    FORBIDDEN,
    INVALID_INPUT,
    MALFORMED_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    RATE_LIMITED,
    UNSUPPORTED_MEDIA_TYPE,
)

ERROR_CODES = "x-error-codes"
METHODS = ("get", "post", "put", "patch", "delete")

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error has this shape; `message` is in the request's language (Accept-Language).",
    "properties": {
        "code": {"type": "string", "description": "Stable, language-free error code (see each answer's list)."},
        "message": {"type": "string", "description": "For people, in zh-hans or English."},
        "details": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "message", "details"],
}

STATUS_WORDS = {
    400: "Bad request",
    401: "Not signed in, or a signature that does not verify",
    403: "Signed in, but not allowed",
    404: "Not found (or not yours)",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Refused in the current state",
    410: "Gone",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Understood but refused by a business rule",
    428: "A proof-of-work check comes first (the challenge is in `details`)",
    429: "Too many requests (`Retry-After` says when to try again)",
    503: "Busy or a partner is unavailable; retry later (`Retry-After` when known)",
}


def errors(*codes: str) -> dict[str, list[str]]:
    """``extend_schema(extensions=errors(A, B))``: the domain error codes an operation can answer, besides
    those every operation of its kind can (:func:`generic_codes`). Codes must be registered."""
    unknown = [code for code in codes if code not in CATALOGUE]
    if unknown:
        raise ValueError(f"undefined error codes: {unknown}")
    return {ERROR_CODES: sorted(set(codes))}


def generic_codes(method: str, operation: dict[str, Any]) -> set[str]:
    """The codes any operation of this kind can answer, whatever it does."""
    from portal.concurrency import BUSY
    from portal.hygiene import REQUEST_TOO_LARGE
    from portal.signin import authentication

    codes = {MALFORMED_REQUEST, METHOD_NOT_ALLOWED, NOT_ACCEPTABLE, RATE_LIMITED}  # portal.hygiene reads every request
    security = operation.get("security") or []
    if security:
        # a credential that is sent is checked, even where none is needed
        codes |= {AUTHENTICATION_FAILED, *authentication.FAILURES}
        if {} not in security:
            codes |= {NOT_AUTHENTICATED, FORBIDDEN}
        if method != "get" and any("cookieAuth" in scheme for scheme in security):
            codes.add(CSRF_FAILED)
    if operation.get("parameters"):
        codes.add(INVALID_INPUT)
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
        codes.add(NOT_FOUND)
    if method != "get":
        codes |= {REQUEST_TOO_LARGE, BUSY}
        if operation.get("requestBody"):
            codes |= {INVALID_INPUT, UNSUPPORTED_MEDIA_TYPE}
    return codes


def _error_response(status: int, codes: Iterable[str]) -> dict[str, Any]:
    listed = sorted(codes)
    lines = "\n".join(f"- `{code}`: {CATALOGUE[code].en} ({CATALOGUE[code].zh})" for code in listed)
    return {
        "description": f"{STATUS_WORDS.get(status, 'Error')}. Codes:\n{lines}",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        ERROR_CODES: listed,
    }


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the refusals of the view's permission classes (their
    ``error_codes``) in the operation's ``x-error-codes``."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            codes = set(operation.get(ERROR_CODES, []))
            for permission in self.view.get_permissions():
                codes |= set(getattr(permission, "error_codes", ()))
            if codes:
                operation[ERROR_CODES] = sorted(codes)
        return operation


def only_public_api(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """The schema documents /api/v1/ only, not the CMS's own internal API under /cms/api/."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def error_envelope(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing: per operation, each error status with its codes and the shared
    ``Error`` component."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            codes = generic_codes(method, operation) | set(operation.get(ERROR_CODES, []))
            operation[ERROR_CODES] = sorted(codes)
            by_status: dict[int, set[str]] = defaultdict(set)
            for code in codes:
                by_status[CATALOGUE[code].status].add(code)
            responses = operation.setdefault("responses", {})
            for status in sorted(by_status):
                responses[str(status)] = _error_response(status, by_status[status])
    return result
