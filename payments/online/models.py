"""Online payment for internet hospitals (互联网+医保支付): orders, authorisations, refunds, notifies."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.transitions import StatusHistory


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(6).upper()}"


def new_order_number() -> str:
    return _number("P")


def new_refund_number() -> str:
    return _number("R")


class OnlineOrder(models.Model):
    class Status(models.TextChoices):
        SAVED = "saved", "已保存 / saved"
        PRE_SETTLED = "pre_settled", "已预结算 / pre-settled"
        AWAITING_CASH = "awaiting_cash", "待支付现金 / awaiting the cash payment"
        CASH_PAID = "cash_paid", "现金已支付 / cash paid"
        SETTLED = "settled", "已结算 / settled"
        CLOSED = "closed", "已关闭 / closed"
        REFUNDING = "refunding", "退款中 / refunding"
        REFUNDED_PARTLY = "refunded_partly", "部分退款 / refunded in part"
        REFUNDED = "refunded", "已全额退款 / refunded in full"
        FAILED = "failed", "失败 / failed"
        NEEDS_ATTENTION = "needs_attention", "需人工处理 / needs attention"

    TRANSITIONS: dict[str, set[str]] = {
        Status.SAVED: {Status.PRE_SETTLED, Status.FAILED, Status.CLOSED},
        Status.PRE_SETTLED: {Status.AWAITING_CASH, Status.SETTLED, Status.CLOSED, Status.FAILED},
        Status.AWAITING_CASH: {Status.CASH_PAID, Status.CLOSED, Status.NEEDS_ATTENTION},
        Status.CASH_PAID: {Status.SETTLED, Status.NEEDS_ATTENTION},
        Status.SETTLED: {Status.REFUNDING, Status.REFUNDED_PARTLY, Status.REFUNDED},
        Status.REFUNDING: {Status.REFUNDED_PARTLY, Status.REFUNDED, Status.NEEDS_ATTENTION},
        Status.REFUNDED_PARTLY: {Status.REFUNDING, Status.REFUNDED_PARTLY, Status.REFUNDED},
        Status.CLOSED: {Status.NEEDS_ATTENTION},
        Status.REFUNDED: set(),
        Status.FAILED: set(),
        Status.NEEDS_ATTENTION: set(),
    }

    number = models.CharField(max_length=24, unique=True, default=new_order_number)
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="online_orders")
    terminal = models.ForeignKey("institutions.Terminal", on_delete=models.PROTECT, related_name="online_orders")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="online_orders")
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    description = models.CharField(max_length=120)
    diagnosis = models.CharField(max_length=200, blank=True, default="")
    department = models.CharField(max_length=100, blank=True, default="")
    doctor = models.CharField(max_length=100, blank=True, default="")
    disease_code = models.CharField(
        max_length=40,
        blank=True,
        default="",
        help_text="A chronic follow-up visit (慢病复诊): the recognised specified disease it is billed under.",
    )
    delivery_address = models.CharField(
        max_length=200, blank=True, default="", help_text="Where the drugs are delivered (送药上门), if they are."
    )
    service_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SAVED)
    total_fen = models.BigIntegerField(default=0)
    fund_fen = models.BigIntegerField(default=0)
    assistance_fen = models.BigIntegerField(default=0)
    personal_fen = models.BigIntegerField(default=0)
    cash_fen = models.BigIntegerField(default=0)
    hold_transaction = models.ForeignKey(
        "ledger.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    out_trade_no = models.CharField(max_length=32, blank=True, default="", db_index=True)
    channel = models.CharField(
        max_length=20, blank=True, default="", help_text="The cash channel chosen when paying (wechatpay, alipay)."
    )
    h5_url = models.CharField(max_length=4000, blank=True, default="")  # Alipay: a signed gateway URL, ~1.5 KB
    channel_transaction_id = models.CharField(max_length=64, blank=True, default="")
    cash_paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    attention = models.CharField(max_length=200, blank=True, default="", help_text="Why staff must look at it.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "idempotency_key"], name="online_order_idempotency"),
            models.CheckConstraint(
                condition=Q(
                    total_fen=models.F("fund_fen")
                    + models.F("assistance_fen")
                    + models.F("personal_fen")
                    + models.F("cash_fen")
                ),
                name="online_order_parts_sum_to_total",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="online_order_status")]

    def __str__(self) -> str:
        return self.number

    @property
    def pay_mode(self) -> str:
        insurance = self.fund_fen + self.assistance_fen + self.personal_fen
        if insurance and self.cash_fen:
            return "CASH_AND_INSURANCE"
        return "INSURANCE_ONLY" if insurance else "CASH_ONLY"


class OnlineOrderItem(models.Model):
    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, related_name="items")
    line = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    amount_fen = models.BigIntegerField()
    in_catalogue = models.BooleanField(default=True)
    dual_channel = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "line"]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line}"


class OrderEvent(StatusHistory):
    """History: every status move of an order."""

    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, related_name="events")

    class Meta(StatusHistory.Meta):
        pass


class PayAuthorization(models.Model):
    """A short-lived, one-time authorisation (like payAuthNo) bound to the split the payer saw."""

    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, related_name="authorizations")
    payer = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    split = models.JSONField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"auth {self.order_id}"


class OnlineRefund(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing", "处理中 / processing"
        SUCCEEDED = "succeeded", "已退款 / refunded"
        FAILED = "failed", "失败 / failed"

    TRANSITIONS: dict[str, set[str]] = {
        Status.PROCESSING: {Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    }

    number = models.CharField(max_length=24, unique=True, default=new_refund_number)
    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=80, blank=True, default="")
    fund_fen = models.BigIntegerField(default=0)
    assistance_fen = models.BigIntegerField(default=0)
    personal_fen = models.BigIntegerField(default=0)
    cash_fen = models.BigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    channel = models.CharField(
        max_length=20, blank=True, default="", help_text="The channel the cash goes back through: the order's."
    )
    channel_refund_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="online_refund_idempotency"),
            models.CheckConstraint(
                condition=Q(fund_fen__gte=0, assistance_fen__gte=0, personal_fen__gte=0, cash_fen__gte=0),
                name="online_refund_parts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total_fen(self) -> int:
        return self.fund_fen + self.assistance_fen + self.personal_fen + self.cash_fen


class OnlineRefundEvent(StatusHistory):
    """History: every status move of a refund."""

    refund = models.ForeignKey(OnlineRefund, on_delete=models.PROTECT, related_name="events")

    class Meta(StatusHistory.Meta):
        pass


class ChannelNotification(models.Model):
    """A notify from a payment channel, stored raw before anything else happens.

    On PostgreSQL the table is partitioned by month of ``received_at`` (portal.ops.partitions): its primary
    key there is (id, received_at), ``duplicate_of`` has no database foreign key (it points back into the
    same partitioned table), and ``channel_notify_once`` is kept by :class:`ChannelNotifyKey`, filled by a
    trigger in the same statement as the insert. On SQLite the constraint is on this table itself.
    """

    channel = models.CharField(max_length=20)
    headers = models.JSONField()
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)
    notify_id = models.CharField(max_length=64, null=True, blank=True, help_text="Set once verified.")
    event_type = models.CharField(max_length=40, blank=True, default="")
    out_trade_no = models.CharField(max_length=32, blank=True, default="")
    error = models.CharField(max_length=200, blank=True, default="")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "notify_id"], name="channel_notify_once"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.notify_id or '(unverified)'}"


class ChannelNotifyKey(models.Model):
    """PostgreSQL: the (channel, notify id) of notifies stored lately, the guard of ``channel_notify_once``.

    The partitioned notifies table cannot hold a unique constraint without its partition key, and a retry
    of a notify arrives at another time. A BEFORE INSERT trigger on ``payments_channelnotification``
    (migration 0010) inserts the key here first; a second copy collides on the unique constraint and its
    insert fails with IntegrityError, exactly as before (payments.online.notifies then finds the first).

    Written only by that trigger; pruned by beat after NOTIFY_DEDUP_DAYS (the channel retries for about a
    day; processing is idempotent anyway) and when the notifies' partition is archived. Empty on SQLite.
    """

    channel = models.CharField(max_length=20)
    notify_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "notify_id"], name="channel_notify_key_once")]

    def __str__(self) -> str:
        return f"{self.channel} {self.notify_id}"


class HospitalEndpoint(models.Model):
    """Where an internet hospital receives our signed notifications."""

    institution = models.OneToOneField(
        "institutions.Institution", on_delete=models.PROTECT, related_name="notify_endpoint"
    )
    url = models.URLField(max_length=500)
    secret_encrypted = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.institution_id} -> {self.url}"


class HospitalEvent(models.Model):
    """A notification to a hospital (paid, refunded, closed), delivered at least once, idempotent by id."""

    class Kind(models.TextChoices):
        PAID = "paid", "已支付 / paid"
        REFUNDED = "refunded", "已退款 / refunded"
        CLOSED = "closed", "已关闭 / closed"

    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(OnlineOrder, on_delete=models.PROTECT, related_name="hospital_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")
    gave_up = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id}"


class ReconciliationRun(models.Model):
    bill_date = models.DateField()
    channel = models.CharField(max_length=20)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    bill_rows = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    differences = models.PositiveIntegerField(default=0)
    fixed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.bill_date}"


class ReconciliationDifference(models.Model):
    class Kind(models.TextChoices):
        PAID_THERE_NOT_HERE = "paid_there_not_here", "渠道已收款，本地未入账 / paid there, not here"
        PAID_HERE_NOT_THERE = "paid_here_not_there", "本地已入账，渠道无记录 / paid here, not there"
        AMOUNT_DIFFERS = "amount_differs", "金额不一致 / amount differs"
        REFUND_THERE_NOT_HERE = "refund_there_not_here", "渠道已退款，本地无记录 / refunded there, not here"
        REFUND_HERE_NOT_THERE = "refund_here_not_there", "本地已退款，渠道无记录 / refunded here, not there"
        LEDGER_MISMATCH = "ledger_mismatch", "账务分录不符 / the ledger does not match"

    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="differences_found")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    out_trade_no = models.CharField(max_length=32, blank=True, default="")
    out_refund_no = models.CharField(max_length=32, blank=True, default="")
    details = models.JSONField(default=dict)
    fixed = models.BooleanField(default=False)
    fix_note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.out_trade_no}"
