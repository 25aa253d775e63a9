"""Off-site filing API for residents (and guardians), and figures for staff."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import divisions
from portal.errors import DomainError
from portal.family.proofs import PROOF_INVALID, PROOF_MISSING, PROOF_UNSAFE
from portal.hygiene import SafeJSONParser
from portal.offsite import selectors, services
from portal.offsite.models import FilingCategory, OffsiteFiling
from portal.offsite.serializers import (
    DestinationsSerializer,
    FilingCategoriesSerializer,
    OffsiteFiguresSerializer,
    OffsiteFilingSerializer,
    filing_data,
    place_body,
)
from portal.openapi import errors
from portal.pagination import PAGE_PARAMETERS, page, paginated
from portal.people.models import Person
from portal.signin.permissions import IsResident, IsStaff, request_person
from vouchers.family import may_act_for, people_visible_to, person_visible_to

TAGS = ["off-site filing"]


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


def _subject(me: Person, person_id: int | None) -> Person:
    """Myself, or a relative whose e-voucher I hold (a guardian files for them)."""
    subject = person_visible_to(viewer=me, person_id=person_id)
    if subject is None:
        raise DomainError(services.FILING_NOT_FOUND)
    return subject


class DestinationsView(APIView):
    """Destinations by name: ``q`` is a city or province in Chinese or pinyin ("上海", "maanshan", "安徽"), or a
    province code (``province=340000``) for all its places. From the shipped national list (``source``)."""

    permission_classes = [IsResident]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="city or province name, zh or pinyin"),
            OpenApiParameter("province", str, description="a province code, e.g. 340000"),
        ],
        responses={200: DestinationsSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "")[:40]
        province = request.query_params.get("province", "")[:6]
        places = divisions.in_province(province) if province else divisions.search(query)
        body = {"source": divisions.SOURCE, "results": [place_body(p.code) for p in places]}
        return Response(DestinationsSerializer(body).data)


class CategoriesView(APIView):
    """The categories of my region, and the commitment wording to accept."""

    permission_classes = [IsResident]

    @extend_schema(responses={200: FilingCategoriesSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        me = _me(request)
        english = (translation.get_language() or "").startswith("en")
        text = services.current_commitment()
        return Response(
            FilingCategoriesSerializer(
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
            ).data
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

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(OffsiteFilingSerializer)},
        tags=TAGS,
        description="My filings and those of the relatives whose code I hold, newest first, a page at a time.",
    )
    def get(self, request: Request) -> Response:
        me = _me(request)
        people = people_visible_to(viewer=me)
        rows = OffsiteFiling.objects.filter(person_id__in=people).select_related("category", "commitment")
        return page(request, rows.prefetch_related("events"), filing_data)

    @extend_schema(
        request=FilingSerializer,
        responses={201: OffsiteFilingSerializer},
        extensions=errors(
            services.FILING_NOT_FOUND,
            services.CATEGORY_UNKNOWN,
            services.NOT_ELIGIBLE,
            services.DESTINATION_INVALID,
            services.DESTINATION_HOME,
            services.DATES_INVALID,
            services.COMMITMENT_NOT_ALLOWED,
            services.COMMITMENT_OUTDATED,
            services.BASIS_MISSING,
            services.OVERLAP,
            PROOF_INVALID,
            PROOF_MISSING,
            PROOF_UNSAFE,
        ),
        tags=TAGS,
    )
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
        return Response(filing_data(filing), status=status.HTTP_201_CREATED)


class ChangeSerializer(serializers.Serializer):
    end_date = serializers.DateField(required=False)
    contact_address = serializers.CharField(max_length=200, required=False)


def _mine(request: Request, filing_id: int) -> tuple[OffsiteFiling, Person]:
    me = _me(request)
    filing = OffsiteFiling.objects.select_related("category").filter(pk=filing_id).first()
    if filing is None or not may_act_for(viewer=me, person_id=filing.person_id):
        raise DomainError(services.FILING_NOT_FOUND)
    return filing, me


class FilingView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        request=ChangeSerializer,
        responses={200: OffsiteFilingSerializer},
        extensions=errors(services.FILING_NOT_FOUND, services.FILING_STATE, services.TOO_EARLY, services.DATES_INVALID),
        tags=TAGS,
    )
    def patch(self, request: Request, filing_id: int) -> Response:
        data = ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing, me = _mine(request, filing_id)
        return Response(filing_data(services.filing_change(filing=filing, by=me, **data.validated_data)))


class FilingCancelView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        request=None,
        responses={200: OffsiteFilingSerializer},
        extensions=errors(services.FILING_NOT_FOUND, services.FILING_STATE, services.TOO_EARLY),
        tags=TAGS,
    )
    def post(self, request: Request, filing_id: int) -> Response:
        filing, me = _mine(request, filing_id)
        return Response(filing_data(services.filing_cancel(filing=filing, by=me)))


class FiguresView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(operation_id="staff_offsite_figures", responses={200: OffsiteFiguresSerializer}, tags=["staff"])
    def get(self, request: Request) -> Response:
        return Response(OffsiteFiguresSerializer(selectors.figures()).data)
