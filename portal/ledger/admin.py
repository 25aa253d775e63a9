from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portal.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction


class ReadOnlyInline(admin.TabularInline):
    """History and line items shown beside their parent, never edited."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "region", "balance", "allow_negative"]
    list_filter = ["kind", "region"]
    search_fields = ["code"]


class EntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["account", "amount", "balance_after"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "reference", "memo", "created_at"]
    list_filter = ["kind"]
    search_fields = ["reference", "idempotency_key"]
    inlines = [EntryInline]
