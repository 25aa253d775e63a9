"""Settlements at the counter (定点药店/医疗机构刷码结算), their items, traceability codes and audit rules."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.transitions import StatusHistory


def new_settlement_number() -> str:
    return f"S{timezone.localdate():%Y%m%d}{secrets.token_hex(5).upper()}"


class Settlement(models.Model):
    class Status(models.TextChoices):
        SETTLED = "settled", "已结算 / settled"
        PARTLY_REFUNDED = "partly_refunded", "部分退费 / partly refunded"
        REFUNDED = "refunded", "已全部退费 / refunded"
        REVERSED = "reversed", "已冲正 / reversed"

    class Review(models.TextChoices):
        NONE = "none", "无需审核 / no review"
        FLAGGED = "flagged", "待人工审核 / flagged for review"
        CLEARED = "cleared", "审核通过 / cleared"
        VIOLATION = "violation", "确认违规 / violation confirmed"

    TRANSITIONS = {
        Status.SETTLED: {Status.REVERSED, Status.PARTLY_REFUNDED, Status.REFUNDED},
        Status.PARTLY_REFUNDED: {Status.PARTLY_REFUNDED, Status.REFUNDED},
        Status.REFUNDED: set(),
        Status.REVERSED: set(),
    }

    REVIEW_TRANSITIONS = {
        Review.NONE: set(),
        Review.FLAGGED: {Review.CLEARED, Review.VIOLATION},
        Review.CLEARED: set(),
        Review.VIOLATION: set(),
    }

    number = models.CharField(max_length=24, unique=True, default=new_settlement_number)
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="settlements")
    terminal = models.ForeignKey("institutions.Terminal", on_delete=models.PROTECT, related_name="settlements")
    # No database foreign key: scan sessions are partitioned by month on PostgreSQL, and a foreign key to a
    # partitioned table must include its partition key. The settlement service takes the session from
    # scan_session_valid (it exists, unexpired, of this institution); scan sessions are never deleted, only
    # archived with their month partition after RETENTION_SCAN_SESSION_DAYS; check_invariants reports a
    # settlement whose session is missing while it should still be kept.
    scan_session = models.OneToOneField(
        "vouchers.ScanSession",
        on_delete=models.PROTECT,
        related_name="settlement",
        null=True,
        blank=True,
        db_constraint=False,
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="settlements")
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    service_date = models.DateField()
    prescription_number = models.CharField(max_length=40, blank=True, default="", db_index=True)
    prescription_issued_on = models.DateField(null=True, blank=True)
    specified_disease = models.BooleanField(default=False, help_text="A specified-disease (门诊规定病种) prescription.")
    prescription = models.ForeignKey(
        "prescriptions.Prescription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlements",
        help_text="The electronic (or recorded paper) prescription this settlement used once.",
    )
    disease_code = models.CharField(
        max_length=40, blank=True, default="", help_text="The recognised specified disease it was settled under."
    )
    emergency = models.BooleanField(default=False, help_text="Emergency care (急诊抢救), declared by the hospital.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SETTLED)
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.NONE)
    total_fen = models.BigIntegerField()
    fund_fen = models.BigIntegerField()
    assistance_fen = models.BigIntegerField()
    personal_account_fen = models.BigIntegerField()
    cash_fen = models.BigIntegerField()
    fund_transaction = models.ForeignKey(
        "ledger.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    personal_transaction = models.ForeignKey(
        "ledger.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receipt = models.JSONField(help_text="The receipt as first returned (idempotent retries return it again).")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "idempotency_key"], name="settlement_idempotency_key"),
            models.CheckConstraint(
                condition=Q(
                    total_fen=models.F("fund_fen")
                    + models.F("assistance_fen")
                    + models.F("personal_account_fen")
                    + models.F("cash_fen")
                ),
                name="settlement_parts_sum_to_total",
            ),
        ]
        indexes = [models.Index(fields=["institution", "service_date"], name="settlement_institution_day")]

    def __str__(self) -> str:
        return self.number


class SettlementEvent(StatusHistory):
    """History: every status move of a settlement (settled, reversed, refunded)."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="events")

    class Meta(StatusHistory.Meta):
        pass


class SettlementReviewEvent(StatusHistory):
    """History of the manual review: who cleared a flagged settlement or confirmed a violation."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="review_events")
    by = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(StatusHistory.Meta):
        pass


class SettlementItem(models.Model):
    class Kind(models.TextChoices):
        DRUG = "drug", "药品 / drug"
        SERVICE = "service", "诊疗服务 / service"

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="items")
    line = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    quantity = models.PositiveIntegerField()
    unit_price_fen = models.BigIntegerField()
    amount_fen = models.BigIntegerField()
    in_catalogue = models.BooleanField()
    dual_channel = models.BooleanField(default=False)
    days_supply = models.PositiveIntegerField(null=True, blank=True)
    scheme = models.CharField(max_length=60, blank=True, default="", help_text="The benefit bucket it was priced in.")
    deductible_fen = models.BigIntegerField(default=0)
    fund_fen = models.BigIntegerField(default=0)
    assistance_fen = models.BigIntegerField(default=0)
    resident_fen = models.BigIntegerField(default=0)
    reasons = models.JSONField(default=list)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["settlement", "line"]
        constraints = [models.UniqueConstraint(fields=["settlement", "line"], name="settlement_item_line")]

    def __str__(self) -> str:
        return f"{self.settlement_id}#{self.line} {self.code}"


class TraceCode(models.Model):
    """A drug package's traceability code (药品追溯码), sold once unless the sale is reversed or refunded."""

    class Status(models.TextChoices):
        SOLD = "sold", "已销售 / sold"
        RELEASED = "released", "已退回 / released"
        DUPLICATE = "duplicate", "重复销售待核查 / sold again, under review"

    code = models.CharField(max_length=20)
    item = models.ForeignKey(SettlementItem, on_delete=models.PROTECT, related_name="trace_codes")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SOLD)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(status="sold"), name="trace_code_sold_once"),
        ]
        indexes = [models.Index(fields=["code"], name="trace_code_lookup")]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"


class AuditRule(models.Model):
    """A pre-settlement rule (事前审核). Region-specific when a region is set, else for every region."""

    class Kind(models.TextChoices):
        MAX_DAYS_SUPPLY = "max_days_supply", "超最大用药天数 / beyond the maximum days' supply"
        REPEAT_BEFORE_RUNOUT = "repeat_before_runout", "药品未用完重复购买 / bought again before it ran out"
        SPECIFIED_DISEASE_PRESCRIPTION = (
            "specified_disease_prescription",
            "规定病种处方超次数或超期 / specified-disease prescription used too often or too late",
        )
        INSTITUTION_KIND = "institution_kind", "机构类型不允许 / not allowed at this kind of institution"
        DUPLICATE_TRACE_CODE = "duplicate_trace_code", "追溯码重复销售 / traceability code sold before"
        NOT_ON_PRESCRIPTION = "not_on_prescription", "处方外药品（串换药品） / a drug not on the prescription"

    class Action(models.TextChoices):
        REFUSE = "refuse", "拒付该项 / refuse the item"
        REVIEW = "review", "转人工审核 / flag for manual review"

    region = models.ForeignKey("institutions.Region", null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    params = models.JSONField(default=dict, blank=True)
    message_zh = models.CharField(max_length=200)
    message_en = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.action}, {self.region_id or 'all regions'})"


class SettlementFlag(models.Model):
    """Why a settlement (or one of its items) was refused or sent to manual review."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="flags")
    rule = models.ForeignKey(AuditRule, on_delete=models.PROTECT)
    line = models.PositiveSmallIntegerField(null=True, blank=True)
    action = models.CharField(max_length=10)
    message = models.CharField(max_length=300)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.settlement_id}: {self.rule.kind} ({self.action})"


class SettlementRefund(models.Model):
    """A later refund of whole items. A retry with the same key returns this record."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(max_length=100)
    lines = models.JSONField()
    fund_fen = models.BigIntegerField()
    assistance_fen = models.BigIntegerField()
    personal_account_fen = models.BigIntegerField()
    cash_fen = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "idempotency_key"], name="settlement_refund_key"),
        ]

    def __str__(self) -> str:
        return f"refund {self.settlement_id} {self.lines}"
