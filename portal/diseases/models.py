"""Specified and chronic diseases (门诊规定病种 / 门诊慢特病), per region, as data; recognitions (认定) of a
person's disease; violations, the pharmacy suspensions they cause, and reinstatement.

Amounts are integer fen (分); rates are basis points (1% = 100 bp, 60% = 6000 bp).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from portal.family.models import private_storage
from portal.transitions import StatusHistory

RATE_FIELDS = ["employee_rate_bp", "retiree_rate_bp", "resident_rate_bp"]
AMOUNT_FIELDS = ["deductible_fen", "employee_cap_fen", "retiree_cap_fen", "resident_cap_fen"]


class DiseasePolicy(models.Model):
    """One region's periods for the scheme. Without a row: 24 months' recognition, 12 months' suspension."""

    region = models.OneToOneField("institutions.Region", on_delete=models.PROTECT, related_name="disease_policy")
    recognition_valid_months = models.PositiveSmallIntegerField(
        default=24, help_text="How long an approved recognition lasts unless the reviewer sets an end."
    )
    suspension_months = models.PositiveSmallIntegerField(
        default=12, help_text="How long a violation suspends pharmacy settlement before reinstatement may be asked."
    )

    class Meta:
        verbose_name_plural = "disease policies"
        constraints = [
            models.CheckConstraint(condition=Q(recognition_valid_months__gte=1), name="disease_policy_validity_min"),
            models.CheckConstraint(condition=Q(suspension_months__gte=1), name="disease_policy_suspension_min"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id}: {self.recognition_valid_months}m / {self.suspension_months}m"


class DiseaseGroup(models.Model):
    """Diseases sharing one deductible, rate and cap, and one year-to-date bucket (``specified:<code>``)."""

    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="disease_groups")
    code = models.CharField(max_length=40)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=200)

    class Meta:
        ordering = ["region", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="disease_group_once_per_region")]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


def _fen(verbose: str) -> models.BigIntegerField:
    return models.BigIntegerField(verbose_name=f"{verbose}（分 / fen）")


def _rate(verbose: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(verbose_name=f"{verbose}（基点，60% = 6000 / basis points）")


class DiseaseGroupRules(models.Model):
    """A group's numbers from ``effective_from`` to ``effective_to`` (inclusive, open if empty)."""

    group = models.ForeignKey(DiseaseGroup, on_delete=models.PROTECT, related_name="rules")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    deductible_fen = _fen("年度起付线 / annual deductible")
    employee_rate_bp = _rate("在职职工支付比例 / employee rate")
    retiree_rate_bp = _rate("退休人员支付比例 / retiree rate")
    resident_rate_bp = _rate("城乡居民支付比例 / resident rate")
    employee_cap_fen = _fen("在职职工年度限额 / employee annual cap")
    retiree_cap_fen = _fen("退休人员年度限额 / retiree annual cap")
    resident_cap_fen = _fen("城乡居民年度限额 / resident annual cap")
    assumed = models.BooleanField(default=False, help_text="Figures not taken from a published bulletin.")
    source = models.TextField(blank=True, default="", help_text="The bulletin, or why the figures are assumed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "-effective_from"]
        verbose_name_plural = "disease group rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="disease_rules_end_after_start",
            ),
            *[
                models.CheckConstraint(condition=Q(**{f"{f}__lte": 10_000}), name=f"disease_rules_{f}_max")
                for f in RATE_FIELDS
            ],
            *[
                models.CheckConstraint(condition=Q(**{f"{f}__gte": 0}), name=f"disease_rules_{f}_not_negative")
                for f in AMOUNT_FIELDS
            ],
            models.UniqueConstraint(fields=["group", "effective_from"], name="disease_rules_one_start_per_group"),
        ]

    def __str__(self) -> str:
        end = self.effective_to.isoformat() if self.effective_to else "…"
        return f"{self.group.code} {self.effective_from.isoformat()}–{end}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in AMOUNT_FIELDS:
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = "金额不能为负 / must not be negative"
        for name in RATE_FIELDS:
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 10_000:
                errors[name] = "比例须在 0-100% 之间 / must be between 0 and 10000 bp"
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = "结束日期早于开始日期 / ends before it starts"
        if self.group_id and self.effective_from:
            overlapping = DiseaseGroupRules.objects.filter(group_id=self.group_id).exclude(pk=self.pk)
            overlapping = overlapping.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
            if self.effective_to:
                overlapping = overlapping.filter(effective_from__lte=self.effective_to)
            clash = overlapping.first()
            if clash is not None:
                errors["effective_from"] = f"与已有规则 {clash} 的期间重叠 / overlaps existing rules"
        if errors:
            raise ValidationError(errors)


class Disease(models.Model):
    """A listed disease of one region."""

    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="diseases")
    code = models.CharField(max_length=40)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=200)
    group = models.ForeignKey(DiseaseGroup, on_delete=models.PROTECT, related_name="diseases")
    choice_exempt = models.BooleanField(
        default=False,
        help_text="Exempt from choosing one institution (chemo/radiotherapy, dialysis, anti-rejection after a "
        "transplant, tumour therapy before consolidation, tumour follow-up): any designated one of the region.",
    )
    internet_hospital = models.BooleanField(
        default=False, help_text="May be treated and settled at internet hospitals."
    )
    long_prescription = models.BooleanField(default=False, help_text="Stable patients may get up to 3 months' drugs.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["region", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="disease_once_per_region")]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    def clean(self) -> None:
        if self.group_id and self.region_id and self.group.region_id != self.region_id:
            raise ValidationError({"group": "病种组须属于同一统筹区 / the group must be of the same region"})


class Recognition(models.Model):
    """A person's recognised disease (认定): applied, reviewed by staff, in force from valid_from to valid_to."""

    class Status(models.TextChoices):
        APPLIED = "applied", "待审核 / waiting for review"
        APPROVED = "approved", "已认定 / approved"
        REJECTED = "rejected", "未通过 / rejected"
        WITHDRAWN = "withdrawn", "已撤回 / withdrawn"
        REVOKED = "revoked", "已撤销 / revoked"
        EXPIRED = "expired", "已到期 / expired"

    LIVE = (Status.APPLIED, Status.APPROVED)
    TRANSITIONS = {
        Status.APPLIED: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
        Status.APPROVED: {Status.REVOKED, Status.EXPIRED},
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
        Status.REVOKED: set(),
        Status.EXPIRED: set(),
    }

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="disease_recognitions")
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="recognitions")
    applied_by = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", help_text="The person, or a relative's holder."
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The one chosen designated institution; empty for choice-exempt diseases.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.APPLIED)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="Not in force from this date (revoked, expired).")
    reviewer = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    review_note = models.CharField(max_length=300, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "status"], name="recognition_person_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "disease"],
                condition=Q(status__in=["applied", "approved"]),
                name="recognition_one_live_per_disease",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="recognition_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | (Q(valid_from__isnull=False) & Q(valid_to__isnull=False)),
                name="recognition_approved_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.person_id}/{self.disease_id} ({self.status})"


class RecognitionDocument(models.Model):
    """A diagnosis certificate, medical record or test report, checked by content and stored privately."""

    recognition = models.ForeignKey(Recognition, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(storage=private_storage, upload_to="disease-documents/")
    file_content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"document {self.pk} of recognition {self.recognition_id}"

    @property
    def person_id(self) -> int:
        return self.recognition.person_id


class RecognitionEvent(StatusHistory):
    recognition = models.ForeignKey(Recognition, on_delete=models.PROTECT, related_name="events")
    by = models.CharField(max_length=10, help_text="resident, guardian, staff or system")
    by_user = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(StatusHistory.Meta):
        pass


class Violation(models.Model):
    """A violation found by staff (the fees are recovered); it suspends pharmacy settlement for the disease."""

    class Kind(models.TextChoices):
        FALSE_PRESCRIPTION = "false_prescription", "虚假处方 / false prescription"
        SWITCHED_DRUGS = "switched_drugs", "串换药品 / switched drugs"
        REPEATED_PURCHASE = "repeated_purchase", "重复购买同一适应症药品 / repeated purchases of the same indication"
        PRESCRIPTION_REUSE = "prescription_reuse", "处方重复使用 / prescription used again"
        NO_PRESCRIPTION = "no_prescription", "无处方结算 / settled without a prescription"
        OTHER = "other", "其他 / other"

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="disease_violations")
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="violations")
    recognition = models.ForeignKey(Recognition, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recovered_fen = models.BigIntegerField(help_text="Fees recovered (分 / fen).")
    reference = models.CharField(max_length=100, blank=True, default="", help_text="Settlements or case file.")
    note = models.CharField(max_length=500, blank=True, default="")
    recorded_by = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(recovered_fen__gte=0), name="violation_recovered_not_negative"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.person_id}/{self.disease_id} {self.kind}"


class Suspension(models.Model):
    """Pharmacy settlement of one disease suspended for a person (the chosen institution still serves).

    In force from ``starts_on`` until a reinstatement is approved (``lifted_on``); reinstatement may be asked
    for once ``ends_on`` (the last day of the suspension period) has passed."""

    class Status(models.TextChoices):
        ACTIVE = "active", "暂停中 / active"
        REINSTATED = "reinstated", "已恢复 / reinstated"
        ENDED = "ended", "已解除 / lifted by staff"

    TRANSITIONS = {
        Status.ACTIVE: {Status.REINSTATED, Status.ENDED},
        Status.REINSTATED: set(),
        Status.ENDED: set(),
    }

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="disease_suspensions")
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="suspensions")
    violation = models.ForeignKey(
        Violation, on_delete=models.PROTECT, related_name="suspensions", help_text="The violation that started it."
    )
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Last day of the suspension period (later violations extend it).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    lifted_on = models.DateField(null=True, blank=True, help_text="Pharmacies settle again from this date.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="suspension_ends_after_start"),
            models.UniqueConstraint(
                fields=["person", "disease"], condition=Q(status="active"), name="suspension_one_active_per_disease"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.person_id}/{self.disease_id} {self.starts_on}–{self.ends_on} ({self.status})"


class SuspensionEvent(StatusHistory):
    suspension = models.ForeignKey(Suspension, on_delete=models.PROTECT, related_name="events")
    by = models.CharField(max_length=10, help_text="staff or system")
    by_user = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(StatusHistory.Meta):
        pass


class ReinstatementCommitment(models.Model):
    """The exact words a resident signs when asking for reinstatement; every version is kept."""

    version = models.CharField(max_length=20, unique=True)
    text_zh = models.TextField()
    text_en = models.TextField()
    active = models.BooleanField(default=True)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.version


class Reinstatement(models.Model):
    """A written application to settle at pharmacies again, with a signed commitment; staff decide."""

    class Status(models.TextChoices):
        APPLIED = "applied", "待审核 / waiting for review"
        APPROVED = "approved", "已同意 / approved"
        REJECTED = "rejected", "未同意 / rejected"

    TRANSITIONS = {
        Status.APPLIED: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    }

    suspension = models.ForeignKey(Suspension, on_delete=models.PROTECT, related_name="reinstatements")
    applied_by = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    application = models.TextField(help_text="The resident's written application.")
    commitment = models.ForeignKey(ReinstatementCommitment, on_delete=models.PROTECT, related_name="+")
    commitment_accepted_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.APPLIED)
    reviewer = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    review_note = models.CharField(max_length=300, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["suspension"], condition=Q(status="applied"), name="reinstatement_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} of suspension {self.suspension_id} ({self.status})"


class ReinstatementEvent(StatusHistory):
    reinstatement = models.ForeignKey(Reinstatement, on_delete=models.PROTECT, related_name="events")
    by = models.CharField(max_length=10, help_text="resident, guardian or staff")
    by_user = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(StatusHistory.Meta):
        pass
