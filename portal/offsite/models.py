"""Off-site medical-care filings: categories per region, commitment wordings, filings and history."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from portal.family.models import private_storage
from portal.transitions import StatusHistory


class FilingCategory(models.Model):
    """One region's rules for a kind of filing."""

    class Code(models.TextChoices):
        RELOCATED_RETIREE = "relocated_retiree", "异地安置退休人员 / relocated retiree"
        LONG_TERM_RESIDENT = "long_term_resident", "异地长期居住人员 / long-term resident elsewhere"
        STATIONED_WORKER = "stationed_worker", "常驻异地工作人员 / worker stationed elsewhere"
        REFERRAL = "referral", "异地转诊人员 / referral"
        TEMPORARY_TRIP = "temporary_trip", "临时外出就医人员 / temporary trip"

    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="filing_categories")
    code = models.CharField(max_length=30, choices=Code.choices)
    eligible_insurance_types = models.JSONField(help_text='Who may file, e.g. ["retired"].')
    commitment_allowed = models.BooleanField(
        default=True, help_text="A signed commitment may replace the documents (告知承诺制)."
    )
    validity_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: valid until cancelled (long-term); else the longest period."
    )
    outpatient_pooling = models.BooleanField(
        default=True, help_text="Outpatient pooling applies at the destination (long-term filings)."
    )
    backdate_days = models.PositiveIntegerField(
        default=0, help_text="How far back the start may go for an admission not yet settled."
    )
    min_days_before_change = models.PositiveIntegerField(
        default=0, help_text="Days after the start before the resident may change or cancel it."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["region", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="filing_category_once_per_region")]
        verbose_name_plural = "filing categories"

    def __str__(self) -> str:
        return f"{self.region_id}/{self.code}"


class CommitmentText(models.Model):
    """The exact words a resident accepts; every version is kept."""

    version = models.CharField(max_length=20, unique=True)
    text_zh = models.TextField()
    text_en = models.TextField()
    active = models.BooleanField(default=True)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.version


class OffsiteFiling(models.Model):
    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", "待审核 / waiting for review"
        ACTIVE = "active", "已生效 / active"
        REJECTED = "rejected", "审核未通过 / rejected"
        REVOKED = "revoked", "已撤销（核查不实）/ revoked after verification"
        CANCELLED = "cancelled", "已取消 / cancelled"
        EXPIRED = "expired", "已到期 / expired"

    class Basis(models.TextChoices):
        COMMITMENT = "commitment", "个人承诺 / signed commitment"
        MATERIALS = "materials", "证明材料 / documents"

    class Verification(models.TextChoices):
        NOT_SELECTED = "not_selected", "未抽中 / not selected"
        SELECTED = "selected", "抽中待核查 / selected for verification"
        CONFIRMED = "confirmed", "核查属实 / confirmed"
        REJECTED = "rejected", "核查不实 / false"

    LIVE = (Status.PENDING_REVIEW, Status.ACTIVE)
    TRANSITIONS = {
        Status.PENDING_REVIEW: {Status.ACTIVE, Status.REJECTED, Status.CANCELLED},
        Status.ACTIVE: {Status.REVOKED, Status.CANCELLED, Status.EXPIRED},
        Status.REJECTED: set(),
        Status.REVOKED: set(),
        Status.CANCELLED: set(),
        Status.EXPIRED: set(),
    }

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="offsite_filings")
    filed_by = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(FilingCategory, on_delete=models.PROTECT, related_name="filings")
    destination_code = models.CharField(max_length=6, help_text="City-level code (GB/T 2260), e.g. 310100.")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    admission_date = models.DateField(null=True, blank=True)
    contact_address = models.CharField(max_length=200)
    basis = models.CharField(max_length=12, choices=Basis.choices)
    commitment = models.ForeignKey(CommitmentText, null=True, blank=True, on_delete=models.PROTECT)
    commitment_accepted_at = models.DateTimeField(null=True, blank=True)
    materials = models.FileField(storage=private_storage, upload_to="offsite-materials/", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    verification = models.CharField(max_length=15, choices=Verification.choices, default=Verification.NOT_SELECTED)
    sampled_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="Coverage stops from this date (revoked, cancelled).")
    consequence = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "status"], name="offsite_filing_person")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="offsite_filing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} -> {self.destination_code} ({self.category.code}, {self.status})"


class FilingEvent(StatusHistory):
    filing = models.ForeignKey(OffsiteFiling, on_delete=models.PROTECT, related_name="events")
    by = models.CharField(max_length=10, help_text="resident, guardian, staff or system")

    class Meta(StatusHistory.Meta):
        pass
