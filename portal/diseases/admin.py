"""Staff review of specified-disease recognitions, violations, suspensions and reinstatement.

Every decision calls a service (which writes the history row and an audit row); every opening of a record
about a person, and of an uploaded document, leaves an audit row too. The lists and group rules are
edited here as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from portal.audit.models import AuditEvent
from portal.audit.private_files import PrivateFileAdmin
from portal.audit.services import audit_record
from portal.diseases import services
from portal.diseases.models import (
    Disease,
    DiseaseGroup,
    DiseaseGroupRules,
    DiseasePolicy,
    Recognition,
    RecognitionDocument,
    RecognitionEvent,
    Reinstatement,
    ReinstatementCommitment,
    ReinstatementEvent,
    Suspension,
    SuspensionEvent,
    Violation,
)
from portal.errors import DomainError
from portal.ledger.admin import ReadOnlyInline
from portal.money import fen_to_yuan
from portal.parsing import row_id
from portal.people.models import User


@admin.register(DiseasePolicy)
class DiseasePolicyAdmin(admin.ModelAdmin):
    list_display = ["region", "recognition_valid_months", "suspension_months"]


class RulesInline(admin.StackedInline):
    model = DiseaseGroupRules
    extra = 0


@admin.register(DiseaseGroup)
class DiseaseGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [RulesInline]


@admin.register(DiseaseGroupRules)
class DiseaseGroupRulesAdmin(admin.ModelAdmin):
    list_display = ["group", "effective_from", "effective_to", "deductible_fen", "resident_rate_bp", "assumed"]
    list_filter = ["group__region", "assumed"]


@admin.register(Disease)
class DiseaseAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "region", "group", "choice_exempt", "internet_hospital", "long_prescription"]
    list_filter = ["region", "group", "choice_exempt", "internet_hospital", "long_prescription", "active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(ReinstatementCommitment)
class ReinstatementCommitmentAdmin(admin.ModelAdmin):
    list_display = ["version", "active", "published_at"]


class DecisionForm(helpers.ActionForm):
    """Beside the action: the reason (required to reject, revoke or lift) and, to approve, the end date."""

    note = forms.CharField(required=False, max_length=300, label="理由 / note")
    valid_to = forms.DateField(
        required=False,
        label="有效期至 / valid to",
        help_text="默认按统筹区设置 / default: the region's period",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _note(request: HttpRequest) -> str:
    return str(request.POST.get("note", "")).strip()


def _valid_to(request: HttpRequest) -> dt.date | None:
    """The end date typed beside the action; empty: the region's default period. Raises ValueError."""
    raw = str(request.POST.get("valid_to") or "").strip()
    return dt.date.fromisoformat(raw) if raw else None


class AuditedAdmin(admin.ModelAdmin):
    """A read-only admin about a person: opening a record leaves an audit row."""

    audit_purpose = ""

    def audited_person(self, obj: Any) -> int:
        return int(obj.person_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "GET" and row_id(object_id):
            obj = self.get_queryset(request).filter(pk=object_id).first()
            if obj is not None and self.has_view_permission(request, obj):
                audit_record(
                    action=AuditEvent.Action.READ,
                    person=self.audited_person(obj),
                    purpose=self.audit_purpose,
                    user=request.user,
                    fields=[f.name for f in self.model._meta.fields],
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def _each(self, request: HttpRequest, queryset: QuerySet, call: Callable[[Any], object], label: str) -> None:
        for obj in queryset:
            try:
                call(obj)
            except DomainError as error:
                messages.error(request, f"#{obj.pk}: {error.message()}")
            else:
                messages.success(request, f"#{obj.pk}: {label}")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class RecognitionEventInline(ReadOnlyInline):
    model = RecognitionEvent
    fields = ["at", "from_status", "to_status", "by", "by_user", "note"]


class DocumentInline(ReadOnlyInline):
    model = RecognitionDocument
    fields = ["file_content_type", "size", "uploaded_at", "open"]

    @admin.display(description="文件 / file")
    def open(self, document: RecognitionDocument) -> str:
        url = reverse("admin:disease_document_file", args=[document.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">打开 / open</a>', url)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields


@admin.register(Recognition)
class RecognitionAdmin(AuditedAdmin):
    """The review queue (status: waiting for review): open the documents, then approve or reject."""

    list_display = ["id", "person", "disease", "institution", "status", "valid_from", "valid_to", "created_at"]
    list_filter = ["status", "disease__region", "disease__group", "disease__choice_exempt", "disease"]
    raw_id_fields = ["person", "applied_by", "institution", "reviewer"]
    readonly_fields = [f.name for f in Recognition._meta.fields]
    inlines = [DocumentInline, RecognitionEventInline]
    action_form = DecisionForm
    actions = ["approve", "reject", "revoke"]
    audit_purpose = "admin: specified-disease recognition"

    @admin.action(description="认定通过（有效期按所填或默认）/ approve (valid to as given, or the default)")
    def approve(self, request: HttpRequest, queryset: QuerySet[Recognition]) -> None:
        try:
            valid_to = _valid_to(request)
        except ValueError:
            messages.error(request, "有效期格式有误（YYYY-MM-DD）/ valid to is not a date (YYYY-MM-DD)")
            return
        note = _note(request)
        self._each(
            request,
            queryset,
            lambda r: services.recognition_approve(
                recognition_id=r.pk, reviewer=_user(request), valid_to=valid_to, note=note
            ),
            "approved",
        )

    @admin.action(description="不予认定（须填理由）/ reject (give a reason)")
    def reject(self, request: HttpRequest, queryset: QuerySet[Recognition]) -> None:
        note = _note(request)
        self._each(
            request,
            queryset,
            lambda r: services.recognition_reject(recognition_id=r.pk, reviewer=_user(request), note=note),
            "rejected",
        )

    @admin.action(description="撤销认定（须填理由）/ revoke (give a reason)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Recognition]) -> None:
        note = _note(request)
        self._each(
            request,
            queryset,
            lambda r: services.recognition_revoke(recognition_id=r.pk, reviewer=_user(request), note=note),
            "revoked",
        )


@admin.register(RecognitionDocument)
class RecognitionDocumentAdmin(PrivateFileAdmin):
    list_display = ["id", "recognition", "file_content_type", "size", "uploaded_at", "private_file_link"]
    readonly_fields = ["recognition", "file_content_type", "size", "uploaded_at"]
    private_file_field = "file"
    private_file_person = "person_id"
    private_file_purpose = "admin: specified-disease document"
    private_file_url_name = "disease_document_file"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # opened from a recognition's page


class ViolationForm(forms.ModelForm):
    recovered_yuan = forms.DecimalField(
        label="追回金额（元）/ recovered (yuan)", min_value=Decimal("0"), max_digits=12, decimal_places=2
    )

    class Meta:
        model = Violation
        fields = ["person", "disease", "kind", "reference", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        person, disease = data.get("person"), data.get("disease")
        if person is not None and disease is not None:
            try:
                services.violation_check(person_id=person.pk, disease_id=disease.pk)
            except DomainError as error:
                raise forms.ValidationError(error.message()) from None
        return data


@admin.register(Violation)
class ViolationAdmin(AuditedAdmin):
    """Record a violation here: it suspends pharmacy settlement of the disease for the person."""

    list_display = ["id", "person", "disease", "kind", "recovered", "recorded_by", "recorded_at"]
    list_filter = ["kind", "disease__region", "disease"]
    raw_id_fields = ["person"]
    audit_purpose = "admin: specified-disease violation"

    @admin.display(description="追回金额（元）/ recovered (yuan)")
    def recovered(self, violation: Violation) -> str:
        return fen_to_yuan(violation.recovered_fen)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request) and request.user.has_perm("diseases.add_violation")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ViolationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["person", "disease", "kind", "recovered_yuan", "reference", "note"]
        return [f.name for f in Violation._meta.fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in Violation._meta.fields] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Violation, form: Any, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        created = services.violation_record(
            person_id=data["person"].pk,
            disease_id=data["disease"].pk,
            kind=data["kind"],
            recovered_fen=int(data["recovered_yuan"] * 100),
            recorded_by=_user(request),
            note=data.get("note") or "",
            reference=data.get("reference") or "",
        )
        obj.pk = created.pk
        obj._state.adding = False


class SuspensionEventInline(ReadOnlyInline):
    model = SuspensionEvent
    fields = ["at", "from_status", "to_status", "by", "by_user", "note"]


class ReinstatementInline(ReadOnlyInline):
    model = Reinstatement
    fields = ["id", "status", "application", "commitment", "commitment_accepted_at", "review_note", "created_at"]


@admin.register(Suspension)
class SuspensionAdmin(AuditedAdmin):
    list_display = ["id", "person", "disease", "starts_on", "ends_on", "status", "lifted_on"]
    list_filter = ["status", "disease__region", "disease"]
    raw_id_fields = ["person", "violation"]
    readonly_fields = [f.name for f in Suspension._meta.fields]
    inlines = [ReinstatementInline, SuspensionEventInline]
    action_form = DecisionForm
    actions = ["lift"]
    audit_purpose = "admin: specified-disease suspension"

    @admin.action(description="解除暂停（登记有误，须填理由）/ lift (recorded in error; give a reason)")
    def lift(self, request: HttpRequest, queryset: QuerySet[Suspension]) -> None:
        note = _note(request)
        self._each(
            request,
            queryset,
            lambda s: services.suspension_end(suspension_id=s.pk, reviewer=_user(request), note=note),
            "lifted",
        )


class ReinstatementEventInline(ReadOnlyInline):
    model = ReinstatementEvent
    fields = ["at", "from_status", "to_status", "by", "by_user", "note"]


@admin.register(Reinstatement)
class ReinstatementAdmin(AuditedAdmin):
    """Applications to settle at pharmacies again: read the application and the signed commitment."""

    list_display = ["id", "suspension", "status", "commitment", "created_at", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["suspension", "applied_by", "reviewer"]
    readonly_fields = [f.name for f in Reinstatement._meta.fields]
    inlines = [ReinstatementEventInline]
    action_form = DecisionForm
    actions = ["approve", "reject"]
    audit_purpose = "admin: specified-disease reinstatement"

    def audited_person(self, obj: Any) -> int:
        return int(obj.suspension.person_id)

    @admin.action(description="同意恢复药店结算 / approve: pharmacies settle again")
    def approve(self, request: HttpRequest, queryset: QuerySet[Reinstatement]) -> None:
        note = _note(request)
        self._each(
            request,
            queryset,
            lambda r: services.reinstatement_approve(reinstatement_id=r.pk, reviewer=_user(request), note=note),
            "approved",
        )

    @admin.action(description="不同意（须填理由）/ reject (give a reason)")
    def reject(self, request: HttpRequest, queryset: QuerySet[Reinstatement]) -> None:
        note = _note(request)
        self._each(
            request,
            queryset,
            lambda r: services.reinstatement_reject(reinstatement_id=r.pk, reviewer=_user(request), note=note),
            "rejected",
        )
