from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.audit.private_files import PrivateFileAdmin
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
class FamilyBindingAdmin(PrivateFileAdmin):
    """The review queue: filter by status 'waiting for staff review', open the proof, approve or refuse."""

    list_display = ["id", "initiator", "bound", "relation", "status", "created_at", "private_file_link"]
    list_filter = ["status", "relation"]
    raw_id_fields = ["initiator", "bound"]
    readonly_fields = [f.name for f in FamilyBinding._meta.fields]
    inlines = [EventInline]
    actions = ["approve", "refuse"]
    private_file_field = "proof"
    private_file_person = "bound_id"
    private_file_purpose = "admin: family proof"
    private_file_url_name = "family_binding_proof"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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
