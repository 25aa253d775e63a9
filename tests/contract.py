"""The API contract, checked on every answer the test suite receives.

Every request a test makes through Django's test client (and so through DRF's ``APIClient``) to
``/api/v1/`` has its answer checked against the OpenAPI document the service publishes:

- a JSON 2xx answer must match the operation's declared schema for that status, with no member the
  document does not list (objects are closed here, so the document cannot fall behind the code);
- an error answer must be the ``Error`` component, with a ``code`` the document lists for that status of
  that operation (``x-error-codes``, from the ``define()`` registry).

A mismatch fails the test that made the request, naming the operation, the status and what differs.
Answers the document cannot describe are skipped: 5xx other than 503 (a bug, caught by its own test),
304, and non-JSON bodies (images, files).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30ReadValidator

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    seen: set[str] = field(default_factory=set)


def _closed(schema: Any) -> Any:
    """Objects that list their properties accept no other members (drf-spectacular leaves them open)."""
    if isinstance(schema, dict):
        if schema.get("nullable") and "allOf" in schema and "type" not in schema:
            # drf-spectacular writes a nullable nested object as {"allOf": [ref], "nullable": true}; a strict
            # OAS 3.0 validator reads "nullable" only beside "type", so say the same thing it understands
            rest = {key: value for key, value in schema.items() if key not in ("allOf", "nullable")}
            return {**_closed(rest), "anyOf": [*_closed(schema["allOf"]), {"enum": [None]}]}
        out = {key: _closed(value) for key, value in schema.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(value) for value in schema]
    return schema


@cache
def document() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@cache
def _operations() -> tuple[list[Operation], dict[str, Any]]:
    doc = document()
    components = _closed(copy.deepcopy(doc.get("components", {})))
    operations = []
    for template, item in doc["paths"].items():
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        for method, spec in item.items():
            if method in METHODS:
                operations.append(Operation(method, template, re.compile(f"^{regex}/?$"), spec))
    # literal paths first: /scanner/settlements/preview is not /scanner/settlements/{number}
    operations.sort(key=lambda op: (op.template.count("{"), -len(op.template)))
    return operations, components


def operation_for(method: str, path: str) -> Operation | None:
    operations, _ = _operations()
    return next((op for op in operations if op.method == method and op.pattern.match(path)), None)


@cache
def _validator_for(key: tuple[str, str, str]) -> OAS30ReadValidator:
    method, template, status = key
    _, components = _operations()
    op = next(op for op in _operations()[0] if (op.method, op.template) == (method, template))
    schema = op.spec["responses"][status]["content"]["application/json"]["schema"]
    return OAS30ReadValidator({**_closed(schema), "components": components})


def _validator(op: Operation, status: str) -> OAS30ReadValidator:
    return _validator_for((op.method, op.template, status))


class ContractError(AssertionError):
    pass


def check(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
    """Raise :class:`ContractError` when an answer does not match the document."""
    if not path.startswith("/api/v1/") or status == 304 or (status >= 500 and status != 503):
        return
    if "json" not in content_type or not body:
        return
    op = operation_for(method.lower(), path)
    if op is None:
        return  # not an operation (a 404 for an unknown address, or the schema and docs pages)
    where = f"{method} {op.template} -> {status}"
    response = op.spec["responses"].get(str(status))
    if response is None:
        raise ContractError(f"{where}: status not in the document (documented: {sorted(op.spec['responses'])})")
    data = json.loads(body)
    if status >= 400:
        codes = response.get("x-error-codes", [])
        if data.get("code") not in codes:
            raise ContractError(f"{where}: error code {data.get('code')!r} not documented (documented: {codes})")
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        raise ContractError(f"{where}: answered a JSON body where the document declares none")
    validator = _validator(op, str(status))
    problems = sorted(validator.iter_errors(data), key=lambda error: list(error.absolute_path))
    if problems:
        lines = [
            f"  at {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in problems[:5]
        ]
        raise ContractError(f"{where}: answer does not match the document\n" + "\n".join(lines))
    op.seen.add(str(status))


def coverage() -> dict[str, set[str]]:
    """Statuses each operation was seen answering (and checked) in this run."""
    operations, _ = _operations()
    return {f"{op.method.upper()} {op.template}": set(op.seen) for op in operations}
