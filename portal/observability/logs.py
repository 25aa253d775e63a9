"""Logs: one JSON object a line in production, readable lines in embedded mode, with the request id.

Every line, from structlog or from the standard ``logging`` of our code, Django, Celery and gunicorn's
workers, goes through one :class:`structlog.stdlib.ProcessorFormatter`, so all of them get the same fields
(``timestamp``, ``level``, ``logger``, ``event``, ``request_id``, and ``actor`` once the request is known)
and the same redaction (:func:`redact`), whatever the level and however the message was built.

The request id is bound by :class:`RequestContextMiddleware` (django-structlog's request middleware, which
also logs ``request_started``/``request_finished``/``request_failed``), returned in ``X-Request-ID`` and
carried to every Celery task the request queues (a message header; an eager task simply keeps it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, cast

import structlog
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty
from django_structlog import signals as request_signals
from django_structlog.celery.receivers import CeleryReceiver
from django_structlog.middlewares.request import RequestMiddleware
from structlog.typing import EventDict, WrappedLogger

from portal.clientip import client_ip

# --- Redaction ------------------------------------------------------------------------------------------

# An identity number (GB 11643: 17 digits and a check character) and a mainland mobile number (with or
# without +86 and separators), each standing alone in a run of digits. Masked forms (138****1234) have no
# such run and are kept.
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])")
# Fields whose value is a secret whatever it looks like: dropped from the line (nested dicts too).
SECRET_KEYS = frozenset(
    {
        "code",
        "sms_code",
        "otp",
        "password",
        "passwd",
        "token",
        "access_token",
        "refresh_token",
        "secret",
        "pay_auth_no",
        "authorization",
        "cookie",
        "signature",
    }
)
# The same words inside text ("code=123456", '"token": "rt_..."', "验证码 123456"): the value after them goes.
# After "code" only a value with a digit is a secret: "error code signature_invalid" stays readable.
_SECRET_IN_TEXT = re.compile(
    r"(?i)(?P<key>sms_code|pay_auth_no|access_token|refresh_token|password|passwd|secret|token|otp|code|验证码|密码)"
    r"(?P<sep>[\"']?\s*[:=：]\s*[\"']?|\s+)"
    r"(?P<value>[^\s\"',;&，。]+)"
)
REDACTED = "[redacted]"


def _secret_in_text(match: re.Match[str]) -> str:
    key, value = match.group("key"), match.group("value")
    if key.lower() == "code" and not any(c.isdigit() for c in value):
        return match.group(0)
    return f"{key}{match.group('sep')}{REDACTED}"


def redact_text(text: str) -> str:
    text = _ID_NUMBER.sub("[id-number]", text)
    text = _PHONE.sub("[phone]", text)
    return _SECRET_IN_TEXT.sub(_secret_in_text, text)


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, int):
        text = str(value)
        cleaned = redact_text(text)
        return value if cleaned == text else cleaned
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    # Anything else (a request, a model instance, bytes) is rendered here, so that it is redacted too.
    return redact_text(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))


def redact(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: no full identity number, phone number or secret in any field, at any depth.

    It runs last before rendering, after exceptions are formatted, for structlog and stdlib records alike."""
    return {key: _clean(value) for key, value in event_dict.items() if key.lower() not in SECRET_KEYS}


LEADING = ("timestamp", "level", "logger", "event", "request_id", "actor")


def _leading_fields_first(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """JSON lines start with the same fields, ``request_id`` always among them (null outside a request or a
    task it queued): one schema to search, and a line a person can still read."""
    event_dict.setdefault("request_id", None)
    return {
        **{key: event_dict[key] for key in LEADING if key in event_dict},
        **{key: value for key, value in event_dict.items() if key not in LEADING},
    }


# --- Configuration -----------------------------------------------------------------------------------------

# For structlog's events and foreign (stdlib) records alike, before the formatter's own processors.
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _formatter(*, json: bool) -> dict[str, Any]:
    last: list[Any] = (
        [_leading_fields_first, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if json
        else [structlog.dev.ConsoleRenderer(colors=False, sort_keys=False)]
    )
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder()],
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,  # tracebacks become text here, so that redact sees them
            redact,
            *last,
        ],
    }


def logging_config(*, json: bool, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dict: one console handler on the root logger; Django's, Celery's and gunicorn's
    loggers hand their records to it (Django's own handlers would print a second, plain copy)."""
    through_root = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": _formatter(json=json)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": through_root,
            "django.server": through_root,
            # gunicorn's workers load Django: their error log is ours from then on (the master's is gunicorn's).
            "gunicorn.error": through_root,
            "gunicorn.access": through_root,
            # Wagtail runs its search and reference indexing as in-process tasks and logs each one.
            "django_tasks": {"level": "WARNING"},
        },
    }


def _configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# --- The request id and the actor ------------------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def request_id_from(sent: str | None) -> str:
    """The caller's id when it is sane (8-128 of ``[A-Za-z0-9._:-]``, nothing redaction would hide), else a
    new one. A proxy's or client's id lets support follow one request from the edge to the task it queued."""
    if sent and _REQUEST_ID.match(sent) and redact_text(sent) == sent:
        return sent
    while True:  # a uuid's hex can, rarely, hold an 11-digit run that looks like a phone number
        fresh = uuid.uuid4().hex
        if redact_text(fresh) == fresh:
            return fresh


def actor_of(request: HttpRequest, response: HttpResponseBase) -> str | None:
    """``terminal:<key id>``, ``resident:<Person pk>`` or ``staff:<User pk>``: who the request authenticated as.

    No query when the view already knew (a terminal, a DRF view that loaded the resident); for a resident
    session on a page that never loaded the Person, one indexed lookup. Nothing when the user was never
    looked at (the request did not depend on who sent it)."""
    from portal.institutions.models import Terminal
    from portal.people.models import Person, User

    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and getattr(user, "_wrapped", None) is empty):
        return None
    if isinstance(user, Terminal):
        return f"terminal:{user.key_id}"
    if not isinstance(user, User):
        return None  # anonymous
    drf_request = (getattr(response, "renderer_context", None) or {}).get("request")
    person = getattr(drf_request, "_resident_person", None)  # portal.signin.permissions.request_person
    if person is not None:
        return f"resident:{person.pk}"
    if user.is_staff:
        return f"staff:{user.pk}"
    person_pk = Person.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
    return f"resident:{person_pk}" if person_pk is not None else f"user:{user.pk}"


class RequestContextMiddleware(RequestMiddleware):
    """django-structlog's request middleware, with a validated incoming id, the id in the response, the actor
    instead of a User pk, and the client address as portal.clientip trusts it (not ipware's guess).

    First in ``MIDDLEWARE``: every later middleware's and view's lines carry the id."""

    async_capable = False  # WSGI only: keeps the sync ``__call__`` below the one Django calls

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()  # nothing of the thread's previous request
        # django-structlog reads the header itself (DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID): the checked id.
        request.META["HTTP_X_REQUEST_ID"] = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        # django-structlog annotates HttpResponse; any response passes here (files and CSV exports stream).
        return cast(HttpResponse, super().__call__(request))

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        response[REQUEST_ID_HEADER] = request.META["HTTP_X_REQUEST_ID"]
        actor = actor_of(request, response)
        if actor is not None:
            structlog.contextvars.bind_contextvars(actor=actor)
        context = structlog.contextvars.get_contextvars()
        super().handle_response(request, response)  # logs request_finished, then clears the context
        # Django logs a 4xx or 5xx answer ("Not Found: ...") once the middlewares have returned: the context
        # stays until the response is closed (_forget_the_request).
        structlog.contextvars.bind_contextvars(**context)

    @staticmethod
    def bind_user_id(request: HttpRequest) -> None:
        """Not a User pk: the actor (a Person pk, a terminal key or a staff user) is bound in handle_response."""

    @classmethod
    def bind_ip(cls, request: HttpRequest) -> None:
        structlog.contextvars.bind_contextvars(ip=client_ip(request))


def _forget_the_request(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


def _status_not_code(log_kwargs: dict[str, Any], **_: Any) -> None:
    """django-structlog logs the HTTP status as ``code``, a key redaction drops (an SMS code): call it status."""
    if "code" in log_kwargs:
        log_kwargs["status"] = log_kwargs.pop("code")


# --- Celery ------------------------------------------------------------------------------------------------

# What a task inherits from the request (or task) that queued it.
CARRIED = ("request_id", "actor", "parent_task_id")


class _TaskContext(CeleryReceiver):
    """django-structlog's Celery receiver, carrying only :data:`CARRIED`, and correct for eager tasks.

    django-structlog clears the context when a task starts, which is right in a worker; an eager task runs
    inside the request that queued it (embedded mode, tests), whose context must come back once it ends."""

    def get_task_context(self) -> dict[str, Any]:
        return {key: value for key, value in super().get_task_context().items() if key in CARRIED}

    def receiver_task_prerun(self, task_id: str, task: Any, *args: Any, **kwargs: Any) -> None:
        caller = structlog.contextvars.get_contextvars()
        if task.request.is_eager:
            task.request._log_context_of_caller = caller
            task.request.__django_structlog__ = self.get_task_context()
        super().receiver_task_prerun(task_id, task, *args, **kwargs)

    def receiver_task_postrun(self, task: Any = None, **kwargs: Any) -> None:
        structlog.contextvars.clear_contextvars()
        caller = getattr(task.request, "_log_context_of_caller", None) if task is not None else None
        if caller:
            structlog.contextvars.bind_contextvars(**caller)


_receiver = _TaskContext()
_connected = False


def connect() -> None:
    """Configure structlog and connect the request and Celery signals (idempotent; every process)."""
    global _connected
    if _connected:
        return
    from celery.signals import task_postrun
    from django.core.signals import request_finished

    _configure_structlog()
    request_finished.connect(_forget_the_request)  # sent when the server closes the response
    request_signals.bind_extra_request_finished_metadata.connect(_status_not_code)
    request_signals.bind_extra_request_failed_metadata.connect(_status_not_code)
    _receiver.connect_worker_signals()
    task_postrun.connect(_receiver.receiver_task_postrun)
    _connected = True
