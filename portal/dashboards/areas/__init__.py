"""One module per dashboard; each builds its tables for a Scope with a bounded number of aggregate queries."""

from __future__ import annotations

from typing import Any

from portal.dashboards.tables import Scope


def in_region(scope: Scope, path: str) -> dict[str, Any]:
    """The queryset filter keeping rows of the scope's region, reached through ``path`` (none: every region)."""
    return {path: scope.region} if scope.region is not None else {}


def in_period(scope: Scope, field: str) -> dict[str, Any]:
    return {f"{field}__gte": scope.since, f"{field}__lt": scope.until}
