"""API: find a designated hospital or pharmacy (定点医药机构查询). Public, as on the bureau's own pages."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import DomainError, define
from portal.institutions.directory import (
    KINDS,
    NAME_MAX,
    district,
    district_code,
    districts_of,
    institutions_search,
    kind_words,
)
from portal.institutions.models import Institution, Region
from portal.openapi import errors
from portal.signin.permissions import request_person

DIRECTORY_REGION_UNKNOWN = define("directory_region_unknown", 404, "未找到该统筹地区", "No such insurance region")
DIRECTORY_REGION_REQUIRED = define("directory_region_required", 400, "请选择地区", "Choose a region")


class DirectoryParams(serializers.Serializer):
    region = serializers.RegexField(r"^\d{6}$", required=False, help_text="6-digit region code.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=NAME_MAX, trim_whitespace=True)
    district = serializers.RegexField(r"^\d{6}$", required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=list(KINDS), required=False, allow_blank=True)
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=100_000)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=50)


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DirectoryInstitutionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Institution.Kind.values)
    level = serializers.ChoiceField(choices=Institution.Level.values)
    is_primary_level = serializers.BooleanField()
    specified_disease_pharmacy = serializers.BooleanField()
    dual_channel = serializers.BooleanField()
    district = CodeNameSerializer(allow_null=True, help_text="From the national institution code.")
    labels = serializers.ListField(child=serializers.CharField(), help_text="Kind, level and designations in words.")


class DirectorySerializer(serializers.Serializer):
    region = CodeNameSerializer()
    regions = CodeNameSerializer(many=True, help_text="Regions to choose from.")
    districts = CodeNameSerializer(many=True, help_text="Districts of the region's designated institutions.")
    kinds = CodeNameSerializer(many=True, help_text="Values of `kind`, with their names.")
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = DirectoryInstitutionSerializer(many=True)


def institution_body(institution: Institution) -> dict[str, Any]:
    code = district_code(institution.code)
    place = district(code) if code else None
    return {
        "code": institution.code,
        "name": institution.name,
        "kind": institution.kind,
        "level": institution.level,
        "is_primary_level": institution.is_primary_level,
        "specified_disease_pharmacy": institution.specified_disease_pharmacy,
        "dual_channel": institution.dual_channel,
        "district": {"code": place.code, "name": place.name.localized()} if place else None,
        "labels": [word.localized() for word in kind_words(institution)],
    }


class DirectoryView(APIView):
    """Designated institutions of a region (by default the signed-in resident's), by name, district and kind."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="institutions_directory",
        parameters=[
            OpenApiParameter("region", str, description="6-digit region code (default: my region)."),
            OpenApiParameter("name", str, description="Part of the name, up to 50 characters."),
            OpenApiParameter("district", str, description="6-digit district code (see `districts`)."),
            OpenApiParameter("kind", str, enum=list(KINDS), description="Kind of institution."),
            OpenApiParameter("page", int, description="From 1 (past the last: the last)."),
            OpenApiParameter("page_size", int, description="1-50, default 20."),
        ],
        responses=DirectorySerializer,
        extensions=errors(DIRECTORY_REGION_REQUIRED, DIRECTORY_REGION_UNKNOWN),
        tags=["institutions"],
        description="`directory_region_required` (400): signed out without `region`.",
    )
    def get(self, request: Request) -> Response:
        params = DirectoryParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        region: Region | None
        if data.get("region"):
            region = Region.objects.filter(code=data["region"], active=True).first()
            if region is None:
                raise DomainError(DIRECTORY_REGION_UNKNOWN)
        else:
            me = request_person(request) if request.user is not None else None
            if me is None:
                raise DomainError(DIRECTORY_REGION_REQUIRED)
            region = me.region
        found = institutions_search(
            region=region, name=data.get("name", ""), district_code=data.get("district", ""), kind=data.get("kind", "")
        )
        paginator = Paginator(found, data["page_size"])
        page = paginator.get_page(data["page"])
        body = {
            "region": {"code": region.code, "name": region.name},
            "regions": [{"code": r.code, "name": r.name} for r in Region.objects.filter(active=True)],
            "districts": [{"code": d.code, "name": d.name.localized()} for d in districts_of(region=region)],
            "kinds": [{"code": key, "name": words.localized()} for key, (words, _) in KINDS.items()],
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "results": [institution_body(i) for i in page.object_list],
        }
        return Response(DirectorySerializer(body).data)
