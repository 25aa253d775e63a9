"""Domain errors with stable machine codes and bilingual messages, and the one API handler.

Every API error body has the same shape::

    {"code": "otp_expired", "message": "验证码已过期，请重新获取", "details": {}}

The message language follows the request (``Accept-Language``, zh-hans by default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import translation
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)


def translated(zh: str, en: str) -> str:
    """Chinese is the source language: ``zh`` is the gettext msgid, looked up in the active language's
    catalogue (locale/<lang>/LC_MESSAGES/django.po; ``manage.py i18n_catalogue`` writes en's from the
    English seeds beside the Chinese). A language with no catalogue entry falls back to the English seed,
    then to Chinese, so a new language can be added with its .po alone."""
    language = translation.get_language() or "zh-hans"
    if language.startswith("zh"):
        return zh
    text = translation.gettext(zh)
    if text == zh:
        return en  # not in the catalogue (built at run time, or deliberately empty in English): the seed
    return text


@dataclass(frozen=True)
class Bilingual:
    """A text in Chinese (the source, and the gettext msgid) with its English seed for the catalogue."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh

    def localized(self) -> str:
        """The text in the active language, from its gettext catalogue."""
        return translated(self.zh, self.en)


def wait_words(seconds: int | float) -> Bilingual:
    """A wait as people say it: "45秒" / "45 seconds" under a minute, then whole minutes (rounded up),
    then hours: never "1786 秒"."""
    seconds = max(1, int(-(-seconds // 1)))
    if seconds < 60:
        return Bilingual(f"{seconds}秒", f"{seconds} second{'s' if seconds != 1 else ''}")
    minutes = -(-seconds // 60)
    if minutes < 60:
        return Bilingual(f"{minutes}分钟", f"{minutes} minute{'s' if minutes != 1 else ''}")
    hours = -(-minutes // 60)
    return Bilingual(f"{hours}小时", f"{hours} hour{'s' if hours != 1 else ''}")


def localized_label(label: object) -> str:
    """A label written "中文 / English" (our model choices) in the request's language."""
    zh, _, en = str(label).partition(" / ")
    text = translated(zh.strip(), en.strip() or zh.strip())
    return text[:1].upper() + text[1:]  # a label starts with a capital ("Approved"); in a sentence it does not


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    status: int
    zh: str
    en: str


CATALOGUE: dict[str, ErrorSpec] = {}


def define(code: str, status: int, zh: str, en: str) -> str:
    """Register an error code once; returns the code so modules can keep it as a constant."""
    existing = CATALOGUE.get(code)
    if existing is not None and (existing.status, existing.zh, existing.en) != (status, zh, en):
        raise ValueError(f"error code {code!r} defined twice with different texts")
    CATALOGUE[code] = ErrorSpec(code, status, zh, en)
    return code


def localized_message(code: str, params: dict[str, Any] | None = None, language: str | None = None) -> str:
    spec = CATALOGUE[code]
    with translation.override(language or translation.get_language() or "zh-hans"):
        template = translated(spec.zh, spec.en)
        values = {k: (v.localized() if isinstance(v, Bilingual) else v) for k, v in (params or {}).items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


class DomainError(Exception):
    """A refusal the user can act on. ``code`` must be registered with :func:`define`."""

    def __init__(self, code: str, /, *, details: dict[str, Any] | None = None, **params: Any) -> None:
        if code not in CATALOGUE:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.details = details or {}
        self.params = params
        super().__init__(code)

    @property
    def status(self) -> int:
        return CATALOGUE[self.code].status

    def message(self, language: str | None = None) -> str:
        return localized_message(self.code, self.params, language)

    def __str__(self) -> str:
        return f"{self.code}: {self.message('en')}"


# Generic codes used by the handler itself.
INVALID_INPUT = define(
    "invalid_input", 400, "提交的信息有误，请检查后重试", "Some fields are invalid; check them and try again"
)
MALFORMED_REQUEST = define("malformed_request", 400, "请求格式不正确", "The request body could not be read")
NOT_AUTHENTICATED = define("not_authenticated", 401, "请先登录", "Sign in first")
AUTHENTICATION_FAILED = define("authentication_failed", 401, "身份验证失败", "Authentication failed")
FORBIDDEN = define("forbidden", 403, "无权执行此操作", "You are not allowed to do this")
NOT_FOUND = define("not_found", 404, "未找到所请求的内容", "Not found")
METHOD_NOT_ALLOWED = define("method_not_allowed", 405, "不支持该请求方法", "This method is not allowed here")
NOT_ACCEPTABLE = define("not_acceptable", 406, "无法提供所请求的格式", "The requested format is not available")
UNSUPPORTED_MEDIA_TYPE = define("unsupported_media_type", 415, "不支持该内容类型", "This content type is not supported")
RATE_LIMITED = define("rate_limited", 429, "操作过于频繁，请{wait}后再试", "Too many requests; try again in {wait}")
CSRF_FAILED = define(
    "csrf_failed",
    403,
    "页面已过期，请刷新后重试（缺少安全令牌）",
    "The page is out of date; reload it and try again (the CSRF token is missing or wrong)",
)
SERVER_ERROR = define("server_error", 500, "系统繁忙，请稍后重试", "Something went wrong on our side; try again later")

_DRF_CODES: list[tuple[type[drf.APIException], str]] = [
    (drf.ValidationError, INVALID_INPUT),
    (drf.ParseError, MALFORMED_REQUEST),
    (drf.NotAuthenticated, NOT_AUTHENTICATED),
    (drf.AuthenticationFailed, AUTHENTICATION_FAILED),
    (drf.PermissionDenied, FORBIDDEN),
    (drf.NotFound, NOT_FOUND),
    (drf.MethodNotAllowed, METHOD_NOT_ALLOWED),
    (drf.NotAcceptable, NOT_ACCEPTABLE),
    (drf.UnsupportedMediaType, UNSUPPORTED_MEDIA_TYPE),
    (drf.Throttled, RATE_LIMITED),
]


def error_body(
    code: str, *, details: dict[str, Any] | None = None, message: str | None = None, **params: Any
) -> dict[str, Any]:
    return {"code": code, "message": message or localized_message(code, params), "details": details or {}}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error in the one shape, in the request's language."""
    wrapped = getattr(exc, "domain_error", None)  # domain errors raised inside DRF's authentication
    if isinstance(wrapped, DomainError):
        exc = wrapped
    if isinstance(exc, DatabaseError):
        from portal.concurrency import BUSY, is_retryable

        if is_retryable(exc):  # a lost race that no service retried: nothing was written, say so
            logger.warning("database refused a race: %s", type(exc.__cause__ or exc).__name__)
            exc = DomainError(BUSY, details={"retry_after": 1})
    if isinstance(exc, DomainError):
        answer = Response(error_body(exc.code, details=exc.details, message=exc.message()), status=exc.status)
        if exc.status in (429, 503) and "retry_after" in exc.details:
            answer["Retry-After"] = str(exc.details["retry_after"])
        return answer
    from rest_framework.views import exception_handler as drf_exception_handler  # DRF imports this module

    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django logs it and returns a 500 (see server_error below)
    assert isinstance(exc, drf.APIException)
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
    if code is None:  # our own APIException subclasses name their catalogue code
        code = exc.default_code if exc.default_code in CATALOGUE else INVALID_INPUT
    if isinstance(exc, drf.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        code = CSRF_FAILED  # web sessions: say what to do about it
    details: dict[str, Any] = {}
    params: dict[str, Any] = dict(getattr(exc, "params", {}))
    if isinstance(exc, drf.ValidationError):
        details = {"fields": exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}}
    elif isinstance(exc, drf.Throttled):
        seconds = int(getattr(exc, "wait", None) or 1)
        params["wait"] = wait_words(seconds)
        details = {"retry_after": seconds}
    response.data = error_body(code, details=details, **params)
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(NOT_FOUND), status=404, json_dumps_params={"ensure_ascii": False})


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body(SERVER_ERROR), status=500, json_dumps_params={"ensure_ascii": False})
