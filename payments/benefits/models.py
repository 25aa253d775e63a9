"""Regional outpatient policy as versioned data, and the benefits already used this year.

Amounts are integer fen (分); rates are basis points (1% = 100 bp, 60% = 6000 bp).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from portal.ledger.models import AppendOnlyModel

RATE_FIELDS = [
    "resident_rate_bp",
    "employee_rate_low_bp",
    "employee_rate_high_bp",
    "retiree_bonus_bp",
    "dual_rate_employee_bp",
    "dual_rate_resident_bp",
    "assist_extremely_poor_rate_bp",
    "assist_minimum_allowance_rate_bp",
    "assist_fell_back_rate_bp",
    "assist_monitored_rate_bp",
]


def _fen(verbose: str, help_text: str = "") -> models.BigIntegerField:
    return models.BigIntegerField(verbose_name=f"{verbose}（分 / fen）", help_text=help_text)


def _rate(verbose: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(verbose_name=f"{verbose}（基点，60% = 6000 / basis points）")


class PolicyRuleSet(models.Model):
    """One region's outpatient rules from ``effective_from`` to ``effective_to`` (inclusive, open if empty)."""

    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="policy_rule_sets")
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=300, blank=True, default="", help_text="The bulletin this comes from.")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    # Residents' general outpatient (城乡居民普通门诊)
    resident_deductible_fen = _fen("居民门诊起付线 / resident deductible")
    resident_rate_bp = _rate("居民门诊基金支付比例 / resident fund rate")
    resident_annual_cap_fen = _fen("居民门诊年度限额 / resident annual cap")
    resident_primary_only = models.BooleanField(
        default=True, verbose_name="仅限基层医疗机构 / primary-level institutions only"
    )
    resident_pharmacy_covered = models.BooleanField(default=False, verbose_name="零售药店可报销 / pharmacies covered")

    # Employees' outpatient pooling (职工门诊统筹)
    employee_deductible_low_fen = _fen("一级及以下起付线 / deductible at level 1 and unrated")
    employee_deductible_high_fen = _fen("二、三级起付线 / deductible at level 2 and 3")
    employee_rate_low_bp = _rate("一级及以下支付比例 / rate at level 1 and unrated")
    employee_rate_high_bp = _rate("二、三级支付比例 / rate at level 2 and 3")
    retiree_bonus_bp = _rate("退休人员提高 / retirees' extra rate")
    employee_cap_active_fen = _fen("在职年度限额 / annual cap in service")
    employee_cap_retired_fen = _fen("退休年度限额 / annual cap retired")

    # Negotiated drugs through the dual channel (双通道谈判药)
    dual_deductible_fen = _fen("双通道门诊起付线 / dual-channel deductible")
    dual_rate_employee_bp = _rate("双通道职工支付比例 / dual-channel employee rate")
    dual_rate_resident_bp = _rate("双通道居民支付比例 / dual-channel resident rate")
    dual_cap_employee_fen = _fen("职工基金年度最高支付限额 / employee fund annual cap")
    dual_cap_resident_fen = _fen("居民基金年度最高支付限额 / resident fund annual cap")

    # Medical assistance after basic insurance (医疗救助)
    assist_annual_cap_fen = _fen("医疗救助年度限额 / assistance annual cap")
    assist_extremely_poor_deductible_fen = _fen("特困人员起付线 / extremely poor deductible")
    assist_extremely_poor_rate_bp = _rate("特困人员救助比例 / extremely poor rate")
    assist_minimum_allowance_deductible_fen = _fen("低保对象起付线 / minimum allowance deductible")
    assist_minimum_allowance_rate_bp = _rate("低保对象救助比例 / minimum allowance rate")
    assist_fell_back_deductible_fen = _fen("返贫致贫人口起付线 / fell back deductible")
    assist_fell_back_rate_bp = _rate("返贫致贫人口救助比例 / fell back rate")
    assist_monitored_deductible_fen = _fen("监测人口起付线 / monitored deductible")
    assist_monitored_rate_bp = _rate("监测人口救助比例 / monitored rate")

    # Rules that are yes/no per region (the bulletins of 340600 set them as below)
    pharmacy_needs_prescription = models.BooleanField(
        default=True,
        verbose_name="药店统筹须凭处方 / pooling at pharmacies needs a prescription",
        help_text="门诊处方外配: a designated institution's prescription, electronic or paper recorded with a photo.",
    )
    assist_employee_outpatient = models.BooleanField(
        default=False,
        verbose_name="职工普通门诊个人负担纳入医疗救助 / assistance on employees' general outpatient burden",
    )
    excluded_categories = models.JSONField(
        default=list,
        blank=True,
        verbose_name="不予支付的费用类别 / item categories not covered",
        help_text='e.g. ["checkup", "vaccine"]',
    )
    assumed = models.BooleanField(
        default=False,
        verbose_name="假定数据 / assumed figures",
        help_text="Some figures are not from a published bulletin; estimates made with them say so.",
    )
    assumed_note = models.CharField(max_length=300, blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="policy_period_ends_after_it_starts",
            ),
            *[
                models.CheckConstraint(condition=Q(**{f"{f}__lte": 10_000}), name=f"policy_{f}_max")
                for f in RATE_FIELDS
            ],
            models.UniqueConstraint(fields=["region", "effective_from"], name="policy_one_start_per_region"),
        ]

    def __str__(self) -> str:
        end = self.effective_to.isoformat() if self.effective_to else "…"
        return f"{self.region.code} {self.effective_from.isoformat()}–{end} {self.name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field in self._meta.fields:
            value = getattr(self, field.name)
            if field.name.endswith("_fen") and value is not None and value < 0:
                errors[field.name] = "金额不能为负 / must not be negative"
            if field.name.endswith("_bp") and value is not None and not 0 <= value <= 10_000:
                errors[field.name] = "比例须在 0-100% 之间 / must be between 0 and 10000 bp"
        if self.employee_rate_high_bp is not None and self.retiree_bonus_bp is not None:
            for name in ("employee_rate_low_bp", "employee_rate_high_bp"):
                rate = getattr(self, name)
                if rate is not None and rate + self.retiree_bonus_bp > 10_000:
                    errors[name] = "加上退休提高比例后超过100% / exceeds 100% with the retirees' extra"
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = "结束日期早于开始日期 / ends before it starts"
        if self.region_id and self.effective_from:
            overlapping = PolicyRuleSet.objects.filter(region_id=self.region_id).exclude(pk=self.pk)
            overlapping = overlapping.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
            if self.effective_to:
                overlapping = overlapping.filter(effective_from__lte=self.effective_to)
            clash = overlapping.first()
            if clash is not None:
                errors["effective_from"] = f"与已有规则 {clash} 的期间重叠 / overlaps an existing rule set"
        if errors:
            raise ValidationError(errors)


class BenefitUsage(AppendOnlyModel):
    """What a settlement used of a person's yearly benefits. Reversals are negative rows.

    The year-to-date state (deductible accumulated, fund paid so far) is the sum of these rows.
    """

    class Scheme(models.TextChoices):
        OUTPATIENT = "outpatient", "普通门诊/门诊统筹 / general outpatient"
        DUAL_CHANNEL = "dual_channel", "双通道谈判药 / dual-channel drugs"
        ASSISTANCE = "assistance", "医疗救助 / medical assistance"

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="benefit_usages")
    year = models.PositiveSmallIntegerField()
    scheme = models.CharField(
        max_length=60,
        help_text="The bucket (payments.benefits.schemes): outpatient, dual_channel, specified:<group>, assistance. "
        "Every bucket but assistance is paid by the pooled fund.",
    )
    deductible_fen = models.BigIntegerField(default=0)
    paid_fen = models.BigIntegerField(default=0, help_text="Fund (or assistance) paid.")
    origin = models.CharField(
        max_length=100, db_index=True, help_text="The settlement or online order whose usage this is (or gives back)."
    )
    reference = models.CharField(max_length=100, help_text="This write: the origin, an item of it, or a refund.")
    is_reversal = models.BooleanField(default=False)
    service_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["person", "year", "scheme"], name="benefit_usage_person_year")]
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "scheme", "is_reversal"], name="benefit_usage_once_per_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.year}/{self.scheme} {self.reference}"


class NegotiatedDrug(models.Model):
    """A negotiated drug through the dual channel (双通道谈判药), per region and period: its first
    self-pay share (先行自付比例), the part the resident pays before the dual-channel rules apply."""

    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="negotiated_drugs")
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    first_self_pay_bp = _rate("先行自付比例 / first self-pay share")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["region", "code", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(first_self_pay_bp__lte=10_000), name="negotiated_first_self_pay_max"),
            models.UniqueConstraint(fields=["region", "code", "effective_from"], name="negotiated_one_start"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.first_self_pay_bp / 100:g}%)"
