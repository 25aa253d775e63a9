"""API: my personal-account statement (消费明细), filtered by year, month and kind, newest first."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.ledger.selectors import personal_account
from portal.ledger.statement import CATEGORIES, StatementFilter, StatementLine, statement_entries, statement_lines
from portal.money import MoneySerializer, money
from portal.signin.permissions import IsResident, request_person

YEAR_MIN, YEAR_MAX = 2000, 2100
STATES = {"frozen", "released", "done"}


class StatementParams(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    month = serializers.IntegerField(required=False, min_value=1, max_value=12)
    kind = serializers.ChoiceField(choices=list(CATEGORIES), required=False)
    before = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)

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


class StatementSerializer(serializers.Serializer):
    has_personal_account = serializers.BooleanField()
    balance = MoneySerializer(allow_null=True)
    results = StatementLineSerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True, help_text="Pass as `before` for the next page.")


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
            OpenApiParameter("before", int, description="Page: entries with an id below this (`next_before`)."),
            OpenApiParameter("limit", int, description="1-100, default 20."),
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
        if account is None:
            return Response(
                StatementSerializer(
                    {"has_personal_account": False, "balance": None, "results": [], "next_before": None}
                ).data
            )
        filters = StatementFilter(year=data.get("year"), month=data.get("month"), category=data.get("kind", ""))
        entries = statement_entries(account=account, filters=filters, before_id=data.get("before"), limit=data["limit"])
        lines = statement_lines(entries=entries, owner_id=person.pk)
        body = {
            "has_personal_account": True,
            "balance": money(account.balance),
            "results": [line_body(line) for line in lines],
            "next_before": entries[-1].pk if len(entries) == data["limit"] else None,
        }
        return Response(StatementSerializer(body).data)
