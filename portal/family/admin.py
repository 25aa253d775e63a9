from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.errors import DomainError
from portal.family.models import FamilyBinding, FamilyBindingEvent, FamilyPolicy
from portal.family.services import binding_review
from portal.ledger.admin import ReadOnlyInline


@admin.register(FamilyPolicy)
class FamilyPolicyAdmin(admin.ModelAdmin):
    list_display = ["region", "allowed_relations", "max_bound", "same_region_required", "requires_staff_review"]


class EventInline(ReadOnlyInline):
    model = FamilyBindingEvent
    fields = ["at", "from_status", "to_status", "by", "note"]


@admin.register(FamilyBinding)
class FamilyBindingAdmin(admin.ModelAdmin):
    """The review queue: filter by status 'waiting for staff review', open the proof, approve or refuse."""

    list_display = ["id", "initiator", "bound", "relation", "status", "created_at", "proof_link"]
    list_filter = ["status", "relation"]
    raw_id_fields = ["initiator", "bound"]
    readonly_fields = [f.name for f in FamilyBinding._meta.fields] + ["proof_link"]
    exclude = ["proof"]
    inlines = [EventInline]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="关系证明 / proof")
    def proof_link(self, binding: FamilyBinding) -> str:
        if not binding.proof:
            return "-"
        return format_html('<a href="{}">open</a>', reverse("admin:family_binding_proof", args=[binding.pk]))

    def get_urls(self) -> list:
        extra = [
            path(
                "<int:binding_id>/proof/",
                self.admin_site.admin_view(self.proof_view),
                name="family_binding_proof",
            )
        ]
        return extra + super().get_urls()

    def proof_view(self, request: HttpRequest, binding_id: int) -> HttpResponse | FileResponse:
        binding = FamilyBinding.objects.get(pk=binding_id)
        if not request.user.has_perm("family.view_familybinding"):
            return HttpResponse(status=403)
        audit_record(
            action=AuditEvent.Action.READ,
            person=binding.bound_id,
            purpose="admin: family proof",
            user=request.user,
            fields=["proof"],
        )
        response = FileResponse(binding.proof.open("rb"), content_type=binding.proof_content_type)
        response["Cache-Control"] = "private, no-store"
        return response

    def _review(self, request: HttpRequest, queryset: QuerySet[FamilyBinding], approve: bool) -> None:
        for binding in queryset.filter(status=FamilyBinding.Status.AWAITING_REVIEW):
            try:
                binding_review(binding_id=binding.pk, approve=approve, note=f"by {request.user}")
            except DomainError as error:
                messages.error(request, f"#{binding.pk}: {error.message()}")
            else:
                messages.success(request, f"#{binding.pk}: {'approved' if approve else 'refused'}")

    @admin.action(description="审核通过 / approve")
    def approve(self, request: HttpRequest, queryset: QuerySet[FamilyBinding]) -> None:
        self._review(request, queryset, True)

    @admin.action(description="审核不通过 / refuse")
    def refuse(self, request: HttpRequest, queryset: QuerySet[FamilyBinding]) -> None:
        self._review(request, queryset, False)
