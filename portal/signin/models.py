"""One-time SMS codes for residents and bearer tokens for the mobile app."""

from __future__ import annotations

from django.db import models


class OtpChallenge(models.Model):
    """A code sent to a phone. Only its keyed hash is stored."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", "登录 / sign in"
        ACTIVATION = "activation", "激活电子凭证 / activate the e-voucher"
        FAMILY_CONSENT = "family_consent", "同意亲情账户 / consent to a family holder"
        FAMILY_BINDING = "family_binding", "同意家庭共济绑定 / consent to family account sharing"

    phone = models.CharField(max_length=11, db_index=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.SIGN_IN)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.CASCADE)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"otp#{self.pk} {self.phone[:3]}****{self.phone[-4:]}"


class ResidentToken(models.Model):
    """A bearer token for the mobile app. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey("people.User", on_delete=models.CASCADE, related_name="resident_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"token#{self.pk} user={self.user_id}"
