"""Answers of the off-site filing API (the views build their bodies through these, so the OpenAPI document is
what the API answers)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from portal import divisions
from portal.offsite.models import OffsiteFiling


class PlaceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    province_code = serializers.CharField()
    province = serializers.CharField()
    province_en = serializers.CharField()


def place_body(code: str) -> dict[str, str] | None:
    found = divisions.place(code)
    if found is None:
        return None
    return {
        "code": found.code,
        "name": found.name_zh,
        "name_en": found.name_en,
        "province_code": found.province_code,
        "province": found.province_zh,
        "province_en": found.province_en,
    }


class DestinationsSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="The national list the places come from.")  # type: ignore[assignment]
    results = PlaceSerializer(many=True)


class FilingCategorySerializer(serializers.Serializer):
    # Plain strings: the values are those of the filing request's `category` enum (a second enum of the same
    # values, or another enum named "category", would clash in the document).
    code = serializers.CharField(help_text="A value of `category`.")
    label = serializers.CharField()  # type: ignore[assignment]  # a member, not Field.label
    who = serializers.ListField(child=serializers.CharField(), help_text="Insurance types that may file.")
    commitment_allowed = serializers.BooleanField()
    validity_days = serializers.IntegerField(allow_null=True, help_text="Null: valid until cancelled.")
    outpatient_pooling = serializers.BooleanField()
    min_days_before_change = serializers.IntegerField()
    may_file = serializers.BooleanField(help_text="My insurance type is among `who`.")


class FilingCommitmentSerializer(serializers.Serializer):
    version = serializers.CharField()
    text = serializers.CharField(help_text="In the request's language.")


class FilingCategoriesSerializer(serializers.Serializer):
    categories = FilingCategorySerializer(many=True)
    commitment = FilingCommitmentSerializer(help_text="The wording to accept instead of documents.")


# "from" is a Python keyword: the class is built with type() so the member keeps its name.
FilingEventSerializer: type[serializers.Serializer] = type(
    "FilingEventSerializer",
    (serializers.Serializer,),
    {
        "at": serializers.DateTimeField(),
        "from": serializers.CharField(allow_blank=True, help_text="Empty for the first event."),
        "to": serializers.CharField(),
        "by": serializers.CharField(help_text="resident, guardian, staff or system"),
        "note": serializers.CharField(allow_blank=True),
    },
)


class OffsiteFilingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    category = serializers.CharField(help_text="The category's code (see `/offsite/categories`).")
    category_label = serializers.CharField()
    destination_code = serializers.CharField()
    destination = PlaceSerializer(allow_null=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    contact_address = serializers.CharField()
    basis = serializers.ChoiceField(choices=OffsiteFiling.Basis.choices)
    commitment_version = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=OffsiteFiling.Status.choices)
    verification = serializers.ChoiceField(choices=OffsiteFiling.Verification.choices)
    ended_on = serializers.DateField(allow_null=True)
    consequence = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    history = FilingEventSerializer(many=True)


def filing_body(filing: OffsiteFiling) -> dict[str, Any]:
    return {
        "id": filing.pk,
        "person_id": filing.person_id,
        "category": filing.category.code,
        "category_label": filing.category.get_code_display(),
        "destination_code": filing.destination_code,
        "destination": place_body(filing.destination_code),
        "start_date": filing.start_date,
        "end_date": filing.end_date,
        "contact_address": filing.contact_address,
        "basis": filing.basis,
        "commitment_version": filing.commitment.version if filing.commitment else None,
        "status": filing.status,
        "verification": filing.verification,
        "ended_on": filing.ended_on,
        "consequence": filing.consequence,
        "created_at": filing.created_at,
        "history": [
            {"at": e.at, "from": e.from_status, "to": e.to_status, "by": e.by, "note": e.note}
            for e in filing.events.all()
        ],
    }


def filing_data(filing: OffsiteFiling) -> Any:
    """One filing, rendered."""
    return OffsiteFilingSerializer(filing_body(filing)).data


class FiguresRowSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    commitment = serializers.IntegerField(help_text="Filed with a signed commitment.")
    selected = serializers.IntegerField(help_text="Selected for verification.")
    verified = serializers.IntegerField()
    verified_true = serializers.IntegerField()
    revoked = serializers.IntegerField()
    approved = serializers.IntegerField(help_text="Filed with documents and approved.")
    rejected = serializers.IntegerField()


class OffsiteFiguresSerializer(serializers.Serializer):
    by_category = serializers.DictField(child=FiguresRowSerializer(), help_text="By category code.")
    by_destination = serializers.DictField(child=FiguresRowSerializer(), help_text="By destination code.")
