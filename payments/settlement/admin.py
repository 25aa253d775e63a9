from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from payments.settlement.models import (
    AuditRule,
    Settlement,
    SettlementEvent,
    SettlementFlag,
    SettlementItem,
    SettlementReviewEvent,
    TraceCode,
)
from payments.settlement.services import settlement_review
from portal.errors import DomainError
from portal.ledger.admin import ReadOnlyAdmin, ReadOnlyInline


@admin.register(AuditRule)
class AuditRuleAdmin(admin.ModelAdmin):
    """Pre-settlement rules are data: staff add, tune and switch them off here."""

    list_display = ["kind", "action", "region", "params", "active"]
    list_filter = ["kind", "action", "active", "region"]


class ItemInline(ReadOnlyInline):
    model = SettlementItem
    fields = [
        "line",
        "code",
        "name",
        "quantity",
        "amount_fen",
        "fund_fen",
        "assistance_fen",
        "resident_fen",
        "refunded_at",
    ]


class EventInline(ReadOnlyInline):
    model = SettlementEvent
    fields = ["at", "from_status", "to_status", "note"]


class ReviewEventInline(ReadOnlyInline):
    model = SettlementReviewEvent
    fields = ["at", "from_status", "to_status", "by", "note"]


class FlagInline(ReadOnlyInline):
    model = SettlementFlag
    fields = ["rule", "line", "action", "message"]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    """Settlements by institution and day; filter 'flagged for review' for the review queue, 'reversed'
    for reversals."""

    list_display = [
        "number",
        "institution",
        "service_date",
        "person",
        "total_fen",
        "fund_fen",
        "personal_account_fen",
        "cash_fen",
        "status",
        "review",
    ]
    list_filter = ["review", "status", "service_date", "institution__kind", "institution"]
    date_hierarchy = "service_date"
    search_fields = ["number", "institution__code"]
    raw_id_fields = ["person", "scan_session", "terminal", "institution"]
    inlines = [ItemInline, EventInline, FlagInline, ReviewEventInline]
    actions = ["clear", "confirm_violation"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("payments.change_settlement"))

    def _review(self, request: HttpRequest, queryset: QuerySet[Settlement], outcome: str) -> None:
        done, refused = 0, 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                settlement_review(settlement_id=pk, outcome=outcome, by=request.user)
                done += 1
            except DomainError:
                refused += 1  # not flagged (any more): left as it is
        messages.success(request, f"{done} settlement(s): {outcome}")
        if refused:
            messages.warning(request, f"{refused} settlement(s) were not waiting for review and were left as they are")

    @admin.action(description="审核通过 / clear the flag")
    def clear(self, request: HttpRequest, queryset: QuerySet[Settlement]) -> None:
        self._review(request, queryset, Settlement.Review.CLEARED)

    @admin.action(description="确认违规 / confirm a violation")
    def confirm_violation(self, request: HttpRequest, queryset: QuerySet[Settlement]) -> None:
        self._review(request, queryset, Settlement.Review.VIOLATION)


@admin.register(TraceCode)
class TraceCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "status", "item", "created_at"]
    list_filter = ["status"]
    search_fields = ["code"]
