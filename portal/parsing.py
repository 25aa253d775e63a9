"""Reading numbers that clients send. ``str.isdigit()`` accepts "²" and "٣", which ``int()`` refuses or reads
as something else, and a 30-digit id overflows a database integer: both ended as 500s."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")
BIGINT_MAX = 2**63 - 1


def ascii_digits(text: str) -> bool:
    """Only 0-9, at least one."""
    return bool(_DIGITS.fullmatch(text))


def row_id(text: object) -> int | None:
    """A database id from a query parameter or path: a positive integer that fits a bigint, else None."""
    if not isinstance(text, str) or not ascii_digits(text) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= BIGINT_MAX else None


class RowIdConverter:
    """``<id:...>`` in URLs: a database id (1-18 digits). Longer digit runs do not match (a 404), instead of
    overflowing the database's integer and ending as a 500."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def register_converters() -> None:
    from django.urls import converters, register_converter

    if "id" not in converters.get_converters():
        register_converter(RowIdConverter, "id")
