"""Prescriptions (电子处方流转 and recorded paper ones), their items, their uses at pharmacies, and the doctors
authorised for specified diseases and dual-channel drugs.

One writer: every row here is written by :mod:`payments.prescriptions.services` (staff maintain the
authorised doctors in the admin).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from portal.family.models import private_storage
from portal.transitions import StatusHistory


class AuthorisedDoctor(models.Model):
    """A doctor an institution has authorised for specified-disease prescriptions (门诊规定病种处方医师) and/or
    negotiated dual-channel drugs (双通道 "三定": the fixed doctor)."""

    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, related_name="authorised_doctors"
    )
    code = models.CharField(max_length=40, help_text="The doctor's code (医师编码) at the institution.")
    name = models.CharField(max_length=100)
    specified_disease = models.BooleanField(default=False, help_text="May write specified-disease prescriptions.")
    dual_channel = models.BooleanField(default=False, help_text="May prescribe negotiated dual-channel drugs.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["institution", "code"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "code"], name="authorised_doctor_code_per_institution"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def photo_path(instance: Prescription, filename: str) -> str:
    """A random name; the extension is the one the service decided from the content."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if extension not in ("jpg", "png"):
        extension = "bin"
    return f"prescription-photos/{uuid.uuid4().hex}.{extension}"


class Prescription(models.Model):
    class Kind(models.TextChoices):
        ELECTRONIC = "electronic", "电子处方 / electronic"
        PAPER = "paper", "纸质处方 / paper"

    class Status(models.TextChoices):
        OPEN = "open", "可使用 / open"
        USED = "used", "已使用 / used"
        ARCHIVED = "archived", "已留存 / archived (kept by the pharmacy at its last use)"
        CANCELLED = "cancelled", "已作废 / cancelled"
        EXPIRED = "expired", "已过期 / expired"

    # A use given back (its settlement reversed or refunded) reopens a used or archived prescription
    # that is still valid.
    TRANSITIONS: dict[str, set[str]] = {
        Status.OPEN: {Status.USED, Status.ARCHIVED, Status.CANCELLED, Status.EXPIRED},
        Status.USED: {Status.OPEN},
        Status.ARCHIVED: {Status.OPEN},
        Status.CANCELLED: set(),
        Status.EXPIRED: set(),
    }

    number = models.CharField(max_length=40, help_text="The issuer's prescription number (unique per issuer).")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="prescriptions_issued",
        help_text="The issuer: a designated hospital or internet hospital (for paper, the one named on it).",
    )
    doctor_code = models.CharField(max_length=40)
    doctor_name = models.CharField(max_length=100)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="prescriptions")
    diagnosis_code = models.CharField(max_length=40, blank=True, default="")
    diagnosis_text = models.CharField(max_length=200, blank=True, default="")
    disease_code = models.CharField(
        max_length=40, blank=True, default="", help_text="Specified-disease prescriptions: the disease's code."
    )
    specified_disease = models.BooleanField(default=False, help_text="A specified-disease (门诊规定病种) prescription.")
    issued_on = models.DateField()
    valid_until = models.DateField(help_text="The last day it may be used.")
    max_uses = models.PositiveSmallIntegerField()
    uses = models.PositiveSmallIntegerField(default=0, help_text="Uses recorded and not given back.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    photo = models.FileField(storage=private_storage, upload_to=photo_path, blank=True)
    photo_content_type = models.CharField(max_length=20, blank=True, default="")
    uploaded_by = models.ForeignKey(
        "institutions.Terminal",
        on_delete=models.PROTECT,
        related_name="prescriptions_uploaded",
        help_text="The issuer's system (electronic) or the pharmacy's terminal (paper).",
    )
    request_hash = models.CharField(max_length=64, help_text="Of the upload's content: a replay must match it.")
    # The signed request that brought it (portal.signin.signing): with the terminal's secret an auditor
    # can check that this terminal sent exactly this body.
    signed_key_id = models.CharField(max_length=40, blank=True, default="")
    signed_timestamp = models.CharField(max_length=12, blank=True, default="")
    signed_nonce = models.CharField(max_length=64, blank=True, default="")
    signed_body_sha256 = models.CharField(max_length=64, blank=True, default="")
    signature = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "number"], name="prescription_number_per_issuer"),
            models.CheckConstraint(
                condition=Q(uses__gte=0) & Q(uses__lte=F("max_uses")), name="prescription_uses_within_max"
            ),
            models.CheckConstraint(condition=Q(max_uses__gte=1), name="prescription_max_uses_positive"),
            models.CheckConstraint(condition=Q(kind="electronic") | ~Q(photo=""), name="prescription_paper_has_photo"),
            models.CheckConstraint(
                condition=(Q(specified_disease=True) & ~Q(disease_code=""))
                | (Q(specified_disease=False) & Q(disease_code="")),
                name="prescription_disease_code_iff_specified",
            ),
            models.CheckConstraint(condition=Q(valid_until__gte=F("issued_on")), name="prescription_valid_after_issue"),
        ]
        indexes = [models.Index(fields=["person", "status", "valid_until"], name="prescription_person_open")]

    def __str__(self) -> str:
        return f"{self.number} @ {self.institution_id}"

    @property
    def uses_left(self) -> int:
        return max(self.max_uses - self.uses, 0)

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.PAPER and not self.photo:
            raise ValidationError({"photo": "纸质处方须上传照片 / a paper prescription needs its photo"})
        if self.specified_disease and not self.disease_code:
            raise ValidationError(
                {"disease_code": "规定病种处方须填写病种 / a specified-disease prescription names it"}
            )
        if not self.specified_disease and self.disease_code:
            raise ValidationError({"disease_code": "仅规定病种处方填写病种 / only for specified-disease prescriptions"})


class PrescriptionItem(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="items")
    line = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    days_supply = models.PositiveSmallIntegerField(null=True, blank=True)
    dual_channel = models.BooleanField(default=False, help_text="A negotiated dual-channel (双通道) drug.")

    class Meta:
        ordering = ["prescription", "line"]
        constraints = [
            models.UniqueConstraint(fields=["prescription", "line"], name="prescription_item_line"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="prescription_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line}. {self.name} x{self.quantity}"


class PrescriptionUse(models.Model):
    """One use of a prescription by a settlement. ``n`` is the use's slot (1..max_uses) among the uses not
    given back; a released use keeps its row (with ``released_at``) and frees its slot."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="use_records")
    n = models.PositiveSmallIntegerField()
    settlement_number = models.CharField(max_length=40, db_index=True)
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, related_name="prescription_uses"
    )
    service_date = models.DateField(help_text="The settlement's service date.")
    stamped = models.BooleanField(default=False, help_text="Stamped and handed back (specified disease, 1st/2nd).")
    archived = models.BooleanField(default=False, help_text="The last use: the pharmacy keeps the prescription.")
    at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True, help_text="Given back: the settlement was undone.")

    class Meta:
        ordering = ["prescription", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription", "n"],
                condition=Q(released_at__isnull=True),
                name="prescription_use_slot_unreleased",
            ),
            models.UniqueConstraint(fields=["prescription", "settlement_number"], name="prescription_use_settlement"),
            models.CheckConstraint(condition=Q(n__gte=1), name="prescription_use_n_positive"),
        ]

    def __str__(self) -> str:
        return f"use {self.n} of {self.prescription_id} by {self.settlement_number}"


class PrescriptionEvent(StatusHistory):
    """History: every status move of a prescription (and each use given back)."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="events")

    class Meta(StatusHistory.Meta):
        pass
