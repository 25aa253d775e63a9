"""Staff open private documents (proofs of relationship, off-site filing materials) only through the admin:
signed in, with the view permission, and every opening leaves an audit row. The files have no URL."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}


def private_file_response(field_file: Any, content_type: str = "") -> FileResponse:
    """The file, never sniffed or scripted by the browser, never cached."""
    extension = field_file.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        field_file.open("rb"), content_type=content_type or CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


class PrivateFileAdmin(admin.ModelAdmin):
    """A read-only admin whose private file opens through an audited view instead of a (missing) URL.

    Subclasses set ``private_file_field``, ``private_file_person`` (the attribute naming whose data it
    is), ``private_file_purpose`` and ``private_file_url_name``."""

    private_file_field = ""
    private_file_person = ""
    private_file_purpose = ""
    private_file_url_name = ""

    @admin.display(description="文件 / file")
    def private_file_link(self, obj: Any) -> str:
        if not getattr(obj, self.private_file_field):
            return "-"
        return format_html('<a href="{}" target="_blank" rel="noopener">打开 / open</a>', self._url(obj))

    def _url(self, obj: Any) -> str:
        return reverse(f"admin:{self.private_file_url_name}", args=[obj.pk])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [f for f in super().get_readonly_fields(request, obj) if f != self.private_file_field]
        return [*fields, "private_file_link"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*(super().get_exclude(request, obj) or []), self.private_file_field]

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.private_file_view)
        return [path("<int:object_id>/file/", view, name=self.private_file_url_name), *super().get_urls()]

    def private_file_view(self, request: HttpRequest, object_id: int) -> HttpResponse | FileResponse:
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is None or not self.has_view_permission(request, obj):
            return HttpResponse(status=404 if obj is None else 403)
        field_file = getattr(obj, self.private_file_field)
        if not field_file:
            return HttpResponse(status=404)
        audit_record(
            action=AuditEvent.Action.READ,
            person=getattr(obj, self.private_file_person),
            purpose=self.private_file_purpose,
            user=request.user,
            fields=[self.private_file_field],
        )
        return private_file_response(field_file, getattr(obj, f"{self.private_file_field}_content_type", ""))
