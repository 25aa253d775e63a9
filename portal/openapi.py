"""OpenAPI schema helpers."""

from typing import Any


def only_public_api(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """The schema documents /api/v1/ only, not the CMS's own internal API under /cms/api/."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
