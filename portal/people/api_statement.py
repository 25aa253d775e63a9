"""API: my personal-account statement (消费明细), filtered by year, month and kind, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.ledger.models import LedgerAccount, LedgerEntry
from portal.ledger.selectors import personal_account
from portal.ledger.statement import CATEGORIES, StatementFilter, StatementLine, month_range, statement_lines
from portal.ledger.statement import _annotated as annotated_entries
from portal.ledger.statement import _category_q as category_q
from portal.money import MoneySerializer, money
from portal.pagination import PAGE_PARAMETERS, Cursor, paginated
from portal.signin.permissions import IsResident, request_person

YEAR_MIN, YEAR_MAX = 2000, 2100
STATES = {"frozen", "released", "done"}


class StatementParams(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    month = serializers.IntegerField(required=False, min_value=1, max_value=12)
    kind = serializers.ChoiceField(choices=list(CATEGORIES), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "month" in attrs and "year" not in attrs:
            raise serializers.ValidationError({"month": "A month needs a year."})
        return attrs


class ForPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StatementLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    amount = MoneySerializer(help_text="Negative: taken from the account (also while only on hold).")
    balance_after = MoneySerializer(allow_null=True)
    category = serializers.ChoiceField(choices=list(CATEGORIES))
    category_label = serializers.CharField()
    state = serializers.ChoiceField(
        choices=sorted(STATES),
        help_text="`frozen`: on hold for a bill not yet paid; `released`: held, then given back; `done`: final.",
    )
    title = serializers.CharField(help_text="What happened, in the request's language.")
    bill = serializers.CharField(allow_blank=True, help_text="The online order or counter settlement number.")
    bill_kind = serializers.ChoiceField(choices=["", "order", "settlement"])
    for_person = ForPersonSerializer(allow_null=True, help_text="Family sharing: the relative it was paid for.")


StatementSerializer = paginated(
    StatementLineSerializer,
    name="Statement",
    has_personal_account=serializers.BooleanField(),
    balance=MoneySerializer(allow_null=True, help_text="Null: no personal account."),
)


def _entries(account: LedgerAccount, filters: StatementFilter) -> QuerySet[LedgerEntry]:
    """``statement_entries`` without its own paging (the paginator pages on the id, newest first)."""
    assert account.person_id is not None
    entries = annotated_entries(account.pk)
    if filters.year is not None:
        start, end = month_range(filters.year, filters.month)
        entries = entries.filter(created_at__gte=start, created_at__lt=end)
    if filters.category:
        entries = entries.filter(category_q(filters.category, account.person_id))
    return entries


def line_body(line: StatementLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "at": line.at,
        "amount": money(line.amount_fen),
        "balance_after": money(line.balance_after_fen) if line.balance_after_fen is not None else None,
        "category": line.category,
        "category_label": CATEGORIES[line.category].localized(),
        "state": line.state,
        "title": line.title.localized(),
        "bill": line.bill,
        "bill_kind": line.bill_kind,
        "for_person": {"id": line.for_person_id, "name": line.for_person_name} if line.for_person_id else None,
    }


class StatementView(APIView):
    """My personal account's entries in words: money on hold for an unpaid bill is marked ``frozen``, not paid."""

    permission_classes = [IsResident]

    @extend_schema(
        operation_id="me_statement",
        parameters=[
            OpenApiParameter("year", int, description=f"{YEAR_MIN}-{YEAR_MAX}: entries of that year (local time)."),
            OpenApiParameter("month", int, description="1-12, with `year`: entries of that month."),
            OpenApiParameter("kind", str, enum=list(CATEGORIES), description="Only entries of this kind."),
            *PAGE_PARAMETERS,
        ],
        responses=StatementSerializer,
        tags=["resident"],
        description="Errors: `invalid_input` (400) for a bad year, month, kind, cursor or limit.",
    )
    def get(self, request: Request) -> Response:
        person = request_person(request)
        assert person is not None  # IsResident
        params = StatementParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        account = personal_account(person=person)
        paginator = Cursor()
        body: dict[str, Any]
        if account is None:
            paginator.paginate_queryset(LedgerEntry.objects.none(), request)  # checks `cursor` and `limit` alike
            body = {"has_personal_account": False, "balance": None, "results": [], "next": None, "previous": None}
            return Response(StatementSerializer(body).data)
        filters = StatementFilter(year=data.get("year"), month=data.get("month"), category=data.get("kind", ""))
        entries = paginator.paginate_queryset(_entries(account, filters), request) or []
        lines = statement_lines(entries=list(entries), owner_id=person.pk)  # one look-up of bills for the page
        body = {
            "has_personal_account": True,
            "balance": money(account.balance),
            "results": [line_body(line) for line in lines],
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
        }
        return Response(StatementSerializer(body).data)
