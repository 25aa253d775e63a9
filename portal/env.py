"""Strict readers for settings from the environment.

Every reader fails loudly (``ImproperlyConfigured``) on a value it cannot parse, so a typo
in a deployment is caught at start, not at the first request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (environ if environ is not None else os.environ).get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_str(
    name: str, default: str | _Required | None = None, *, environ: Mapping[str, str] | None = None
) -> str | None:
    value = _raw(name, environ)
    if value is not None:
        return value
    if isinstance(default, _Required):
        raise ImproperlyConfigured(f"Environment variable {name} is required in this mode.")
    return default


def env_required(name: str, *, environ: Mapping[str, str] | None = None) -> str:
    value = env_str(name, REQUIRED, environ=environ)
    assert value is not None
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not a boolean; use one of {sorted(_TRUE | _FALSE)}."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is below {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is above {maximum}.")
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ) or default
    if value not in choices:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} must be one of {', '.join(choices)}.")
    return value
