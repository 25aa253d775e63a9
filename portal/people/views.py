"""The signed-in resident's own profile and account."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import NOT_FOUND, DomainError
from portal.ledger.models import LedgerAccount
from portal.ledger.selectors import account_entries, personal_account
from portal.money import money
from portal.people.models import Person
from portal.people.selectors import contribution_paid
from portal.people.serializers import LedgerEntrySerializer, MeSerializer
from portal.signin.permissions import IsResident, request_person


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None  # IsResident guarantees it
    return person


class MeView(APIView):
    permission_classes = [IsResident]

    @extend_schema(responses=MeSerializer, tags=["resident"])
    def get(self, request: Request) -> Response:
        person = _me(request)
        account = personal_account(person=person)
        body = {
            "id": person.pk,
            "name": person.name,
            "id_number_masked": person.id_number_masked,
            "phone_masked": person.masked_phone,
            "gender": person.gender,
            "birth_date": person.birth_date,
            "region": {"code": person.region.code, "name": person.region.name},
            "insurance_type": person.insurance_type,
            "insurance_type_label": person.get_insurance_type_display(),
            "assistance_group": person.assistance_group,
            "insured": person.insured,
            "contribution_paid_this_year": contribution_paid(person=person, year=timezone.localdate().year),
            "personal_account": {"id": account.pk, "balance": money(account.balance)} if account else None,
        }
        return Response(MeSerializer(body).data)


class EntriesPage(serializers.Serializer):
    results = LedgerEntrySerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class AccountEntriesView(APIView):
    """History of a personal account, newest first. Only its owner may read it."""

    permission_classes = [IsResident]

    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="Page: entries with an id below this."),
            OpenApiParameter("limit", int, description="1-100, default 20."),
        ],
        responses=EntriesPage,
        tags=["resident"],
    )
    def get(self, request: Request, account_id: int) -> Response:
        person = _me(request)
        account = LedgerAccount.objects.filter(pk=account_id, kind=LedgerAccount.Kind.PERSONAL, person=person).first()
        if account is None:
            raise DomainError(NOT_FOUND)  # also for other people's accounts: do not reveal they exist
        params = _PageParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        entries = list(
            account_entries(
                account_id=account.pk,
                before_id=params.validated_data.get("before"),
                limit=params.validated_data["limit"],
            )
        )
        next_before = entries[-1].pk if len(entries) == params.validated_data["limit"] else None
        return Response({"results": LedgerEntrySerializer(entries, many=True).data, "next_before": next_before})


class _PageParams(serializers.Serializer):
    before = serializers.IntegerField(required=False, min_value=1)
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)
