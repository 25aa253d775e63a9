from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.audit.private_files import PrivateFileAdmin
from portal.errors import DomainError
from portal.ledger.admin import ReadOnlyInline
from portal.offsite.models import CommitmentText, FilingCategory, FilingEvent, OffsiteFiling
from portal.offsite.services import filing_review, verification_decide


@admin.register(FilingCategory)
class FilingCategoryAdmin(admin.ModelAdmin):
    list_display = [
        "region",
        "code",
        "eligible_insurance_types",
        "commitment_allowed",
        "validity_days",
        "outpatient_pooling",
        "active",
    ]
    list_filter = ["region", "code"]


@admin.register(CommitmentText)
class CommitmentTextAdmin(admin.ModelAdmin):
    list_display = ["version", "active", "published_at"]


class EventInline(ReadOnlyInline):
    model = FilingEvent
    fields = ["at", "from_status", "to_status", "by", "note"]


@admin.register(OffsiteFiling)
class OffsiteFilingAdmin(PrivateFileAdmin):
    """Review queue (status: waiting for review) and verification sample (verification: selected)."""

    list_display = [
        "id",
        "person",
        "category",
        "destination_code",
        "start_date",
        "end_date",
        "basis",
        "status",
        "verification",
    ]
    list_filter = ["status", "verification", "basis", "category__code", "destination_code"]
    raw_id_fields = ["person", "filed_by", "category", "commitment"]
    readonly_fields = [f.name for f in OffsiteFiling._meta.fields]
    inlines = [EventInline]
    private_file_field = "materials"
    private_file_person = "person_id"
    private_file_purpose = "admin: off-site filing documents"
    private_file_url_name = "offsite_filing_materials"
    actions = ["approve", "reject", "verified_true", "verified_false"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[OffsiteFiling],
        call: Callable[[OffsiteFiling], object],
        label: str,
    ) -> None:
        for filing in queryset:
            try:
                call(filing)
            except DomainError as error:
                messages.error(request, f"#{filing.pk}: {error.message()}")
            else:
                messages.success(request, f"#{filing.pk}: {label}")

    @admin.action(description="审核通过（材料）/ approve (documents)")
    def approve(self, request: HttpRequest, queryset: QuerySet[OffsiteFiling]) -> None:
        self._each(request, queryset, lambda f: filing_review(filing_id=f.pk, approve=True), "approved")

    @admin.action(description="审核不通过（材料）/ reject (documents)")
    def reject(self, request: HttpRequest, queryset: QuerySet[OffsiteFiling]) -> None:
        self._each(request, queryset, lambda f: filing_review(filing_id=f.pk, approve=False), "rejected")

    @admin.action(description="核查属实 / verified: true")
    def verified_true(self, request: HttpRequest, queryset: QuerySet[OffsiteFiling]) -> None:
        self._each(request, queryset, lambda f: verification_decide(filing_id=f.pk, truthful=True), "confirmed")

    @admin.action(description="核查不实，自备案开始日撤销 / verified: false, revoke from the start")
    def verified_false(self, request: HttpRequest, queryset: QuerySet[OffsiteFiling]) -> None:
        self._each(
            request,
            queryset,
            lambda f: verification_decide(filing_id=f.pk, truthful=False, reason=f"staff {request.user}"),
            "revoked",
        )
