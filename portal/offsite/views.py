"""Off-site filing API for residents (and guardians), and figures for staff."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import divisions
from portal.errors import DomainError
from portal.hygiene import SafeJSONParser
from portal.offsite import selectors, services
from portal.offsite.models import FilingCategory, OffsiteFiling
from portal.people.models import Person
from portal.signin.permissions import IsResident, IsStaff, request_person
from vouchers.family import may_show_code_of, people_visible_to


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


def _subject(me: Person, person_id: int | None) -> Person:
    """Myself, or a relative whose e-voucher I hold (a guardian files for them)."""
    if person_id is None or person_id == me.pk:
        return me
    relative = Person.objects.select_related("region").filter(pk=person_id).first()
    if relative is None or may_show_code_of(viewer=me, subject=relative) is None:
        raise DomainError(services.FILING_NOT_FOUND)
    return relative


def _filing(filing: OffsiteFiling) -> dict[str, Any]:
    return {
        "id": filing.pk,
        "person_id": filing.person_id,
        "category": filing.category.code,
        "category_label": filing.category.get_code_display(),
        "destination_code": filing.destination_code,
        "destination": _place(filing.destination_code),
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


def _place(code: str) -> dict[str, str] | None:
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


class PlaceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    province_code = serializers.CharField()
    province = serializers.CharField()
    province_en = serializers.CharField()


class DestinationsView(APIView):
    """Destinations by name: ``q`` is a city or province in Chinese or pinyin ("上海", "maanshan", "安徽"), or a
    province code (``province=340000``) for all its places. From the shipped national list (``source``)."""

    permission_classes = [IsResident]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="city or province name, zh or pinyin"),
            OpenApiParameter("province", str, description="a province code, e.g. 340000"),
        ],
        responses={
            200: inline_serializer(
                "Destinations", {"source": serializers.CharField(), "results": PlaceSerializer(many=True)}
            )
        },
        tags=["off-site filing"],
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "")[:40]
        province = request.query_params.get("province", "")[:6]
        places = divisions.in_province(province) if province else divisions.search(query)
        return Response({"source": divisions.SOURCE, "results": [_place(p.code) for p in places]})


class CategoriesView(APIView):
    """The categories of my region, and the commitment wording to accept."""

    permission_classes = [IsResident]

    @extend_schema(responses={200: None}, tags=["off-site filing"])
    def get(self, request: Request) -> Response:
        me = _me(request)
        english = (translation.get_language() or "").startswith("en")
        text = services.current_commitment()
        return Response(
            {
                "categories": [
                    {
                        "code": c.code,
                        "label": c.get_code_display(),
                        "who": c.eligible_insurance_types,
                        "commitment_allowed": c.commitment_allowed,
                        "validity_days": c.validity_days,
                        "outpatient_pooling": c.outpatient_pooling,
                        "min_days_before_change": c.min_days_before_change,
                        "may_file": me.insurance_type in c.eligible_insurance_types,
                    }
                    for c in FilingCategory.objects.filter(region_id=me.region_id, active=True)
                ],
                "commitment": {"version": text.version, "text": text.text_en if english else text.text_zh},
            }
        )


class FilingSerializer(serializers.Serializer):
    person_id = serializers.IntegerField(required=False, help_text="A relative I hold the code of.")
    category = serializers.ChoiceField(choices=FilingCategory.Code.choices)
    destination_code = serializers.CharField(max_length=12)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    admission_date = serializers.DateField(required=False, allow_null=True)
    contact_address = serializers.CharField(max_length=200)
    commitment_version = serializers.CharField(max_length=20, required=False, help_text="The wording accepted.")
    materials = serializers.FileField(required=False, help_text="Instead of a commitment: JPEG, PNG or PDF.")


class FilingsView(APIView):
    permission_classes = [IsResident]
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: None}, tags=["off-site filing"])
    def get(self, request: Request) -> Response:
        me = _me(request)
        people = people_visible_to(viewer=me)
        rows = OffsiteFiling.objects.filter(person_id__in=people).select_related("category", "commitment")
        return Response({"results": [_filing(f) for f in rows.prefetch_related("events")[:50]]})

    @extend_schema(request=FilingSerializer, responses={201: None}, tags=["off-site filing"])
    def post(self, request: Request) -> Response:
        data = FilingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        me = _me(request)
        filing = services.filing_create(
            person=_subject(me, values.get("person_id")),
            filed_by=me,
            category_code=values["category"],
            destination_code=values["destination_code"],
            start_date=values["start_date"],
            end_date=values.get("end_date"),
            contact_address=values["contact_address"],
            commitment_version=values.get("commitment_version"),
            materials=values.get("materials"),
            admission_date=values.get("admission_date"),
        )
        return Response(_filing(filing), status=status.HTTP_201_CREATED)


class ChangeSerializer(serializers.Serializer):
    end_date = serializers.DateField(required=False)
    contact_address = serializers.CharField(max_length=200, required=False)


def _mine(request: Request, filing_id: int) -> tuple[OffsiteFiling, Person]:
    me = _me(request)
    filing = OffsiteFiling.objects.select_related("category").filter(pk=filing_id).first()
    if filing is None or (filing.person_id != me.pk and may_show_code_of(viewer=me, subject=filing.person) is None):
        raise DomainError(services.FILING_NOT_FOUND)
    return filing, me


class FilingView(APIView):
    permission_classes = [IsResident]

    @extend_schema(request=ChangeSerializer, responses={200: None}, tags=["off-site filing"])
    def patch(self, request: Request, filing_id: int) -> Response:
        data = ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing, me = _mine(request, filing_id)
        return Response(_filing(services.filing_change(filing=filing, by=me, **data.validated_data)))


class FilingCancelView(APIView):
    permission_classes = [IsResident]

    @extend_schema(request=None, responses={200: None}, tags=["off-site filing"])
    def post(self, request: Request, filing_id: int) -> Response:
        filing, me = _mine(request, filing_id)
        return Response(_filing(services.filing_cancel(filing=filing, by=me)))


class FiguresView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(operation_id="staff_offsite_figures", responses={200: None}, tags=["staff"])
    def get(self, request: Request) -> Response:
        return Response(selectors.figures())
