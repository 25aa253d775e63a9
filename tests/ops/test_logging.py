"""Logs: JSON lines with a request id in production, the id carried into Celery tasks, and never a full
identity number, phone number or code, whatever the level and however the line was built."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from portal.observability.logs import logging_config, request_id_from
from portal.people.services import person_id_number
from tests import factories
from tests.payments.online_helpers import authorize_and_pay, hospital_client, patient, upload
from tests.payments.settlement_helpers import insured, scan

pytestmark = pytest.mark.django_db

FIELDS = {"timestamp", "level", "logger", "event", "request_id"}


class Captured:
    """What the root handler wrote, configured as ``settings.LOGGING`` is (one format), into a buffer.

    ``settings.LOGGING`` itself is replaced too: Celery's Django fix-up runs ``django.setup()`` again when a
    process first looks up its tasks, and that applies ``settings.LOGGING`` afresh."""

    def __init__(self, settings: Any, *, json_lines: bool) -> None:
        self.json = json_lines
        self.buffer = io.StringIO()
        self.original = settings.LOGGING
        settings.LOGGING = logging_config(json=json_lines, level="DEBUG")
        settings.LOGGING["handlers"]["console"]["stream"] = self.buffer
        logging.config.dictConfig(settings.LOGGING)

    def restore(self) -> None:
        logging.config.dictConfig(self.original)

    def text(self) -> str:
        return self.buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Each line parsed: fails on any line that is not one JSON object."""
        parsed = []
        for line in self.text().splitlines():
            value = json.loads(line)
            assert isinstance(value, dict), line
            parsed.append(value)
        return parsed

    def clear(self) -> None:
        self.buffer.seek(0)
        self.buffer.truncate()


@pytest.fixture
def production_log(settings: Any) -> Iterator[Captured]:
    captured = Captured(settings, json_lines=True)
    yield captured
    captured.restore()


@pytest.fixture(params=["json", "plain"])
def any_log(request: pytest.FixtureRequest, settings: Any) -> Iterator[Captured]:
    captured = Captured(settings, json_lines=request.param == "json")
    yield captured
    captured.restore()


def finished(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    (line,) = [x for x in lines if x["request_id"] == request_id and x["event"] == "request_finished"]
    return line


def test_every_line_of_a_production_run_is_json_with_a_request_id(
    api: Any, terminal_api: Any, sms_outbox: list[dict[str, str]], production_log: Captured
) -> None:
    person = insured(insurance_type="employee")
    pharmacy = terminal_api(factories.institution(kind="pharmacy"))
    production_log.clear()

    sent = api.post("/api/v1/auth/sms-code", {"phone": person.phone}, format="json")
    assert sent.status_code == 202, sent.json()
    code = sms_outbox[-1]["code"]
    wrong = "000000" if code != "000000" else "111111"
    refused = api.post("/api/v1/auth/login", {"phone": person.phone, "code": wrong, "client": "web"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "otp_invalid"
    signed_in = api.post("/api/v1/auth/login", {"phone": person.phone, "code": code, "client": "web"}, format="json")
    assert signed_in.status_code == 200, signed_in.json()
    me = api.get("/api/v1/me")
    assert me.status_code == 200
    scan(pharmacy, person)  # a scan: a signed terminal request
    scanned = pharmacy.client.get("/api/v1/no-such-thing")
    assert scanned.status_code == 404

    lines = production_log.lines()
    assert len(lines) >= 12  # started and finished for each of the six requests, and what they logged
    for line in lines:
        assert line.keys() >= FIELDS, line
        assert line["request_id"], line  # every line was logged inside one of the requests
    ids = [r["X-Request-ID"] for r in (sent, refused, signed_in, me, scanned)]
    assert len(set(ids)) == 5
    assert {line["request_id"] for line in lines} == {*ids, _scan_request_id(lines)}
    assert finished(lines, sent["X-Request-ID"])["status"] == 202
    assert finished(lines, refused["X-Request-ID"])["level"] == "warning"
    # The actor: nobody before sign-in, the resident (a Person pk) after, the terminal by its key id.
    assert "actor" not in finished(lines, sent["X-Request-ID"])
    assert finished(lines, signed_in["X-Request-ID"])["actor"] == f"resident:{person.pk}"
    assert finished(lines, me["X-Request-ID"])["actor"] == f"resident:{person.pk}"
    assert finished(lines, _scan_request_id(lines))["actor"] == f"terminal:{pharmacy.terminal.key_id}"
    # Nothing of the phone, the code or the identity number, in any field.
    text = production_log.text()
    assert person.phone not in text and person_id_number(person) not in text
    assert not re.search(rf"(?<![0-9]){code}(?![0-9])", _without_timestamps(lines))


def _scan_request_id(lines: list[dict[str, Any]]) -> str:
    (line,) = [x for x in lines if x["event"] == "request_finished" and x["request"].endswith("/scanner/scan")]
    return str(line["request_id"])


def _without_timestamps(lines: list[dict[str, Any]]) -> str:
    return json.dumps([{k: v for k, v in line.items() if k != "timestamp"} for line in lines], ensure_ascii=False)


def test_a_callers_request_id_comes_back_and_is_the_one_in_the_log(api: Any, production_log: Captured) -> None:
    response = api.get("/healthz", headers={"X-Request-ID": "edge-7f3a9c21.lb:01"})
    assert response["X-Request-ID"] == "edge-7f3a9c21.lb:01"
    lines = production_log.lines()
    assert lines and {line["request_id"] for line in lines} == {"edge-7f3a9c21.lb:01"}


@pytest.mark.parametrize(
    "sent",
    ["short", "x" * 129, "has spaces in it", "semi;colon-123456", "call-13812345678", "中文请求编号abcdefgh", ""],
)
def test_an_insane_request_id_is_replaced_by_a_new_one(api: Any, production_log: Captured, sent: str) -> None:
    response = api.get("/healthz", headers={"X-Request-ID": sent})
    returned = response["X-Request-ID"]
    assert returned != sent and re.fullmatch(r"[0-9a-f]{32}", returned)
    assert {line["request_id"] for line in production_log.lines()} == {returned}


def test_without_a_request_id_each_request_gets_its_own(api: Any) -> None:
    first, second = api.get("/healthz")["X-Request-ID"], api.get("/healthz")["X-Request-ID"]
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)


def test_new_request_ids_never_look_like_a_phone_or_identity_number() -> None:
    for _ in range(2000):
        fresh = request_id_from(None)
        assert not re.search(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])", fresh)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_queued_by_a_request_logs_the_same_request_id(resident_api: Any, production_log: Captured) -> None:
    """Eager here (embedded mode); the header that carries the id to a real worker is in the next test."""
    person = patient(insurance_type="employee", balance_fen=100_000)
    number = upload(hospital_client(), person, amounts=(10_000,)).json()["order"]
    production_log.clear()
    paid = authorize_and_pay(resident_api(person), number)  # insurance only: settled, the hospital is told
    assert paid.json()["status"] == "settled", paid.json()

    lines = production_log.lines()
    request_id = paid["X-Request-ID"]
    task_lines = [x for x in lines if x.get("task_id")]
    assert {x["event"] for x in task_lines} >= {"task_started", "task_succeeded"}
    assert {x["task"] for x in task_lines if x["event"] == "task_started"} == {"payments.online.deliver_hospital_event"}
    assert {x["request_id"] for x in task_lines} == {request_id}
    # The request's own lines after the (eager) task still carry its id and its actor.
    assert finished(lines, request_id)["actor"] == f"resident:{person.pk}"
    assert "task_id" not in finished(lines, request_id)


def test_a_published_task_carries_the_request_id_and_actor_in_its_headers(production_log: Captured) -> None:
    """What a real worker receives: before_task_publish puts the context in the message's headers."""
    from celery.signals import before_task_publish

    headers: dict[str, Any] = {}
    structlog.contextvars.bind_contextvars(request_id="edge-12345678", actor="resident:7", ip="10.0.0.1")
    try:
        before_task_publish.send(sender="portal.ping", headers=headers, body={}, properties={}, routing_key="celery")
    finally:
        structlog.contextvars.clear_contextvars()
    assert headers["__django_structlog__"] == {"request_id": "edge-12345678", "actor": "resident:7"}


ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
CODE = "482915"
SECRETS = (
    ID_NUMBER,
    ID_NUMBER.lower(),
    PHONE,
    "139 1234 5678",
    "139-1234-5678",
    CODE,
    "rt_Zq8sL0pA9xW2",
    "PA20261201000042",
)
LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]


def _feed(level: int) -> None:
    """Every shape a careless line could take, at ``level``."""
    stdlib = logging.getLogger("portal.careless")
    slog = structlog.get_logger("portal.careless.structlog")
    stdlib.log(level, "person %s phone %s code %s", ID_NUMBER, PHONE, CODE)
    stdlib.log(level, f"resident {ID_NUMBER.lower()} on +86 {PHONE} with 验证码 {CODE}，5 分钟内有效")
    stdlib.log(level, f"sms to 139 1234 5678 / 139-1234-5678 / +86{PHONE} / {int(PHONE)}")
    stdlib.log(
        level, f"query ?phone={PHONE}&code={CODE}&token=rt_Zq8sL0pA9xW2 body {{'pay_auth_no': 'PA20261201000042'}}"
    )
    stdlib.log(
        level,
        "extra fields",
        extra={
            "id_number": ID_NUMBER,
            "mobile": int(PHONE),
            "code": CODE,
            "nested": {"otp": CODE, "items": [PHONE, {"password": "hunter2", "note": f"id {ID_NUMBER}"}]},
            "token": "rt_Zq8sL0pA9xW2",
            "pay_auth_no": "PA20261201000042",
        },
    )
    slog.log(level, f"structlog {ID_NUMBER}", phone=PHONE, code=CODE, sms=f"code={CODE}", people=[(ID_NUMBER, PHONE)])
    slog.log(level, "positional %s %s", ID_NUMBER, PHONE)
    try:
        raise ValueError(f"lookup failed for {ID_NUMBER} ({PHONE}), code: {CODE}")
    except ValueError:
        stdlib.log(level, "with a traceback", exc_info=True)
        slog.log(level, "structlog traceback", exc_info=True)
        stdlib.log(level, "traceback and stack", exc_info=True, stack_info=True)


@pytest.mark.parametrize("level", LEVELS, ids=logging.getLevelName)
def test_no_identity_number_phone_number_or_code_reaches_a_log_line(any_log: Captured, level: int) -> None:
    _feed(level)
    text = any_log.text()
    assert text.count("\n") >= 10
    if any_log.json:
        lines = any_log.lines()
        assert len(lines) == 10  # one JSON object a line, tracebacks included
        searched = _without_timestamps(lines)
    else:
        searched = re.sub(r"^\S+Z ", "", text, flags=re.MULTILINE)
    leaked = [s for s in SECRETS if re.search(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])", searched)]
    assert not leaked, f"{leaked} in:\n{text}"
    assert "hunter2" not in text
    assert "lookup failed for [id-number] ([phone])" in text  # the rest of the message is kept


def test_masked_forms_and_error_codes_stay_readable(production_log: Captured) -> None:
    logging.getLogger("portal.x").warning(
        "SMS to %s refused: code signature_invalid, order 2026120100000012345678", "139****5678"
    )
    (line,) = production_log.lines()
    assert line["event"] == "SMS to 139****5678 refused: code signature_invalid, order 2026120100000012345678"


def test_stdlib_lines_in_a_request_carry_its_id_and_plain_lines_show_it(api: Any, settings: Any) -> None:
    captured = Captured(settings, json_lines=False)
    try:
        response = api.get("/api/v1/no-such-thing", headers={"X-Request-ID": "support-case-0042"})
    finally:
        captured.restore()
    lines = captured.text().splitlines()
    assert lines and all("request_id=support-case-0042" in line for line in lines), "\n".join(lines)
    assert response["X-Request-ID"] == "support-case-0042"
    assert any("request_finished" in line and "status=404" in line for line in lines), lines
