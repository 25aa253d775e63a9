from typing import Any

from django.http import HttpRequest
from django.utils import translation

ELDERLY_COOKIE = "elderly"


def preferences(request: HttpRequest) -> dict[str, Any]:
    """Elderly mode and language, remembered in cookies; available to every template."""
    return {
        "elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1",
        "english": (translation.get_language() or "").startswith("en"),
    }
