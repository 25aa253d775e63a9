"""OpenAPI schema helpers: what is documented, and the error envelope every operation can answer."""

from typing import Any

# Statuses any operation may answer in the error shape: bad input, sign-in, access, absence, method,
# format, a conflict with the current state, a body too large, the security check before an SMS,
# limits, and a lost race retried too often (503 busy_retry).
ERROR_STATUSES = {
    "400": "Bad request: invalid input or a malformed body (`invalid_input`, `malformed_request`, ...)",
    "401": "Not signed in, or a terminal signature that does not verify",
    "403": "Signed in, but not allowed",
    "404": "Not found (or not yours)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Refused in the current state (e.g. `idempotency_conflict`, `order_state_refused`)",
    "413": "Request too large (`request_too_large`)",
    "415": "Unsupported media type",
    "422": "Understood but refused by a business rule (e.g. `policy_missing`, `all_items_refused`)",
    "428": "A proof-of-work check comes first (`challenge_required`, with the challenge in `details`)",
    "429": "Too many requests (`rate_limited`, ...; `Retry-After` says when to try again)",
    "503": "Busy or a partner is unavailable (`busy_retry`, `sms_unavailable`, ...; retry later)",
}

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error has this shape; `message` is in the request's language (Accept-Language).",
    "properties": {
        "code": {"type": "string", "description": "Stable, language-free error code."},
        "message": {"type": "string", "description": "For people, in zh-hans or English."},
        "details": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "message", "details"],
}


def only_public_api(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """The schema documents /api/v1/ only, not the CMS's own internal API under /cms/api/."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def error_envelope(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing: the shared Error component on every operation's error statuses."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
