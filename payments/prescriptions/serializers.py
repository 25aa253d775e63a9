"""What the prescription API reads and answers (the answers are rendered through these serializers, so
the OpenAPI schema is what clients get)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from payments.prescriptions.models import Prescription
from payments.prescriptions.services import ItemInput

# --- Input -------------------------------------------------------------------------------------------


class PrescriptionItemInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    days_supply = serializers.IntegerField(min_value=1, max_value=366, required=False, allow_null=True, default=None)
    dual_channel = serializers.BooleanField(default=False)


def item_inputs(items: list[dict[str, Any]]) -> list[ItemInput]:
    return [
        ItemInput(
            code=i["code"],
            name=i["name"],
            quantity=i["quantity"],
            days_supply=i.get("days_supply"),
            dual_channel=i.get("dual_channel", False),
        )
        for i in items
    ]


class _PrescriptionFields(serializers.Serializer):
    number = serializers.RegexField(r"^[A-Za-z0-9_-]{1,40}$", max_length=40, help_text="The issuer's number.")
    doctor_code = serializers.CharField(max_length=40)
    doctor_name = serializers.CharField(max_length=100)
    diagnosis_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    diagnosis_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    specified_disease = serializers.BooleanField(default=False)
    disease_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="Specified-disease prescriptions: the disease's code (portal.diseases); blank otherwise.",
    )
    issued_on = serializers.DateField()


class PrescriptionUploadSerializer(_PrescriptionFields):
    """An issuer's electronic prescription. The patient is named by identity number, as in hospital bill
    uploads (looked up through the blind index, rate-limited per terminal, audited)."""

    patient_id_number = serializers.CharField(max_length=20)
    items = PrescriptionItemInSerializer(many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]


class PaperPrescriptionSerializer(_PrescriptionFields):
    """Multipart: the fields, ``items`` as JSON text, and the ``photo`` (JPEG or PNG)."""

    issuer_institution_code = serializers.CharField(max_length=20, help_text="The issuer named on the paper.")
    items = serializers.JSONField(binary=True, help_text="JSON list of {code, name, quantity, days_supply, ...}.")
    photo = serializers.FileField(required=False, allow_empty_file=True)

    def validate_items(self, value: Any) -> list[dict[str, Any]]:
        items = PrescriptionItemInSerializer(data=value, many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]
        items.is_valid(raise_exception=True)
        return list(items.validated_data)


# --- Output ------------------------------------------------------------------------------------------


class PrescriptionInstitutionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PrescriptionDoctorSerializer(serializers.Serializer):
    code = serializers.CharField(source="doctor_code")
    name = serializers.CharField(source="doctor_name")
    specified_disease = serializers.BooleanField(
        source="doctor_specified_disease", help_text="Authorised for specified diseases at the issuer."
    )
    dual_channel = serializers.BooleanField(
        source="doctor_dual_channel", help_text="Authorised for dual-channel drugs at the issuer."
    )


class PrescriptionDiagnosisSerializer(serializers.Serializer):
    code = serializers.CharField(source="diagnosis_code")
    text = serializers.CharField(source="diagnosis_text")


class PrescriptionItemSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    days_supply = serializers.IntegerField(allow_null=True)
    dual_channel = serializers.BooleanField()


class PrescriptionRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Prescription.Kind.choices)
    status = serializers.ChoiceField(
        choices=Prescription.Status.choices, help_text="open -> used | archived | cancelled | expired"
    )
    person_id = serializers.IntegerField()
    issuer = PrescriptionInstitutionSerializer(source="institution")
    doctor = PrescriptionDoctorSerializer(source="*")
    diagnosis = PrescriptionDiagnosisSerializer(source="*")
    specified_disease = serializers.BooleanField()
    disease_code = serializers.CharField()
    issued_on = serializers.DateField()
    valid_until = serializers.DateField(help_text="The last day it may be used.")
    uses = serializers.IntegerField()
    max_uses = serializers.IntegerField()
    uses_left = serializers.IntegerField()
    has_photo = serializers.SerializerMethodField()
    items = PrescriptionItemSerializer(many=True, source="items.all")

    def get_has_photo(self, obj: Prescription) -> bool:
        return bool(obj.photo)


class ScannedDiseaseSerializer(serializers.Serializer):
    disease_code = serializers.CharField()
    name_zh = serializers.CharField(source="disease_name_zh")
    name_en = serializers.CharField(source="disease_name_en")
    chosen_institution = PrescriptionInstitutionSerializer(
        allow_null=True, help_text="Where the disease is treated; null for the five diseases exempt from choosing."
    )
    valid_to = serializers.DateField()
    suspended_at_pharmacies = serializers.BooleanField(source="pharmacy_suspended")
    internet_hospital = serializers.BooleanField()


class ScannedSerializer(serializers.Serializer):
    results = PrescriptionRecordSerializer(many=True, help_text="The open prescriptions.")
    diseases = ScannedDiseaseSerializer(many=True, help_text="The recognised specified diseases in force today.")


class PrescriptionUseSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="The use's slot, 1..max_uses.")
    settlement_number = serializers.CharField()
    institution = PrescriptionInstitutionSerializer()
    service_date = serializers.DateField()
    stamped = serializers.BooleanField()
    archived = serializers.BooleanField()
    at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)


class PrescriptionDetailSerializer(serializers.Serializer):
    """One prescription and every use recorded on it (including uses given back)."""

    prescription = PrescriptionRecordSerializer(source="*")
    uses = PrescriptionUseSerializer(many=True, source="use_records.all")
