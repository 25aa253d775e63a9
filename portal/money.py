"""Money is integer fen (分) inside; yuan with two decimals only at the edges."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rest_framework import serializers


def fen_to_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """Parse '12.30' into 1230; refuses more than two decimals and anything not a number."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"amounts have at most two decimals: {text!r}")
    return int(value * 100)


class MoneySerializer(serializers.Serializer):
    """Schema of :func:`money` in the OpenAPI document."""

    fen = serializers.IntegerField()
    yuan = serializers.CharField()


def money(fen: int) -> dict[str, int | str]:
    """The API shape of an amount: ``{"fen": 1230, "yuan": "12.30"}``."""
    return {"fen": fen, "yuan": fen_to_yuan(fen)}
