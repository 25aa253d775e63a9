"""Request hygiene: what a hostile or careless client sends is refused clearly (4xx, in the error shape
for the API) before a view or the database sees it, and every answer carries the browser policies.

- A NUL byte (or undecodable text) in the path, the query or a form field: ``400 malformed_request``
  (PostgreSQL refuses NUL in text, so it used to end as a 500).
- A body larger than its kind allows (``REQUEST_MAX_BYTES`` for JSON and forms, ``UPLOAD_MAX_BYTES`` for
  multipart uploads, ``NOTIFY_MAX_BYTES`` for payment-channel notifies): ``413 request_too_large``,
  decided on ``Content-Length`` before anything is read.
- JSON nested deeper than ``MAX_JSON_DEPTH`` or holding a NUL character: ``400 malformed_request``
  (:class:`SafeJSONParser`, DRF's parser for every API view).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from rest_framework import exceptions as drf
from rest_framework.parsers import JSONParser

from portal.errors import MALFORMED_REQUEST, define, error_body, localized_message, wait_words

REQUEST_TOO_LARGE = define(
    "request_too_large",
    413,
    "提交的内容过大（上限 {limit}）",
    "The request is too large (at most {limit})",
)
MAX_JSON_DEPTH = 32
NOTIFY_PATH_PREFIX = "/api/v1/payments/notify/"

PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "camera=()",
        "geolocation=()",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "payment=()",
        "usb=()",
        "screen-wake-lock=(self)",  # the e-voucher page keeps the screen on while the code is shown
    ]
)


def _size_words(limit: int) -> str:
    return f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MB"


def body_limit(request: HttpRequest) -> int:
    if request.path.startswith(NOTIFY_PATH_PREFIX):
        return int(settings.NOTIFY_MAX_BYTES)
    if (request.META.get("CONTENT_TYPE") or "").startswith("multipart/form-data"):
        return int(settings.UPLOAD_MAX_BYTES)
    return int(settings.REQUEST_MAX_BYTES)


def _refusal(request: HttpRequest, code: str, status: int, **params: Any) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, **params), status=status, json_dumps_params={"ensure_ascii": False})
    text = f"{localized_message(code, params, 'zh-hans')}\n{localized_message(code, params, 'en')}\n"
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _has_nul(values: Any) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())


class RequestHygieneMiddleware:
    """First in the chain: malformed or oversized requests never reach a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.check(request)
        return refusal if refusal is not None else self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        if not raw_length.isascii() or not raw_length.isdigit():
            return _refusal(request, MALFORMED_REQUEST, 400)
        limit = body_limit(request)
        if int(raw_length) > limit:
            return _refusal(request, REQUEST_TOO_LARGE, 413, limit=_size_words(limit))
        try:
            if "\x00" in request.path or _has_nul(request.GET):
                return _refusal(request, MALFORMED_REQUEST, 400)
            form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
            # A terminal's signature covers the raw bytes: its body is left unread for the signature check.
            signed = bool(request.META.get("HTTP_X_TERMINAL_KEY"))
            if request.method == "POST" and form and not signed and _has_nul(request.POST):
                return _refusal(request, MALFORMED_REQUEST, 400)
        except RequestDataTooBig:
            return _refusal(request, REQUEST_TOO_LARGE, 413, limit=_size_words(limit))
        except (UnicodeError, ValueError, MultiPartParserError):
            return _refusal(request, MALFORMED_REQUEST, 400)
        return None


class PermissionsPolicyMiddleware:
    """Browser features the pages never use are switched off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# Staff tools (Django admin, Wagtail, the API docs) are third-party pages that use inline code: they get
# 'unsafe-inline' for scripts and styles; everything else follows settings.CONTENT_SECURITY_POLICY.
STAFF_TOOLS = ("/admin/", "/cms/", "/api/v1/docs/")
STAFF_TOOLS_POLICY = {
    "script-src": [SELF, "'unsafe-inline'"],
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:", "blob:"],
}


def payment_page_origins() -> list[str]:
    """The cash channels' cashier pages: configured, plus the development stand-in's in embedded mode."""
    origins = list(settings.PAYMENT_PAGE_ORIGINS)
    if settings.CASH_CHANNEL_DEV_KEYS:
        for base_url in (settings.CASH_CHANNEL_BASE_URL, settings.ALIPAY_BASE_URL):
            parts = urlsplit(str(base_url))
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the staff tools' looser script and style sources."""

    def get_policy_parts(self, request: HttpRequest, response: Any, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            # Paying sends the browser on to the channel's cashier page (a redirect after our form):
            # form-action must name those origins, and only those.
            parts.update = {**(parts.update or {}), "form-action": payment_page_origins()}
        if not report_only and request.path_info.startswith(STAFF_TOOLS):
            parts.replace = {**(parts.replace or {}), **STAFF_TOOLS_POLICY}
            parts.nonce = None  # a nonce beside 'unsafe-inline' would switch 'unsafe-inline' off
        return parts


class PayloadTooLarge(drf.APIException):
    status_code = 413
    default_detail = "request too large"
    default_code = REQUEST_TOO_LARGE

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.params = {"limit": _size_words(limit)}


def _check_shape(value: Any, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise drf.ParseError("JSON nested too deeply")
    if isinstance(value, str):
        if "\x00" in value:
            raise drf.ParseError("NUL character in JSON text")
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise drf.ParseError("NUL character in a JSON key")
            _check_shape(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_shape(item, depth + 1)


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with a size cap (read at most the limit), a depth limit and no NUL characters."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        limit = body_limit(request._request) if request is not None else int(settings.REQUEST_MAX_BYTES)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(limit)
        try:
            data = json.loads(raw.decode("utf-8")) if raw else {}
        except RecursionError:
            raise drf.ParseError("JSON nested too deeply") from None
        except (UnicodeError, ValueError) as error:
            raise drf.ParseError(f"JSON parse error: {error}") from None
        _check_shape(data)
        return data


def staff_locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes: what a locked-out admin or CMS sign-in sees (429, with the wait in words)."""
    wait = wait_words(settings.AXES_COOLOFF_TIME.total_seconds())
    return render(request, "portal/locked_out.html", {"wait": wait}, status=429)
