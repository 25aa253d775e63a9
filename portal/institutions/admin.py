from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.institutions.models import Institution, Region, Terminal
from portal.institutions.services import terminal_create, terminal_rotate_secret


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active"]
    search_fields = ["code", "name"]


class TerminalInline(admin.TabularInline):
    model = Terminal
    fields = ["key_id", "name", "kind", "active", "last_seen_at"]
    readonly_fields = ["key_id", "last_seen_at"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # terminals are added from the terminal page, which shows the secret once


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "level", "is_primary_level", "region", "designated"]
    list_filter = ["kind", "level", "is_primary_level", "designated", "region"]
    search_fields = ["code", "name"]
    inlines = [TerminalInline]


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    list_display = ["key_id", "name", "kind", "institution", "active", "last_seen_at"]
    list_filter = ["kind", "active"]
    search_fields = ["key_id", "name", "institution__code", "institution__name"]
    fields = ["institution", "name", "kind", "active", "key_id", "last_seen_at"]
    readonly_fields = ["key_id", "last_seen_at"]
    actions = ["rotate_secret"]
    autocomplete_fields = ["institution"]

    def save_model(self, request: HttpRequest, obj: Terminal, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        terminal, secret = terminal_create(institution=obj.institution, name=obj.name, kind=obj.kind)
        obj.pk, obj.key_id = terminal.pk, terminal.key_id
        messages.warning(request, f"Terminal {terminal.key_id}: secret {secret} — shown once, copy it now.")

    @admin.action(description="Rotate the signing secret (shows the new one once)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset:
            secret = terminal_rotate_secret(terminal_id=terminal.pk)
            messages.warning(request, f"Terminal {terminal.key_id}: new secret {secret} — shown once.")
