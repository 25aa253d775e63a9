"""Add to home screen: the web app manifest, the app icon and favicon, and a page that says how.

The icons are committed PNG/ICO files (portal/web/static/web/icons/, drawn once with Pillow: a white circle
with a blue cross on the portal's blue, inside the safe zone of a maskable icon). They are served from here,
at the addresses browsers ask for by themselves (/favicon.ico, /apple-touch-icon.png), with or without a
static file server in front.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

ICONS = Path(__file__).resolve().parent / "static" / "web" / "icons"
DAY = 24 * 3600
THEME = "#0055d4"
BACKGROUND = "#f4f6fa"

# (address, file, media type)
FILES = {
    "icon-192": ("icon-192.png", "image/png"),
    "icon-512": ("icon-512.png", "image/png"),
    "apple-touch-icon": ("icon-180.png", "image/png"),
    "favicon": ("favicon.ico", "image/x-icon"),
}


def manifest_body() -> dict[str, Any]:
    return {
        "name": "医保服务",
        "short_name": "医保服务",
        "description": "医保电子凭证、账单支付、参保信息与定点医药机构查询",
        "lang": "zh-Hans",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [
            {"src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }


@require_safe
def manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        manifest_body(), content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = f"public, max-age={DAY}"
    return response


@cache
def _read(name: str) -> bytes:
    return (ICONS / name).read_bytes()


def _file(key: str) -> HttpResponse:
    name, media_type = FILES[key]
    response = HttpResponse(_read(name), content_type=media_type)
    response["Cache-Control"] = f"public, max-age={7 * DAY}"
    return response


@require_safe
def icon_192(request: HttpRequest) -> HttpResponse:
    return _file("icon-192")


@require_safe
def icon_512(request: HttpRequest) -> HttpResponse:
    return _file("icon-512")


@require_safe
def apple_touch_icon(request: HttpRequest) -> HttpResponse:
    return _file("apple-touch-icon")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    return _file("favicon")


def add_to_home_screen(request: HttpRequest) -> HttpResponse:
    """How to put the portal on the phone's home screen; a button where the browser offers it."""
    return render(request, "web/pwa/add.html", {})
