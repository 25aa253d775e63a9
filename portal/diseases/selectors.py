"""Reads of the specified-disease scheme. :class:`RecognitionInForce`, :func:`recognitions_in_force`,
:func:`recognition_in_force` and :func:`specified_disease_refusal` are the interface settlement calls.

A recognition is in force on a day when it was approved for a period containing the day and had not
ended by then (revoked or expired on a later date still count for earlier days, so a settlement can be
checked for the day it happened). Only recognitions of diseases of the person's current region count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from payments.benefits.engine import DiseaseRules
from portal.diseases.errors import (
    SPECIFIED_NOT_AT_INTERNET_HOSPITAL,
    SPECIFIED_PHARMACY_NOT_DESIGNATED,
    SPECIFIED_PRESCRIBER_NOT_CHOSEN,
    SPECIFIED_SUSPENDED,
    SPECIFIED_WRONG_INSTITUTION,
)
from portal.diseases.models import (
    Disease,
    DiseaseGroup,
    DiseaseGroupRules,
    Recognition,
    ReinstatementCommitment,
    Suspension,
)
from portal.institutions.models import Institution, Region


@dataclass(frozen=True)
class RecognitionInForce:
    recognition_id: int
    disease_code: str
    disease_name_zh: str
    disease_name_en: str
    group_code: str
    institution_id: int | None  # the chosen institution; None when the disease is choice-exempt
    choice_exempt: bool
    internet_hospital: bool
    valid_to: dt.date
    pharmacy_suspended: bool  # an active suspension covers `on`
    rules: DiseaseRules | None  # the group's rules on `on` for the person's insurance type, None if none in force


def _in_force(person_id: int, on: dt.date) -> QuerySet[Recognition]:
    return (
        Recognition.objects.filter(person_id=person_id, valid_from__lte=on, valid_to__gte=on)
        .filter(disease__region_id=F("person__region_id"))
        .filter(
            Q(status=Recognition.Status.APPROVED)
            | Q(status__in=[Recognition.Status.REVOKED, Recognition.Status.EXPIRED], ended_on__gt=on)
        )
        .select_related("disease__group")
        .annotate(insurance_type=F("person__insurance_type"))
        .order_by("disease__code", "-id")
    )


def suspension_covers(*, on: dt.date) -> Q:
    """Suspensions covering a day: active ones from their start, lifted ones until they were lifted."""
    return Q(starts_on__lte=on) & (Q(status=Suspension.Status.ACTIVE) | Q(lifted_on__gt=on))


def rules_in_force(*, group_ids: list[int], on: dt.date) -> dict[int, DiseaseGroupRules]:
    rows = DiseaseGroupRules.objects.filter(group_id__in=group_ids, effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    return {row.group_id: row for row in rows}


def disease_rules(*, rules: DiseaseGroupRules, group_code: str, insurance_type: str) -> DiseaseRules:
    """The numbers for one kind of insured person: employee, retired or resident."""
    prefix = {"employee": "employee", "retired": "retiree", "resident": "resident"}[insurance_type]
    return DiseaseRules(
        group=group_code,
        deductible_fen=rules.deductible_fen,
        rate_bp=getattr(rules, f"{prefix}_rate_bp"),
        annual_cap_fen=getattr(rules, f"{prefix}_cap_fen"),
        assumed=rules.assumed,
    )


def _shape(recognitions: list[Recognition], *, person_id: int, on: dt.date) -> list[RecognitionInForce]:
    latest: dict[str, Recognition] = {}
    for recognition in recognitions:
        latest.setdefault(recognition.disease.code, recognition)  # newest first per disease
    if not latest:
        return []
    chosen = list(latest.values())
    suspended = set(
        Suspension.objects.filter(suspension_covers(on=on), person_id=person_id)
        .filter(disease_id__in=[r.disease_id for r in chosen])
        .values_list("disease_id", flat=True)
    )
    rules = rules_in_force(group_ids=[r.disease.group_id for r in chosen], on=on)
    shaped = []
    for recognition in chosen:
        disease = recognition.disease
        group_rules = rules.get(disease.group_id)
        assert recognition.valid_to is not None
        shaped.append(
            RecognitionInForce(
                recognition_id=recognition.pk,
                disease_code=disease.code,
                disease_name_zh=disease.name_zh,
                disease_name_en=disease.name_en,
                group_code=disease.group.code,
                institution_id=None if disease.choice_exempt else recognition.institution_id,
                choice_exempt=disease.choice_exempt,
                internet_hospital=disease.internet_hospital,
                valid_to=recognition.valid_to,
                pharmacy_suspended=disease.pk in suspended,
                rules=None
                if group_rules is None
                else disease_rules(
                    rules=group_rules,
                    group_code=disease.group.code,
                    insurance_type=recognition.insurance_type,  # type: ignore[attr-defined]
                ),
            )
        )
    return shaped


def recognitions_in_force(*, person_id: int, on: dt.date) -> list[RecognitionInForce]:
    """Every disease recognised for the person on ``on``, by disease code."""
    return _shape(list(_in_force(person_id, on)), person_id=person_id, on=on)


def recognition_in_force(*, person_id: int, disease_code: str, on: dt.date) -> RecognitionInForce | None:
    """The person's recognition of one disease (by its code in their region) on ``on``, or None."""
    found = _shape(list(_in_force(person_id, on).filter(disease__code=disease_code)[:1]), person_id=person_id, on=on)
    return found[0] if found else None


def _region_of(recognition: RecognitionInForce) -> int | None:
    return (
        Recognition.objects.filter(pk=recognition.recognition_id).values_list("disease__region_id", flat=True).first()
    )


def specified_disease_refusal(
    *, recognition: RecognitionInForce, institution: Institution, prescriber_institution_id: int | None
) -> str | None:
    """Why this institution may not settle this recognised disease, as a DomainError code name, or None.

    - hospital / internet hospital: it must be the chosen institution (any designated one of the region if
      the disease is choice-exempt); an internet hospital only for diseases with ``internet_hospital``.
    - pharmacy: it must be a designated specified-disease pharmacy of the region, the person must not be
      suspended, and the prescription must come from the chosen institution (choice-exempt: from any
      designated hospital of the region, or an internet hospital when the disease may be treated there).
    """
    if institution.kind in (Institution.Kind.HOSPITAL, Institution.Kind.INTERNET_HOSPITAL):
        if institution.kind == Institution.Kind.INTERNET_HOSPITAL and not recognition.internet_hospital:
            return SPECIFIED_NOT_AT_INTERNET_HOSPITAL
        if not institution.designated:
            return SPECIFIED_WRONG_INSTITUTION
        if recognition.choice_exempt:
            return None if institution.region_id == _region_of(recognition) else SPECIFIED_WRONG_INSTITUTION
        return None if institution.pk == recognition.institution_id else SPECIFIED_WRONG_INSTITUTION
    region_id = _region_of(recognition)
    if not (institution.designated and institution.specified_disease_pharmacy and institution.region_id == region_id):
        return SPECIFIED_PHARMACY_NOT_DESIGNATED
    if recognition.pharmacy_suspended:
        return SPECIFIED_SUSPENDED
    if prescriber_institution_id is None:
        return SPECIFIED_PRESCRIBER_NOT_CHOSEN
    if not recognition.choice_exempt:
        return None if prescriber_institution_id == recognition.institution_id else SPECIFIED_PRESCRIBER_NOT_CHOSEN
    prescriber = (
        Institution.objects.filter(
            pk=prescriber_institution_id,
            designated=True,
            region_id=region_id,
            kind__in=[Institution.Kind.HOSPITAL, Institution.Kind.INTERNET_HOSPITAL],
        )
        .values_list("kind", flat=True)
        .first()
    )
    if prescriber is None:
        return SPECIFIED_PRESCRIBER_NOT_CHOSEN
    if prescriber == Institution.Kind.INTERNET_HOSPITAL and not recognition.internet_hospital:
        return SPECIFIED_NOT_AT_INTERNET_HOSPITAL
    return None


# Reads for the resident API and pages.


def diseases_of_region(*, region: Region) -> QuerySet[Disease]:
    return Disease.objects.filter(region=region, active=True).select_related("group").order_by("group__code", "code")


def groups_of_region(*, region: Region, on: dt.date) -> list[tuple[DiseaseGroup, DiseaseGroupRules | None]]:
    groups = list(DiseaseGroup.objects.filter(region=region).order_by("code"))
    rules = rules_in_force(group_ids=[g.pk for g in groups], on=on)
    return [(group, rules.get(group.pk)) for group in groups]


def choosable_institutions(*, region: Region) -> QuerySet[Institution]:
    """Designated hospitals and internet hospitals of the region: what a resident may choose."""
    return Institution.objects.filter(
        region=region,
        designated=True,
        kind__in=[Institution.Kind.HOSPITAL, Institution.Kind.INTERNET_HOSPITAL],
    ).order_by("code")


def recognitions_of(*, person_ids: list[int]) -> QuerySet[Recognition]:
    return (
        Recognition.objects.filter(person_id__in=person_ids)
        .select_related("person", "disease__group", "institution")
        .prefetch_related("documents", "events")
        .order_by("-id")
    )


def recognition_detail(*, recognition_id: int) -> Recognition:
    return (
        Recognition.objects.select_related("person", "disease__group", "institution")
        .prefetch_related("documents", "events")
        .get(pk=recognition_id)
    )


def suspensions_of(*, person_ids: list[int]) -> QuerySet[Suspension]:
    return (
        Suspension.objects.filter(person_id__in=person_ids)
        .select_related("person", "disease__group", "violation")
        .prefetch_related("reinstatements__commitment", "events")
        .order_by("-id")
    )


def commitment_in_force() -> ReinstatementCommitment | None:
    return ReinstatementCommitment.objects.filter(active=True).order_by("-published_at", "-id").first()
