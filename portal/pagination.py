"""The one paging convention of every API list: an opaque cursor, newest first.

``GET /api/v1/...?limit=20`` answers ``{"results": [...], "next": URL or null, "previous": URL or null}``;
follow ``next`` (it carries ``cursor``) for older rows. ``limit`` is 1-100 (default 20). A cursor stays
right while rows are added (keyset paging on the id, DRF's ``CursorPagination``), and a cursor that is not
one of ours is ``400 invalid_input``, not a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from portal.errors import translated

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Where the page starts: from the previous answer's `next`."),
    OpenApiParameter("limit", int, description=f"Rows per page, 1-{MAX_PAGE_SIZE} (default {PAGE_SIZE})."),
]


class Cursor(CursorPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    ordering = "-id"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return PAGE_SIZE
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError(
                {
                    "limit": [
                        translated(f"请填写1到{MAX_PAGE_SIZE}之间的整数", f"A whole number from 1 to {MAX_PAGE_SIZE}")
                    ]
                }
            )
        return int(raw)

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {
                    "cursor": [
                        translated(
                            "翻页参数无效，请从第一页重新开始",
                            "This cursor is not valid; start again from the first page",
                        )
                    ]
                }
            ) from None


_PAGES: dict[str, type[serializers.Serializer]] = {}


def paginated(
    item: type[serializers.Serializer], name: str | None = None, **extra: serializers.Field
) -> type[serializers.Serializer]:
    """The page serializer of ``item`` for ``extend_schema(responses=...)`` (one class per item, so the
    document has one named component per list). ``extra`` adds members beside the page's own."""
    name = name or f"Paginated{item.__name__.removesuffix('Serializer')}List"
    if name not in _PAGES:
        fields: dict[str, Any] = {
            "results": item(many=True),
            "next": serializers.URLField(allow_null=True, help_text="The next (older) page, or null at the end."),
            "previous": serializers.URLField(allow_null=True, help_text="The page before, or null at the start."),
            **extra,
        }
        _PAGES[name] = type(name, (serializers.Serializer,), fields)
    return _PAGES[name]


def page(
    request: Request,
    queryset: QuerySet[Any],
    item: type[serializers.Serializer] | Callable[[Any], Any],
    *,
    context: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """One page of ``queryset`` (ordered newest first by id), each row shaped by ``item``: a serializer
    class, or a function of one row."""
    paginator = Cursor()
    rows = paginator.paginate_queryset(queryset, request) or []
    if isinstance(item, type) and issubclass(item, serializers.BaseSerializer):
        results = item(rows, many=True, context=context or {"request": request}).data
    else:
        shape = cast(Callable[[Any], Any], item)
        results = [shape(row) for row in rows]
    return Response(
        {
            "results": results,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            **(extra or {}),
        }
    )
