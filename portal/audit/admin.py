from django.contrib import admin

from portal.audit.models import AuditEvent
from portal.ledger.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "person", "actor_user", "actor_terminal", "purpose"]
    list_filter = ["action"]
    search_fields = ["purpose"]
    raw_id_fields = ["person", "actor_user", "actor_terminal"]
