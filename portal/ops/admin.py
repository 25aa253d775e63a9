from django.contrib import admin

from portal.ledger.admin import ReadOnlyAdmin
from portal.ops.models import InvariantRun


@admin.register(InvariantRun)
class InvariantRunAdmin(ReadOnlyAdmin):
    """The nightly invariant checks: staff see at a glance whether the money was right."""

    list_display = ["finished_at", "ok", "violations"]
    list_filter = ["ok"]
    readonly_fields = ["started_at", "finished_at", "ok", "violations", "results"]
