"""Pooling regions (统筹区), designated institutions and their terminals."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

six_digits = RegexValidator(r"^\d{6}$", "A region code has 6 digits.")


class Region(models.Model):
    """A pooling region (统筹区), named by its 6-digit administrative code."""

    code = models.CharField(max_length=6, unique=True, validators=[six_digits])
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def display_name(self) -> str:
        """The name in the request's language: the national list's English name in English pages."""
        from portal import divisions

        place = divisions.place(self.code)
        return place.name_en if divisions.english() and place is not None else self.name


class Institution(models.Model):
    """A designated medical institution (定点医疗机构), pharmacy or internet hospital."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", "医疗机构 / hospital or clinic"
        PHARMACY = "pharmacy", "定点药店 / pharmacy"
        INTERNET_HOSPITAL = "internet_hospital", "互联网医院 / internet hospital"

    class Level(models.TextChoices):
        LEVEL_1 = "1", "一级 / level 1"
        LEVEL_2 = "2", "二级 / level 2"
        LEVEL_3 = "3", "三级 / level 3"
        UNRATED = "unrated", "未定级 / unrated"

    code = models.CharField(max_length=20, unique=True, help_text="National institution code, e.g. H34060200001")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.UNRATED)
    is_primary_level = models.BooleanField(
        default=False, help_text="Township/community health centre or village clinic (基层医疗机构)."
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="institutions")
    designated = models.BooleanField(default=True, help_text="Designated for medical-insurance settlement.")
    specified_disease_pharmacy = models.BooleanField(
        default=False,
        help_text="A designated specified-disease pharmacy (门诊规定病种定点药店): may settle specified-disease "
        "prescriptions of any designated institution of the region.",
    )
    dual_channel = models.BooleanField(
        default=False,
        help_text="Designated for negotiated dual-channel drugs (双通道定点医药机构, the 三定 rule's institution "
        "or pharmacy).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="pharmacy") | (Q(level="unrated") & Q(is_primary_level=False)),
                name="institution_pharmacy_has_no_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Terminal(models.Model):
    """A code scanner or institution system that calls the API with signed requests."""

    class Kind(models.TextChoices):
        SCANNER = "scanner", "扫码终端 / code scanner"
        SYSTEM = "system", "机构系统 / institution system"

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="terminals")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SCANNER)
    key_id = models.CharField(max_length=40, unique=True)
    secret_encrypted = models.TextField(help_text="The signing secret, encrypted at rest.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key_id"]

    def __str__(self) -> str:
        return f"{self.key_id} @ {self.institution.code}"

    # DRF treats request.auth/user objects by truthiness and is_authenticated.
    @property
    def is_authenticated(self) -> bool:
        return True
