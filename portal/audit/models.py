"""Who read or changed a person's data (PIPL access log). Append-only."""

from __future__ import annotations

from django.db import models

from portal.ledger.models import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    """On PostgreSQL partitioned by month of ``at`` (portal.ops.partitions), primary key (id, at)."""

    class Action(models.TextChoices):
        READ = "read", "查看 / read"
        CREATE = "create", "新增 / create"
        UPDATE = "update", "修改 / update"
        REVEAL = "reveal", "查看明文证件号 / reveal identity number"
        EXPORT = "export", "导出 / export"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="audit_events")
    actor_user = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor_terminal = models.ForeignKey(
        "institutions.Terminal", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    purpose = models.CharField(max_length=100, help_text="Why: the screen, API or business step.")
    fields = models.JSONField(default=list, blank=True, help_text="Which fields were read or changed.")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "-at"], name="audit_person_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} person={self.person_id} {self.purpose}"
