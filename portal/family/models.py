"""Family account sharing (家庭共济 / 个人账户共济): policy per region, bindings and their history."""

from __future__ import annotations

import os
import uuid

from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from portal.transitions import StatusHistory


class Relation(models.TextChoices):
    SPOUSE = "spouse", "配偶 / spouse"
    PARENT = "parent", "父母 / parent"
    CHILD = "child", "子女 / child"
    SIBLING = "sibling", "兄弟姐妹 / sibling"
    GRANDPARENT = "grandparent", "祖父母、外祖父母 / grandparent"
    GRANDCHILD = "grandchild", "孙子女、外孙子女 / grandchild"


class PrivateStorage(FileSystemStorage):
    """Files with no URL at all, under MEDIA_ROOT/private: read only through views that check permission.

    Without an explicit location the folder follows MEDIA_ROOT when it changes (tests point it at a
    temporary folder)."""

    @cached_property
    def base_location(self) -> str:
        from django.conf import settings

        return self._value_or_setting(self._location, os.path.join(settings.MEDIA_ROOT, "private"))  # type: ignore[attr-defined]

    def url(self, name: str | None) -> str:
        raise ValueError("private files are not served by URL")


def private_storage() -> FileSystemStorage:
    """Proof documents live under MEDIA_ROOT/private, which no web server serves."""
    return PrivateStorage()


def proof_path(instance: FamilyBinding, filename: str) -> str:
    """A random name; the extension comes from the service, which names the file by its checked type."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if extension not in ("jpg", "png", "pdf"):
        extension = "bin"
    return f"family-proofs/{uuid.uuid4().hex}.{extension}"


class FamilyPolicy(models.Model):
    """One region's rules for family sharing."""

    region = models.OneToOneField("institutions.Region", on_delete=models.PROTECT, related_name="family_policy")
    allowed_relations = models.JSONField(help_text='Relation codes that may be bound, e.g. ["spouse", "parent"].')
    max_bound = models.PositiveSmallIntegerField(default=7)
    same_region_required = models.BooleanField(default=True)
    initiator_types = models.JSONField(
        default=list, help_text='Insurance types that may initiate, e.g. ["employee", "retired"].'
    )
    requires_staff_review = models.BooleanField(default=False)
    consent_hours = models.PositiveSmallIntegerField(default=48, help_text="How long the relative has to consent.")
    proof_max_bytes = models.PositiveIntegerField(default=5 * 1024 * 1024)

    class Meta:
        verbose_name_plural = "family policies"

    def __str__(self) -> str:
        return f"family policy {self.region_id}"

    def clean(self) -> None:
        valid = set(Relation.values)
        if not isinstance(self.allowed_relations, list) or not set(self.allowed_relations) <= valid:
            raise ValidationError({"allowed_relations": f"use codes from {sorted(valid)}"})
        if not isinstance(self.initiator_types, list) or not set(self.initiator_types) <= {"employee", "retired"}:
            raise ValidationError({"initiator_types": "employee and/or retired"})
        if not 1 <= self.max_bound <= 20:
            raise ValidationError({"max_bound": "1-20"})


class FamilyBinding(models.Model):
    class Status(models.TextChoices):
        AWAITING_CONSENT = "awaiting_consent", "待被绑定人确认 / waiting for consent"
        AWAITING_REVIEW = "awaiting_review", "待经办审核 / waiting for staff review"
        ACTIVE = "active", "已生效 / active"
        REFUSED = "refused", "未通过 / refused"
        EXPIRED = "expired", "确认超时 / consent expired"
        UNBOUND = "unbound", "已解绑 / unbound"

    LIVE = (Status.AWAITING_CONSENT, Status.AWAITING_REVIEW, Status.ACTIVE)
    TRANSITIONS = {
        Status.AWAITING_CONSENT: {Status.AWAITING_REVIEW, Status.ACTIVE, Status.EXPIRED, Status.UNBOUND},
        Status.AWAITING_REVIEW: {Status.ACTIVE, Status.REFUSED, Status.UNBOUND},
        Status.ACTIVE: {Status.UNBOUND},
        Status.REFUSED: set(),
        Status.EXPIRED: set(),
        Status.UNBOUND: set(),
    }

    initiator = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="bindings_as_initiator")
    bound = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="bindings_as_bound")
    relation = models.CharField(max_length=12, choices=Relation.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_CONSENT)
    proof = models.FileField(storage=private_storage, upload_to=proof_path, blank=True)
    proof_content_type = models.CharField(max_length=40, blank=True, default="")
    consent_method = models.CharField(max_length=10, blank=True, default="", help_text="sms, app, guardian, staff")
    created_at = models.DateTimeField(auto_now_add=True)
    consent_expires_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiator", "bound"],
                condition=Q(status__in=["awaiting_consent", "awaiting_review", "active"]),
                name="family_binding_once_live",
            ),
            models.CheckConstraint(condition=~Q(initiator=models.F("bound")), name="family_binding_not_oneself"),
        ]
        indexes = [models.Index(fields=["bound", "status", "activated_at"], name="family_binding_payer_order")]

    def __str__(self) -> str:
        return f"{self.initiator_id} -> {self.bound_id} ({self.relation}, {self.status})"


class FamilyBindingEvent(StatusHistory):
    binding = models.ForeignKey(FamilyBinding, on_delete=models.PROTECT, related_name="events")
    by = models.CharField(max_length=10, help_text="initiator, bound, staff or system")

    class Meta(StatusHistory.Meta):
        pass
