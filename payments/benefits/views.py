"""POST /api/v1/benefits/estimate: what a bill would cost the fund and the resident. Changes nothing."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.benefits.engine import Item, Visit
from payments.benefits.selectors import POLICY_MISSING, with_first_self_pay
from payments.benefits.serializers import EstimateRequestSerializer, EstimateSerializer, estimate_body
from payments.benefits.services import MAX_ITEMS, TOO_MANY_ITEMS, benefit_estimate
from payments.settlement.entitlement import DISEASE_RULES_MISSING, recognised
from portal.diseases.errors import SPECIFIED_NOT_RECOGNISED
from portal.errors import NOT_FOUND, DomainError, define
from portal.identity import ID_NUMBER_INVALID
from portal.institutions.models import Institution
from portal.openapi import errors
from portal.people.models import Person
from portal.people.selectors import TERMINAL_LOOKUP_UNKNOWN, person_read_by_terminal
from portal.signin.permissions import NOT_A_RESIDENT, IsResident, IsTerminal, request_person, request_terminal
from vouchers.family import person_visible_to

INSTITUTION_UNKNOWN = define("institution_unknown", 400, "医药机构 {code} 不存在", "Institution {code} is unknown")
DISEASE_NOT_FOR_TERMINALS = define(
    "disease_estimate_not_for_terminals",
    400,
    "终端测算不能指定病种；规定病种请在扫码后结算时凭处方办理",
    "Terminals cannot estimate for a disease: settle it after the scan, with the prescription",
)
FIELD_REQUIRED = define("field_required", 400, "缺少必填项：{field}", "Missing required field: {field}")


class IsResidentOrTerminal(BasePermission):
    error_codes = (NOT_A_RESIDENT,)  # documented on every operation that uses it (portal.openapi)

    def has_permission(self, request: Request, view: object) -> bool:
        if request_terminal(request) is not None:
            return IsTerminal().has_permission(request, view)
        return IsResident().has_permission(request, view)


def _resident_subject(request: Request, person_id: int | None) -> Person:
    """Myself, or a relative whose e-voucher I hold (亲情账户): their bill, their own benefits."""
    me = request_person(request)
    assert me is not None
    subject = person_visible_to(viewer=me, person_id=person_id)
    if subject is None:
        raise DomainError(NOT_FOUND)
    return subject


class BenefitEstimateView(APIView):
    permission_classes = [IsResidentOrTerminal]

    @extend_schema(
        request=EstimateRequestSerializer,
        responses={200: EstimateSerializer},
        extensions=errors(
            NOT_FOUND,  # a person_id that is neither mine nor a relative's whose e-voucher I hold
            TOO_MANY_ITEMS,
            FIELD_REQUIRED,
            INSTITUTION_UNKNOWN,
            DISEASE_NOT_FOR_TERMINALS,
            TERMINAL_LOOKUP_UNKNOWN,
            ID_NUMBER_INVALID,
            POLICY_MISSING,
            DISEASE_RULES_MISSING,
            SPECIFIED_NOT_RECOGNISED,
        ),
        tags=["benefits"],
    )
    def post(self, request: Request) -> Response:
        raw_items = request.data.get("items") if hasattr(request.data, "get") else None
        if isinstance(raw_items, list) and len(raw_items) > MAX_ITEMS:
            raise DomainError(TOO_MANY_ITEMS, max=MAX_ITEMS)
        data = EstimateRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        terminal = request_terminal(request)
        if terminal is not None:
            institution = terminal.institution
            if "id_number" not in values:
                raise DomainError(FIELD_REQUIRED, field="id_number")
            person = person_read_by_terminal(
                terminal=terminal,
                id_number=values["id_number"],
                purpose="benefits: estimate by terminal",
                fields=["insurance_type", "assistance_group", "contributions", "benefit_usage"],
            )
        else:
            person = _resident_subject(request, values.get("person_id"))
            if "institution_code" not in values:
                raise DomainError(FIELD_REQUIRED, field="institution_code")
            found_institution = (
                Institution.objects.select_related("region").filter(code=values["institution_code"]).first()
            )
            if found_institution is None:
                raise DomainError(INSTITUTION_UNKNOWN, code=values["institution_code"])
            institution = found_institution
        if terminal is not None and values["disease_code"]:
            # A terminal with only an identity number would learn whether the person has the disease.
            raise DomainError(DISEASE_NOT_FOR_TERMINALS)
        service_date = values.get("service_date") or timezone.localdate()
        items = with_first_self_pay(
            items=[Item(**item) for item in values["items"]], region_id=institution.region_id, on=service_date
        )
        visit = Visit(
            prescription=values["with_prescription"],
            emergency=values["emergency"],
            disease=recognised(person=person, code=values["disease_code"], on=service_date).rules
            if values["disease_code"]
            else None,
        )
        breakdown = benefit_estimate(
            person=person, institution=institution, service_date=service_date, items=items, visit=visit
        )
        body = estimate_body(
            breakdown=breakdown,
            person=person,
            institution=institution,
            service_date=service_date,
            all_buckets=terminal is None,
        )
        return Response(EstimateSerializer(body).data)
