from django.contrib import admin

from payments.online.models import (
    ChannelNotification,
    HospitalEvent,
    OnlineOrder,
    OnlineRefund,
    OrderEvent,
    ReconciliationDifference,
    ReconciliationRun,
)
from portal.ledger.admin import ReadOnlyAdmin, ReadOnlyInline


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["at", "from_status", "to_status", "note"]


class RefundInline(ReadOnlyInline):
    model = OnlineRefund
    fields = ["number", "status", "fund_fen", "assistance_fen", "personal_fen", "cash_fen", "created_at"]


@admin.register(OnlineOrder)
class OnlineOrderAdmin(ReadOnlyAdmin):
    """Orders by hospital and day; filter 'needs attention' for the staff queue."""

    list_display = ["number", "institution", "person", "status", "total_fen", "cash_fen", "created_at"]
    list_filter = ["status", "institution"]
    date_hierarchy = "created_at"
    search_fields = ["number", "out_trade_no", "channel_transaction_id"]
    raw_id_fields = ["person", "terminal", "institution", "hold_transaction"]
    inlines = [OrderEventInline, RefundInline]


@admin.register(ChannelNotification)
class ChannelNotificationAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "channel", "event_type", "out_trade_no", "outcome", "error"]
    list_filter = ["channel", "event_type"]
    search_fields = ["out_trade_no", "notify_id"]


@admin.register(HospitalEvent)
class HospitalEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "kind", "attempts", "delivered_at", "gave_up", "last_error"]
    list_filter = ["kind", "gave_up"]


class DifferenceInline(ReadOnlyInline):
    model = ReconciliationDifference
    fields = ["kind", "out_trade_no", "out_refund_no", "details", "fixed", "fix_note"]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["bill_date", "channel", "bill_rows", "matched", "differences", "fixed", "finished_at"]
    inlines = [DifferenceInline]


@admin.register(ReconciliationDifference)
class ReconciliationDifferenceAdmin(ReadOnlyAdmin):
    list_display = ["run", "kind", "out_trade_no", "out_refund_no", "fixed", "fix_note"]
    list_filter = ["kind", "fixed"]
