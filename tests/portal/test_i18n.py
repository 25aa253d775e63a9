"""Django's gettext: Chinese is the source language and every text's msgid; English comes from
locale/en/LC_MESSAGES/django.po, gathered from the code by `manage.py i18n_catalogue`; another language
needs only its own .po. Error codes never change with the language."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from portal.errors import NOT_AUTHENTICATED, Bilingual, DomainError, localized_label
from portal.i18n_catalogue import pairs
from portal.people.models import Person

CJK = re.compile(r"[\u4e00-\u9fff]")
# English that quotes Chinese on purpose: the search box's example (search understands Chinese only) and the
# app's name as the icon on the home screen shows it.
QUOTES_CHINESE = {
    "例如：退休了门诊一年能报多少",
    "添加后，手机桌面会出现“医保服务”图标，点一下就能打开，不用每次找网址。",
}


def test_the_committed_english_catalogue_holds_every_text_of_the_code() -> None:
    """Fails on a text added (or changed) in the code without `manage.py i18n_catalogue` being run."""
    call_command("i18n_catalogue", "--check")


def test_every_text_reads_in_english_from_the_compiled_catalogue_and_none_is_left_in_chinese() -> None:
    found, clashes = pairs()
    assert len(found) > 800
    with translation.override("en"):
        for zh, (en, where) in found.items():
            if zh in clashes:
                continue
            assert translation.gettext(zh) == en, where  # the .mo is compiled from the .po
            assert zh in QUOTES_CHINESE or not CJK.search(en), f"Chinese left in the English of {where}: {en}"


def test_errors_choices_and_texts_follow_the_language_and_codes_do_not() -> None:
    error = DomainError(NOT_AUTHENTICATED)
    assert (error.message("zh-hans"), error.message("en"), error.code) == (
        "请先登录",
        "Sign in first",
        "not_authenticated",
    )
    label = dict(Person.InsuranceType.choices)[Person.InsuranceType.EMPLOYEE]
    with translation.override("en"):
        assert localized_label(label) == "Employee in service"
        assert Bilingual("长辈模式", "Large text").localized() == "Large text"
    with translation.override("zh-hans"):
        assert localized_label(label) == "职工（在职）"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_a_new_language_needs_only_its_catalogue(settings: Any, tmp_path: Path) -> None:
    """A bureau adding a language (here Uyghur, ug) writes one .po from the .pot; no code changes."""
    call_command("i18n_catalogue", "--template", str(tmp_path / "django.pot"))
    pot = (tmp_path / "django.pot").read_text(encoding="utf-8")
    assert 'msgid "请先登录"\nmsgstr ""' in pot
    po = tmp_path / "ug" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        pot.replace('msgid "请先登录"\nmsgstr ""', 'msgid "请先登录"\nmsgstr "ئاۋۋال كىرىڭ"'), encoding="utf-8"
    )
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    settings.LANGUAGES = [*settings.LANGUAGES, ("ug", "ئۇيغۇرچە")]
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    assert DomainError(NOT_AUTHENTICATED).message("ug") == "ئاۋۋال كىرىڭ"
    # A text the new catalogue does not have yet reads in English, never as a broken page.
    assert DomainError("otp_expired").message("ug") == "The code has expired; request a new one"
