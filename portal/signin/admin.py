from django.contrib import admin

from portal.ledger.admin import ReadOnlyAdmin
from portal.signin.models import ResidentToken


@admin.register(ResidentToken)
class ResidentTokenAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
