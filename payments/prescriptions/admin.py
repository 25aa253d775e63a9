"""Staff audit of prescriptions: one page shows the prescription, its items, its uses (each settlement
linked) and the paper's photo together. Opening a prescription or its photo leaves an audit row."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from payments.prescriptions.models import (
    AuthorisedDoctor,
    Prescription,
    PrescriptionEvent,
    PrescriptionItem,
)
from portal.audit.models import AuditEvent
from portal.audit.private_files import PrivateFileAdmin
from portal.audit.services import audit_record
from portal.ledger.admin import ReadOnlyInline
from portal.parsing import row_id


@admin.register(AuthorisedDoctor)
class AuthorisedDoctorAdmin(admin.ModelAdmin):
    """Doctors authorised for specified diseases and dual-channel drugs, per institution (reference data)."""

    list_display = ["code", "name", "institution", "specified_disease", "dual_channel", "active"]
    list_filter = ["specified_disease", "dual_channel", "active", "institution"]
    search_fields = ["code", "name", "institution__code"]
    raw_id_fields = ["institution"]


class ItemInline(ReadOnlyInline):
    model = PrescriptionItem
    fields = ["line", "code", "name", "quantity", "days_supply", "dual_channel"]


class EventInline(ReadOnlyInline):
    model = PrescriptionEvent
    fields = ["at", "from_status", "to_status", "note"]


def settlement_links(numbers: list[str]) -> dict[str, str]:
    """Settlement admin pages by settlement number, when the settlement app and its admin are there."""
    try:
        settlement = apps.get_model("payments", "Settlement")
    except LookupError:
        return {}
    links: dict[str, str] = {}
    for pk, number in settlement.objects.filter(number__in=numbers).values_list("pk", "number"):
        try:
            links[number] = reverse("admin:payments_settlement_change", args=[pk])
        except NoReverseMatch:
            return {}
    return links


@admin.register(Prescription)
class PrescriptionAdmin(PrivateFileAdmin):
    """Filter by issuer, kind, specified disease or status; a page shows items, uses and the photo."""

    list_display = [
        "number",
        "institution",
        "kind",
        "person",
        "specified_disease",
        "disease_code",
        "issued_on",
        "valid_until",
        "uses",
        "max_uses",
        "status",
    ]
    list_filter = ["kind", "specified_disease", "status", "institution__kind", "institution"]
    search_fields = ["number", "institution__code", "doctor_code", "disease_code"]
    date_hierarchy = "issued_on"
    raw_id_fields = ["person", "institution", "uploaded_by"]
    readonly_fields = [f.name for f in Prescription._meta.fields if f.name != "photo"]
    fields = [
        "number",
        "kind",
        "status",
        "institution",
        "person",
        "doctor_code",
        "doctor_name",
        "diagnosis_code",
        "diagnosis_text",
        "specified_disease",
        "disease_code",
        "issued_on",
        "valid_until",
        "uses",
        "max_uses",
        "use_table",
        "photo_shown",
        "private_file_link",
        "photo_content_type",
        "uploaded_by",
        "signed_key_id",
        "signed_timestamp",
        "signed_nonce",
        "signed_body_sha256",
        "signature",
        "request_hash",
        "created_at",
        "cancelled_at",
    ]
    inlines = [ItemInline, EventInline]
    private_file_field = "photo"
    private_file_person = "person_id"
    private_file_purpose = "admin: prescription photo"
    private_file_url_name = "prescriptions_prescription_photo"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*super().get_readonly_fields(request, obj), "use_table", "photo_shown"]

    @admin.display(description="使用记录 / uses")
    def use_table(self, obj: Prescription) -> SafeString | str:
        uses = list(obj.use_records.select_related("institution").order_by("id"))
        if not uses:
            return "-"
        links = settlement_links([u.settlement_number for u in uses])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    use.n,
                    format_html('<a href="{}">{}</a>', links[use.settlement_number], use.settlement_number)
                    if use.settlement_number in links
                    else use.settlement_number,
                    use.institution,
                    use.service_date,
                    "盖章 / stamped" if use.stamped else "",
                    "留存 / kept" if use.archived else "",
                    use.released_at or "",
                )
                for use in uses
            ),
        )
        return format_html(
            "<table><tr><th>#</th><th>结算 / settlement</th><th>机构 / institution</th><th>日期 / on</th>"
            "<th></th><th></th><th>退回 / given back</th></tr>{}</table>",
            rows,
        )

    @admin.display(description="处方照片 / photo")
    def photo_shown(self, obj: Prescription) -> SafeString | str:
        if not obj.photo:
            return "-"
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="prescription photo" '
            'style="max-width: 480px; max-height: 640px"></a>',
            self._url(obj),
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "GET" and row_id(object_id) and self.has_view_permission(request):
            person_id = Prescription.objects.filter(pk=object_id).values_list("person_id", flat=True).first()
            if person_id is not None:
                audit_record(
                    action=AuditEvent.Action.READ,
                    person=person_id,
                    purpose="admin: prescription page",
                    user=request.user,
                    fields=["prescription", "diagnosis", "disease_code", "items", "uses"],
                )
        return super().change_view(request, object_id, form_url, extra_context)
