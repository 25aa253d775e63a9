"""API: my insurance status and contribution record by year (参保信息)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import Bilingual, localized_label
from portal.money import MoneySerializer, money
from portal.people.insurance import ContributionYear, InsuranceStatus, Lapse, contribution_years, insurance_status
from portal.signin.permissions import IsResident, request_person

YEAR_STATUS = {
    "paid": Bilingual("已缴费", "Paid"),
    "unpaid": Bilingual("未缴费", "Not paid"),
    "no_record": Bilingual("无缴费记录", "No record"),
}


def enrolment_words(insured: bool) -> Bilingual:
    return Bilingual("参保缴费正常", "Insured") if insured else Bilingual("暂停参保", "Insurance suspended")


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LapseSerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True, help_text="Empty: still without contributions.")
    reason = serializers.CharField(allow_blank=True, help_text="As recorded by the bureau (Chinese).")


class ContributionYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.ChoiceField(choices=list(YEAR_STATUS))
    status_label = serializers.CharField()
    paid_on = serializers.DateField(allow_null=True)
    lapses = LapseSerializer(many=True, help_text="Periods without contributions (停缴期间) within the year.")
    allocated = MoneySerializer(help_text="Paid into the personal account in the year (个人账户划入).")
    allocations = serializers.IntegerField(help_text="How many allocations made up that sum.")


class InsuranceSerializer(serializers.Serializer):
    insured = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["insured", "suspended"])
    status_label = serializers.CharField()
    insurance_type = serializers.CharField()
    insurance_type_label = serializers.CharField()
    region = RegionRefSerializer(help_text="The pooling region (统筹区).")
    assistance_group = serializers.CharField()
    assistance_group_label = serializers.CharField()
    covered_today = serializers.BooleanField(
        help_text="Insured, this year's contributions paid, and today in no period without contributions."
    )
    lapse_now = LapseSerializer(allow_null=True)
    has_personal_account = serializers.BooleanField()
    years = ContributionYearSerializer(many=True)
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


def lapse_body(lapse: Lapse | None) -> dict[str, Any] | None:
    if lapse is None:
        return None
    return {"starts_on": lapse.starts_on, "ends_on": lapse.ends_on, "reason": lapse.reason}


def year_body(year: ContributionYear) -> dict[str, Any]:
    return {
        "year": year.year,
        "status": year.status,
        "status_label": YEAR_STATUS[year.status].localized(),
        "paid_on": year.paid_on,
        "lapses": [lapse_body(x) for x in year.lapses],
        "allocated": money(year.allocated_fen),
        "allocations": year.allocations,
    }


def insurance_body(status: InsuranceStatus, page: int) -> dict[str, Any]:
    person = status.person
    years = contribution_years(person=person, page=page)
    return {
        "insured": status.insured,
        "status": "insured" if status.insured else "suspended",
        "status_label": enrolment_words(status.insured).localized(),
        "insurance_type": person.insurance_type,
        "insurance_type_label": localized_label(person.get_insurance_type_display()),
        "region": {"code": person.region.code, "name": person.region.name},
        "assistance_group": person.assistance_group,
        "assistance_group_label": localized_label(person.get_assistance_group_display()),
        "covered_today": status.covered_today,
        "lapse_now": lapse_body(status.lapse_now),
        "has_personal_account": status.has_personal_account,
        "years": [year_body(y) for y in years.years],
        "page": years.page,
        "pages": years.pages,
    }


class _Params(serializers.Serializer):
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10_000)


class InsuranceView(APIView):
    """My enrolment and my contributions year by year, newest first (10 years a page)."""

    permission_classes = [IsResident]

    @extend_schema(
        operation_id="me_insurance",
        parameters=[OpenApiParameter("page", int, description="Page of years, from 1 (past the last: the last).")],
        responses=InsuranceSerializer,
        tags=["resident"],
        description="Errors: `invalid_input` (400) for a page that is not a positive number.",
    )
    def get(self, request: Request) -> Response:
        person = request_person(request)
        assert person is not None  # IsResident
        params = _Params(data=request.query_params)
        params.is_valid(raise_exception=True)
        body = insurance_body(insurance_status(person=person), params.validated_data["page"])
        return Response(InsuranceSerializer(body).data)
