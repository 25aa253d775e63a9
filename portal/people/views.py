"""The signed-in resident's own profile and account."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import NOT_FOUND, DomainError
from portal.ledger.models import LedgerAccount, LedgerEntry
from portal.ledger.selectors import personal_account
from portal.money import money
from portal.pagination import PAGE_PARAMETERS, page, paginated
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


class AccountEntriesView(APIView):
    """History of a personal account, newest first, a page at a time. Only its owner may read it."""

    permission_classes = [IsResident]

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(LedgerEntrySerializer)},
        tags=["resident"],
    )
    def get(self, request: Request, account_id: int) -> Response:
        person = _me(request)
        account = LedgerAccount.objects.filter(pk=account_id, kind=LedgerAccount.Kind.PERSONAL, person=person).first()
        if account is None:
            raise DomainError(NOT_FOUND)  # also for other people's accounts: do not reveal they exist
        # Newest first by id (ledger.selectors.account_entries, without its own slice: the page is the paginator's).
        entries = LedgerEntry.objects.filter(account_id=account.pk).select_related("transaction")
        return page(request, entries, LedgerEntrySerializer)
