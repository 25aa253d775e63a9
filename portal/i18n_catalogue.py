"""The English gettext catalogue, gathered from the texts as the code writes them.

Chinese is the source language and every text's msgid. Where the code writes a text it gives the English
beside it: ``{% bi "中文" "English" %}`` in templates, ``Bilingual("中文", "English")`` and
``define(code, status, "中文", "English")`` in Python, and model choices labelled "中文 / english". This
module gathers those pairs into ``locale/en/LC_MESSAGES/django.po`` (and compiles the ``.mo``), so at run
time every language, English included, comes from its catalogue (portal.errors.translated). Another
language is one more .po with the same msgids (``--template`` writes the .pot to start from).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOTS = ("portal", "payments", "vouchers")
TAG = re.compile(r"""\{%\s*bi\s+(?:"([^"]*)"|'([^']*)')\s+(?:"([^"]*)"|'([^']*)')\s*%\}""")


def _templates(base: Path) -> Iterator[tuple[str, str, str]]:
    for root in ROOTS:
        for path in sorted((base / root).rglob("*.html")):
            for match in TAG.finditer(path.read_text(encoding="utf-8")):
                zh = match.group(1) if match.group(1) is not None else match.group(2)
                en = match.group(3) if match.group(3) is not None else match.group(4)
                yield zh, en, str(path.relative_to(base))


def _python(base: Path) -> Iterator[tuple[str, str, str]]:
    for root in ROOTS:
        for path in sorted((base / root).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                args = node.args[2:4] if name == "define" else node.args[:2] if name == "Bilingual" else []
                if len(args) == 2 and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                    zh, en = (a.value for a in args)  # type: ignore[attr-defined]
                    yield zh, en, str(path.relative_to(base))  # no line number: moving code keeps the .po


def _choices() -> Iterator[tuple[str, str, str]]:
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for _, label in getattr(field, "choices", None) or []:
                zh, sep, en = str(label).partition(" / ")
                if sep and en.strip():  # as written: lower case in sentences, localized_label capitalizes
                    yield zh.strip(), en.strip(), f"{model._meta.label}.{field.name}"


def pairs() -> tuple[dict[str, tuple[str, str]], dict[str, set[str]]]:
    """msgid -> (English, where first written), and the msgids written with more than one English."""
    base = Path(settings.BASE_DIR)
    found: dict[str, tuple[str, str]] = {}
    clashes: dict[str, set[str]] = {}
    for zh, en, where in [*_templates(base), *_python(base), *_choices()]:
        if not zh or not en or zh == en:  # nothing to translate, or deliberately nothing in English
            continue
        if zh in found and found[zh][0] != en:
            clashes.setdefault(zh, {found[zh][0]}).add(en)
            continue
        found.setdefault(zh, (en, where))
    return found, clashes


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def po_text(*, template: bool = False) -> str:
    """The catalogue (the .pot with empty translations when ``template``). A msgid written with several
    English texts is left out: each place keeps its own seed (translated() falls back to it)."""
    found, clashes = pairs()
    lines = [
        "# Residents' portal: English catalogue, gathered by `manage.py i18n_catalogue` (do not edit by hand:",
        "# change the English beside the Chinese in the code, then run it).",
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        f'"Language: {"" if template else "en"}\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        "",
    ]
    for zh in sorted(found):
        if zh in clashes:
            continue
        en, where = found[zh]
        lines += [f"#: {where}", f"msgid {_quote(zh)}", f"msgstr {_quote('' if template else en)}", ""]
    return "\n".join(lines)
