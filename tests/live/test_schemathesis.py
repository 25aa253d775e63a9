"""Schemathesis against the running service (gunicorn on PostgreSQL), three ways: anonymous, a signed-in
resident, and a terminal (every request signed by a hook). No answer may be a 5xx or outside the schema:
an undocumented status, content type or body shape fails the run."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests import factories
from tests.live.deployment import BIN, ROOT, Deployment
from tests.live.helpers import terminal_of, token_of
from tests.payments.settlement_helpers import insured

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = int(os.environ.get("ST_MAX_EXAMPLES", "12"))


def _run(live: Deployment, who: str, workdir: Path, headers: dict[str, str], env: dict[str, str]) -> dict:
    report = workdir / f"schemathesis-{who}.json"
    args = [
        str(BIN / "st"),
        "run",
        f"{live.base_url}/api/v1/schema/",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "2",
        "--seed",
        "20261130",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--exclude-path-regex",
        r"^/api/v1/(schema|docs)/",
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, **env, "SCHEMATHESIS_HOOKS": "tests.live.schemathesis_hooks", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = re.findall(r"^.*(?:test cases|passed|failed|Operations|Test cases).*$", result.stdout, re.M)
    print(f"\n[schemathesis, {who}] exit {result.returncode}\n" + "\n".join(summary[-6:]))
    assert result.returncode == 0, result.stdout[-6000:]
    return json.loads(report.read_text()) if report.exists() else {}


@pytest.mark.parametrize("who", ["anonymous", "resident", "terminal"])
def test_schemathesis_finds_no_server_error_and_nothing_outside_the_schema(
    live: Deployment, who: str, tmp_path: Path
) -> None:
    headers: dict[str, str] = {}
    env = {"ST_TERMINAL_KEY": "", "ST_TERMINAL_SECRET": ""}
    if who == "resident":
        headers["Authorization"] = f"Bearer {token_of(insured(insurance_type='employee', balance_fen=10_000))}"
    elif who == "terminal":
        terminal = terminal_of(factories.institution(kind="pharmacy"))
        env = {"ST_TERMINAL_KEY": terminal.key_id, "ST_TERMINAL_SECRET": terminal.secret}
    _run(live, who, tmp_path, headers, env)
