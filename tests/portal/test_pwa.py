"""Add to home screen: the web app manifest, real icons, /favicon.ico, and the page that says how."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from tests import factories
from tests.portal.browser import shot, sign_in
from tests.portal.test_web_statement import browser_test

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_app_and_its_icons() -> None:
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "医保服务" and manifest["short_name"] == "医保服务"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert sizes == {"192x192": "/icons/icon-192.png", "512x512": "/icons/icon-512.png"}
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])


@pytest.mark.parametrize(
    "path, size",
    [("/icons/icon-192.png", (192, 192)), ("/icons/icon-512.png", (512, 512)), ("/apple-touch-icon.png", (180, 180))],
)
def test_each_icon_is_a_png_of_its_size(path: str, size: tuple[int, int]) -> None:
    response = Client().get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == size
    assert "max-age" in response["Cache-Control"]


def test_the_favicon_is_an_image_not_an_error_page() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "ICO" and (32, 32) in image.info["sizes"]


def test_the_icons_are_read_only() -> None:
    assert Client().post("/favicon.ico").status_code == 405
    assert Client().head("/manifest.webmanifest").status_code == 200


def test_the_how_to_page_is_open_to_everyone_in_both_languages() -> None:
    page = Client().get("/add-to-home-screen").content.decode()
    assert "添加到主屏幕" in page and 'src="/icons/icon-192.png"' in page
    client = Client()
    client.cookies["django_language"] = "en"
    english = client.get("/add-to-home-screen").content.decode()
    main = english.split("<main>")[1].split("</main>")[0].replace("医保服务", "")
    assert "Add to Home screen" in main and not any("\u4e00" <= ch <= "\u9fff" for ch in main)


@browser_test
def test_pwa_journey_in_the_browser(page: Any) -> None:
    me = factories.person(name="吴刚", phone="13900007301")
    sign_in(page, me.phone)
    page.get_by_role("link", name="添加到手机桌面").click()
    page.wait_for_url("**/add-to-home-screen")
    assert page.get_by_role("heading", name="添加到手机桌面").is_visible()
    loaded = page.evaluate(
        "(() => { const i = document.querySelector('main img'); return i.complete && i.naturalWidth; })()"
    )
    assert loaded == 192
    shot(page, "pwa-add-to-home-screen")
    manifest = page.request.get("/manifest.webmanifest")
    assert manifest.ok and manifest.json()["name"] == "医保服务"
    favicon = page.request.get("/favicon.ico")
    assert favicon.ok and favicon.headers["content-type"] == "image/x-icon"
    page.goto("/icons/icon-512.png")
    shot(page, "pwa-icon-512")
