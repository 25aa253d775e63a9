"""Request and response shapes of the specified-disease API (the responses are rendered through these
serializers, so the OpenAPI schema is what the API answers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.diseases.models import (
    Disease,
    DiseaseGroupRules,
    Recognition,
    Reinstatement,
    Suspension,
    Violation,
)
from portal.errors import localized_label
from portal.money import MoneySerializer, money
from portal.pagination import paginated


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


class DiseaseSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.SerializerMethodField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    group_code = serializers.CharField(source="group.code")
    choice_exempt = serializers.BooleanField(help_text="No institution to choose: any designated one serves.")
    internet_hospital = serializers.BooleanField(help_text="May be treated and settled at internet hospitals.")
    long_prescription = serializers.BooleanField(help_text="Stable patients may get up to 3 months' drugs.")

    def get_name(self, disease: Disease) -> str:
        return disease.name_en if _english() else disease.name_zh


class GroupRulesSerializer(serializers.Serializer):
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)
    deductible = serializers.SerializerMethodField()
    employee_rate_bp = serializers.IntegerField()
    retiree_rate_bp = serializers.IntegerField()
    resident_rate_bp = serializers.IntegerField()
    employee_cap = serializers.SerializerMethodField()
    retiree_cap = serializers.SerializerMethodField()
    resident_cap = serializers.SerializerMethodField()
    assumed = serializers.BooleanField(help_text="Figures not taken from a published bulletin.")
    source_text = serializers.CharField(source="source", help_text="The bulletin, or why the figures are assumed.")

    @extend_schema_field(MoneySerializer)
    def get_deductible(self, rules: DiseaseGroupRules) -> dict[str, Any]:
        return money(rules.deductible_fen)

    @extend_schema_field(MoneySerializer)
    def get_employee_cap(self, rules: DiseaseGroupRules) -> dict[str, Any]:
        return money(rules.employee_cap_fen)

    @extend_schema_field(MoneySerializer)
    def get_retiree_cap(self, rules: DiseaseGroupRules) -> dict[str, Any]:
        return money(rules.retiree_cap_fen)

    @extend_schema_field(MoneySerializer)
    def get_resident_cap(self, rules: DiseaseGroupRules) -> dict[str, Any]:
        return money(rules.resident_cap_fen)


class GroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    rules_today = GroupRulesSerializer(allow_null=True, help_text="None: no rules in force today.")


class InstitutionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    level = serializers.CharField()


class RegionBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DiseaseListSerializer(serializers.Serializer):
    region = RegionBriefSerializer()
    groups = GroupSerializer(many=True)
    diseases = DiseaseSerializer(many=True)
    institutions = InstitutionBriefSerializer(many=True, help_text="Those a resident may choose.")


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField(source="file_content_type")
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    by = serializers.CharField()
    note = serializers.CharField()


class RecognitionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.name")
    applied_by_id = serializers.IntegerField()
    disease = DiseaseSerializer()
    institution = InstitutionBriefSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=Recognition.Status.choices)
    status_label = serializers.SerializerMethodField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    review_note = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    documents = DocumentSerializer(many=True, source="documents.all")
    history = EventSerializer(many=True, source="events.all")

    def get_status_label(self, recognition: Recognition) -> str:
        return localized_label(recognition.get_status_display())


RecognitionListSerializer = paginated(RecognitionSerializer)


class ApplySerializer(serializers.Serializer):
    person_id = serializers.IntegerField(
        required=False, min_value=1, help_text="A relative whose e-voucher code I hold (default: myself)."
    )
    disease_code = serializers.CharField(max_length=40)
    institution_code = serializers.CharField(
        max_length=20, required=False, help_text="The designated institution chosen (not for choice-exempt diseases)."
    )
    documents = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="1 to 5 documents (diagnosis certificate, medical records, test reports): JPEG, PNG or PDF, "
        "at most 5 MB each.",
    )


class ChangeInstitutionSerializer(serializers.Serializer):
    institution_code = serializers.CharField(max_length=20)


class ViolationBriefSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Violation.Kind.choices)
    kind_label = serializers.SerializerMethodField()
    recovered = serializers.SerializerMethodField()
    recorded_at = serializers.DateTimeField()

    def get_kind_label(self, violation: Violation) -> str:
        return localized_label(violation.get_kind_display())

    @extend_schema_field(MoneySerializer)
    def get_recovered(self, violation: Violation) -> dict[str, Any]:
        return money(violation.recovered_fen)


class ReinstatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Reinstatement.Status.choices)
    application = serializers.CharField()
    commitment_version = serializers.CharField(source="commitment.version")
    commitment_accepted_at = serializers.DateTimeField()
    review_note = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SuspensionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.name")
    disease = DiseaseSerializer()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="Last day of the suspension period.")
    may_apply_from = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Suspension.Status.choices)
    status_label = serializers.SerializerMethodField()
    lifted_on = serializers.DateField(allow_null=True)
    violation = ViolationBriefSerializer()
    reinstatements = ReinstatementSerializer(many=True, source="reinstatements.all")
    history = EventSerializer(many=True, source="events.all")

    def get_may_apply_from(self, suspension: Suspension) -> dt.date:
        return suspension.ends_on + dt.timedelta(days=1)

    def get_status_label(self, suspension: Suspension) -> str:
        return localized_label(suspension.get_status_display())


class CommitmentSerializer(serializers.Serializer):
    version = serializers.CharField()
    text = serializers.CharField()


SuspensionListSerializer = paginated(
    SuspensionSerializer,
    commitment=CommitmentSerializer(allow_null=True, help_text="The wording to sign when asking for reinstatement."),
)


class ReinstatementRequestSerializer(serializers.Serializer):
    application = serializers.CharField(max_length=2000, help_text="The written application (at least 10 characters).")
    commitment_accepted = serializers.BooleanField(help_text="I have read and sign the commitment.")
    commitment_version = serializers.CharField(max_length=20, help_text="The wording signed.")
