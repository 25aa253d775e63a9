"""An append-only double-entry ledger in integer fen (分).

Every movement is a :class:`LedgerTransaction` whose :class:`LedgerEntry` legs sum to zero.
Accounts that belong to people can never go below zero: the database refuses it
(``ledger_account_balance_non_negative``). Corrections are reversing transactions.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal", "个人账户 / personal account"
        FUND = "fund", "统筹基金 / pooled fund"
        ASSISTANCE = "assistance", "医疗救助基金 / medical assistance"
        HELD = "held", "在途冻结 / held until the cash is paid"
        ALLOCATION = "allocation", "个人账户划入 / personal-account allocations"
        CASH_CLEARING = "cash_clearing", "现金清算 / cash clearing"
        INSTITUTION = "institution", "定点机构应收 / institution receivable"

    code = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    institution = models.ForeignKey(
        "institutions.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="ledger_accounts")
    balance = models.BigIntegerField(
        default=0, help_text="Fen; kept equal to the sum of the entries (0 for source accounts: see below)."
    )
    allow_negative = models.BooleanField(
        default=False,
        help_text=(
            "Source accounts (fund, assistance, allocations, clearing): may go below zero, and their balance "
            "is the sum of their entries, never stored, so that every settlement in a region does not queue "
            "on one row."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0), name="ledger_account_balance_non_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="personal") | (Q(person__isnull=False) & Q(allow_negative=False)),
                name="ledger_personal_account_has_owner",
            ),
            models.UniqueConstraint(
                fields=["person"], condition=Q(kind="personal"), name="ledger_one_personal_account_per_person"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("ledger rows are append-only")

    def delete(self) -> Any:
        raise TypeError("ledger rows are append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("ledger rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("ledger rows are append-only")


class LedgerTransaction(AppendOnlyModel):
    class Kind(models.TextChoices):
        ALLOCATION = "allocation", "个人账户划入 / allocation"
        SETTLEMENT = "settlement", "结算 / settlement"
        PAYMENT = "payment", "支付 / payment"
        REFUND = "refund", "退款 / refund"
        REVERSAL = "reversal", "冲正 / reversal"
        ADJUSTMENT = "adjustment", "调整 / adjustment"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    memo = models.CharField(max_length=200, blank=True, default="")
    reference = models.CharField(max_length=100, blank=True, default="", db_index=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of what was asked, for idempotent retries.")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    refund_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        help_text="The payment a (partial) refund gives money back for.",
    )
    beneficiary = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_transactions",
        help_text="Whose purchase or refund this is (may differ from the accounts' owners: family sharing).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.reference}"


class LedgerEntry(AppendOnlyModel):
    """On PostgreSQL partitioned by month of ``created_at`` (portal.ops.partitions), primary key
    (id, created_at); kept forever (source accounts' balances are sums of their entries)."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(help_text="Fen; positive credits the account, negative debits it.")
    balance_after = models.BigIntegerField(null=True, blank=True, help_text="Empty on source accounts.")
    created_at = models.DateTimeField(
        db_default=Now(),
        editable=False,
        help_text="The database's time of the insert; on PostgreSQL the month partition's key.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero")]
        indexes = [models.Index(fields=["account", "-id"], name="ledger_entry_account_recent")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"
