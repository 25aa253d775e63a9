"""E-vouchers (医保电子凭证), their signing keys, family display and scans."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.transitions import StatusHistory


def _new_ref() -> str:
    return secrets.token_hex(8)


class SigningKey(models.Model):
    """An Ed25519 key that signs voucher codes. The private key is held only encrypted."""

    kid = models.CharField(max_length=64, unique=True, help_text="RFC 7638 thumbprint, base64url.")
    short_id = models.CharField(max_length=8, unique=True, help_text="First 4 bytes of the thumbprint, hex.")
    public_key = models.CharField(max_length=64, help_text="Raw public key, base64url.")
    private_key_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    signs_from = models.DateTimeField(
        null=True, blank=True, help_text="Published at once, signing from then (empty: from its creation)."
    )
    signs_until = models.DateTimeField(null=True, blank=True, help_text="Set when a newer key takes over.")
    verifies_until = models.DateTimeField(null=True, blank=True, help_text="Codes it signed have expired by then.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.short_id} ({self.kid[:12]}…)"


class Voucher(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "已激活 / active"
        SUSPENDED = "suspended", "已暂停 / suspended"
        REVOKED = "revoked", "已注销 / revoked"

    class Channel(models.TextChoices):
        APP = "app", "国家医保APP / national app"
        WECHAT = "wechat", "微信 / WeChat"
        ALIPAY = "alipay", "支付宝 / Alipay"
        WEB = "web", "网页 / web"
        FAMILY = "family", "亲情账户 / by a family holder"
        STAFF = "staff", "经办窗口 / bureau counter"

    TRANSITIONS = {
        Status.ACTIVE: {Status.SUSPENDED, Status.REVOKED},
        Status.SUSPENDED: {Status.ACTIVE, Status.REVOKED},
        Status.REVOKED: set(),
    }

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="vouchers")
    ref = models.CharField(max_length=16, unique=True, help_text="Opaque reference in the codes (hex).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    activated_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    status_reason = models.CharField(max_length=30, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=~Q(status="revoked"), name="voucher_one_live_per_person"
            ),
        ]
        indexes = [models.Index(fields=["status", "channel"], name="voucher_status_channel")]

    def __str__(self) -> str:
        return f"voucher {self.ref} ({self.status})"


class VoucherEvent(StatusHistory):
    """History of every status change (activation included)."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="events")
    reason = models.CharField(max_length=30, blank=True, default="")
    actor_user = models.ForeignKey("people.User", null=True, blank=True, on_delete=models.PROTECT)

    class Meta(StatusHistory.Meta):
        pass


class FamilyHolding(models.Model):
    """A holder (亲情账户) may show a relative's code. Benefits stay the relative's own.

    A request is kept as asked (the name typed and a blind index of the number) whether or not it
    matches an insured person: ``relative`` is empty when it does not, and such a request can never be
    consented to. The holder sees the same either way, so adding a relative is no identity oracle."""

    class Status(models.TextChoices):
        PENDING = "pending", "待确认 / waiting for consent"
        ACTIVE = "active", "有效 / active"
        REMOVED = "removed", "已解除 / removed"

    TRANSITIONS = {
        Status.PENDING: {Status.ACTIVE, Status.REMOVED},
        Status.ACTIVE: {Status.REMOVED},
        Status.REMOVED: set(),
    }

    class Consent(models.TextChoices):
        SMS = "sms", "短信验证码 / SMS code"
        APP = "app", "本人在应用内确认 / confirmed in the app"
        STAFF = "staff", "经办登记（未成年人/老年人）/ registered by staff"

    ref = models.CharField(
        max_length=16, unique=True, default=_new_ref, help_text="Opaque reference put in the codes the holder shows."
    )
    holder = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="holdings")
    relative = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="held_by"
    )
    requested_name = models.CharField(max_length=100, blank=True, default="", help_text="As the holder typed it.")
    requested_index = models.CharField(
        max_length=64, blank=True, default="", help_text="Blind index of the identity number the holder typed."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    consent = models.CharField(max_length=10, choices=Consent.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.CharField(max_length=10, blank=True, default="", help_text="holder, relative or staff")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "relative"], condition=~Q(status="removed"), name="holding_once_per_pair"
            ),
            models.UniqueConstraint(
                fields=["holder", "requested_index"],
                condition=~Q(status="removed") & ~Q(requested_index=""),
                name="holding_request_once",
            ),
            models.CheckConstraint(condition=~Q(holder=models.F("relative")), name="holding_not_oneself"),
        ]

    def __str__(self) -> str:
        return f"{self.holder_id} holds {self.relative_id} ({self.status})"


class FamilyHoldingEvent(StatusHistory):
    """History: every status move of a family holding (who consented, who removed it)."""

    holding = models.ForeignKey(FamilyHolding, on_delete=models.PROTECT, related_name="events")

    class Meta(StatusHistory.Meta):
        pass


class ScanSession(models.Model):
    """One redeemed code. The unique nonce is what makes a code one-time.

    On PostgreSQL the table is partitioned by month of ``created_at`` (portal.ops.partitions): its primary
    key there is (id, created_at) and the nonce's uniqueness is kept by :class:`RedeemedNonce`, which a
    trigger fills in the same statement as the insert. On SQLite the nonce column is unique itself.
    """

    class BusinessType(models.TextChoices):
        REGISTRATION = "01101", "挂号 / registration"
        SETTLEMENT = "01301", "结算 / settlement"
        DRUG_COLLECTION = "01302", "取药 / drug collection"
        PHARMACY_PURCHASE = "02121", "药店购药 / pharmacy purchase"
        OUTSIDE_PRESCRIPTION = "02122", "外配处方下载 / download an outside prescription"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    nonce = models.CharField(max_length=16, unique=True)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="scans")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="scan_sessions")
    holder = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="scans_as_holder"
    )
    terminal = models.ForeignKey("institutions.Terminal", on_delete=models.PROTECT, related_name="scans")
    institution = models.ForeignKey("institutions.Institution", on_delete=models.PROTECT, related_name="scans")
    business_type = models.CharField(max_length=5, choices=BusinessType.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"scan {self.id} {self.business_type}"


class RedeemedNonce(models.Model):
    """PostgreSQL: the nonces of codes redeemed lately, one row each, the one-time guard of e-voucher codes.

    A partitioned table's unique constraints must include its partition key, and a scan session's
    ``created_at`` is the scan's time: (nonce, created_at) would let the same code be scanned twice a
    second apart, and a unique nonce per month partition would let it be scanned again across midnight of
    the month's last day. So a BEFORE INSERT trigger on ``vouchers_scansession`` (migration 0005) inserts
    the nonce here first: a second scan of the same code collides on this primary key and the whole insert
    (scan session and its audit row) fails with IntegrityError, which the scan answers ``code_replayed``.

    Written only by that trigger; pruned by beat after SCAN_NONCE_KEEP_HOURS (a code is valid about a
    minute, so a replay always finds its nonce here). Empty on SQLite.
    """

    nonce = models.CharField(max_length=16, primary_key=True)
    redeemed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "已核销医保码随机数 / redeemed code nonce"

    def __str__(self) -> str:
        return self.nonce
