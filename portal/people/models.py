"""Insured persons (参保人), their sign-in user and their contribution years."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

mobile_phone = RegexValidator(r"^1[3-9]\d{9}$", "A mainland mobile number has 11 digits and starts with 1.")


class User(AbstractUser):
    """Sign-in identity for staff (admin, CMS) and residents (linked to a Person)."""


class Household(models.Model):
    """A household as registered with the bureau (for demo data and family suggestions)."""

    name = models.CharField(max_length=100)
    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="households")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """An insured person. The identity number is held only encrypted, with a blind index."""

    class InsuranceType(models.TextChoices):
        EMPLOYEE = "employee", "职工（在职） / employee in service"
        RETIRED = "retired", "职工（退休） / retired employee"
        RESIDENT = "resident", "城乡居民 / resident"

    class AssistanceGroup(models.TextChoices):
        NONE = "none", "无 / none"
        EXTREMELY_POOR = "extremely_poor", "特困人员 / extremely poor"
        MINIMUM_ALLOWANCE = "minimum_allowance", "低保对象 / minimum living allowance"
        FELL_BACK = "fell_back", "返贫致贫人口 / fell back into poverty"
        MONITORED = "monitored", "监测人口 / monitored low income"

    class Gender(models.TextChoices):
        MALE = "male", "男 / male"
        FEMALE = "female", "女 / female"

    name = models.CharField(max_length=100)
    id_number_encrypted = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(max_length=18, editable=False)
    gender = models.CharField(max_length=6, choices=Gender.choices, editable=False)
    phone = models.CharField(max_length=11, blank=True, default="", validators=[mobile_phone])
    region = models.ForeignKey("institutions.Region", on_delete=models.PROTECT, related_name="persons")
    insurance_type = models.CharField(max_length=10, choices=InsuranceType.choices)
    assistance_group = models.CharField(max_length=20, choices=AssistanceGroup.choices, default=AssistanceGroup.NONE)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    user = models.OneToOneField("people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="person")
    insured = models.BooleanField(default=True, help_text="Currently enrolled (参保状态正常).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="person_phone_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.id_number_masked}"

    __repr__ = __str__

    @cached_property
    def birth_date(self) -> dt.date:
        """From the encrypted identity number: birth dates are not stored in clear (PIPL)."""
        from portal.crypto import decrypt

        number = decrypt(self.id_number_encrypted, context="person.id_number")
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))

    @property
    def is_employee(self) -> bool:
        return self.insurance_type in (self.InsuranceType.EMPLOYEE, self.InsuranceType.RETIRED)

    @property
    def masked_name(self) -> str:
        from portal.identity import mask_name

        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if self.phone else ""


class Contribution(models.Model):
    """Whether a person's contributions for a year are paid (缴费状态)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contributions")
    year = models.PositiveSmallIntegerField()
    paid = models.BooleanField(default=True)
    paid_at = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "year"]
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="contribution_one_per_year")]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.year}: {'paid' if self.paid else 'unpaid'}"


class ContributionLapse(models.Model):
    """A period without paid contributions (停缴期间): care on these dates gets no benefit, whatever the
    year's flag says. ``ends_on`` empty: still lapsed."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contribution_lapses")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["person", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="contribution_lapse_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.starts_on}–{self.ends_on or '…'}"
