"""Counter settlement API for terminals, and receipts for residents."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.benefits.engine import ITEM_CATEGORIES
from payments.benefits.selectors import POLICY_MISSING
from payments.benefits.services import USAGE_RETURN_EXCEEDS
from payments.prescriptions.errors import PRESCRIPTION_STATE
from payments.settlement import services
from payments.settlement.audit import ItemInput, Prescription
from payments.settlement.entitlement import BACKING_ERRORS
from payments.settlement.models import Settlement
from payments.settlement.receipts import receipt_body
from payments.settlement.serializers import ReceiptSerializer, SettlementStateSerializer, SettlementSummarySerializer
from portal.errors import DomainError
from portal.family.deduction import REFUND_TOO_LARGE
from portal.institutions.models import Terminal
from portal.ledger.services import ALREADY_REVERSED, IDEMPOTENCY_CONFLICT, INSUFFICIENT_BALANCE
from portal.openapi import errors
from portal.pagination import PAGE_PARAMETERS, page, paginated
from portal.signin.permissions import IsResident, IsTerminal, request_person, request_terminal
from vouchers.family import people_visible_to

TRACE_CODE = re.compile(r"^\d{20}$")


class SettlementItemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=["drug", "service"])
    quantity = serializers.IntegerField(min_value=1, max_value=1000)
    unit_price_fen = serializers.IntegerField(min_value=0, max_value=100_000_00, help_text="Integer fen.")
    in_catalogue = serializers.BooleanField(default=True)
    dual_channel = serializers.BooleanField(default=False)
    days_supply = serializers.IntegerField(min_value=1, max_value=365, required=False)
    category = serializers.ChoiceField(
        choices=ITEM_CATEGORIES,
        required=False,
        help_text="Benefit category; default: drug for drugs, treatment for services. Check-ups and vaccines "
        "are not covered where the region's rules say so.",
    )
    trace_codes = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        default=list,
        help_text="Drugs: the 20-digit traceability code of every package (one per unit of quantity).",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        codes = data.get("trace_codes") or []
        if data["kind"] == "drug":
            if len(codes) != data["quantity"]:
                raise serializers.ValidationError(
                    {"trace_codes": "每盒药品须扫描一个追溯码 / one traceability code per package is required"}
                )
            bad = [c for c in codes if not TRACE_CODE.match(c)]
            if bad:
                raise serializers.ValidationError({"trace_codes": f"追溯码须为20位数字 / 20 digits: {bad}"})
        elif codes:
            raise serializers.ValidationError(
                {"trace_codes": "诊疗项目没有追溯码 / services have no traceability codes"}
            )
        return data


class PrescriptionSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    issued_on = serializers.DateField()
    specified_disease = serializers.BooleanField(default=False)


class PreviewSerializer(serializers.Serializer):
    scan_session_id = serializers.CharField(max_length=40)
    items = SettlementItemSerializer(many=True, allow_empty=False, max_length=200)  # type: ignore[call-arg]
    prescription = PrescriptionSerializer(
        required=False, help_text="Typed in from a paper prescription: audited, but no pooling without a photo."
    )
    prescription_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The electronic prescription (or the paper one recorded with its photo) settled against: "
        "one of GET /api/v1/scanner/sessions/{id}/prescriptions. Pooling at a pharmacy needs it.",
    )
    disease_code = serializers.CharField(
        max_length=40,
        required=False,
        default="",
        help_text="Hospitals: the recognised specified disease this care is for (a prescription names its own).",
    )
    emergency = serializers.BooleanField(
        default=False, help_text="Hospitals: emergency care (急诊抢救), covered off-site without a filing."
    )
    use_personal_account = serializers.BooleanField(default=True)

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        codes = [c for item in items for c in item.get("trace_codes", [])]
        if len(codes) != len(set(codes)):
            raise serializers.ValidationError("同一追溯码出现多次 / a traceability code appears twice")
        return items


class SettleSerializer(PreviewSerializer):
    idempotency_key = serializers.CharField(min_length=8, max_length=100)


class SettlementRefundInSerializer(serializers.Serializer):
    lines = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=200)
    idempotency_key = serializers.CharField(min_length=8, max_length=100)


def _inputs(data: dict[str, Any]) -> tuple[list[ItemInput], Prescription | None]:
    items = [
        ItemInput(
            line=n,
            code=i["code"],
            name=i["name"],
            kind=i["kind"],
            quantity=i["quantity"],
            unit_price_fen=i["unit_price_fen"],
            in_catalogue=i["in_catalogue"],
            dual_channel=i["dual_channel"],
            days_supply=i.get("days_supply"),
            trace_codes=tuple(i.get("trace_codes") or ()),
            category=i.get("category", ""),
        )
        for n, i in enumerate(data["items"], start=1)
    ]
    p = data.get("prescription")
    prescription = Prescription(p["number"], p["issued_on"], p["specified_disease"]) if p else None
    return items, prescription


def _as_sent(values: dict[str, Any]) -> dict[str, Any]:
    """The body for the idempotency hash without the newer fields left at their defaults: a retry of a
    settlement sent before they existed still matches its first attempt."""
    defaults = {"disease_code": "", "emergency": False}
    return {k: v for k, v in values.items() if not (k in defaults and v == defaults[k])}


def _backed(data: dict[str, Any]) -> services.Backed:
    return services.Backed(data.get("prescription_id"), data.get("disease_code", ""), data.get("emergency", False))


def _terminal(request: Request) -> Terminal:
    terminal = request_terminal(request)
    assert terminal is not None
    return terminal


# What the services behind each operation can refuse with (besides the generic codes: portal.openapi).
PREVIEW_ERRORS = (services.SCAN_SESSION_INVALID, POLICY_MISSING, *BACKING_ERRORS)
SETTLE_ERRORS = (
    *PREVIEW_ERRORS,
    services.SCAN_SESSION_USED,
    services.ALL_ITEMS_REFUSED,
    services.TRACE_CODE_SOLD,
    IDEMPOTENCY_CONFLICT,
    INSUFFICIENT_BALANCE,
)
REVERSAL_ERRORS = (
    services.SETTLEMENT_NOT_FOUND,
    services.REVERSAL_REFUSED,
    ALREADY_REVERSED,
    USAGE_RETURN_EXCEEDS,
    PRESCRIPTION_STATE,
)
REFUND_ERRORS = (
    services.SETTLEMENT_NOT_FOUND,
    services.REFUND_LINES_INVALID,
    IDEMPOTENCY_CONFLICT,
    REFUND_TOO_LARGE,
    INSUFFICIENT_BALANCE,
    USAGE_RETURN_EXCEEDS,
    PRESCRIPTION_STATE,
)


class PreviewView(APIView):
    """Pre-settlement: the split and the audit findings. Moves no money, does not use the scan."""

    permission_classes = [IsTerminal]

    @extend_schema(
        request=PreviewSerializer,
        responses={200: ReceiptSerializer},
        extensions=errors(*PREVIEW_ERRORS),
        tags=["scanner"],
    )
    def post(self, request: Request) -> Response:
        data = PreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items, prescription = _inputs(data.validated_data)
        quote = services.presettle(
            terminal=_terminal(request),
            scan_session_id=data.validated_data["scan_session_id"],
            items=items,
            prescription=prescription,
            use_personal_account=data.validated_data["use_personal_account"],
            backed=_backed(data.validated_data),
        )
        return Response(ReceiptSerializer(receipt_body(quote)).data)


class SettleView(APIView):
    """Settle: moves the money atomically and returns the receipt. Retries with the same key are safe."""

    permission_classes = [IsTerminal]

    @extend_schema(
        request=SettleSerializer,
        responses={201: ReceiptSerializer, 200: ReceiptSerializer},
        description="201: settled now. 200: the same idempotency key and body again: the first receipt.",
        extensions=errors(*SETTLE_ERRORS),
        tags=["scanner"],
    )
    def post(self, request: Request) -> Response:
        data = SettleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        items, prescription = _inputs(values)
        terminal = _terminal(request)
        settlement, created = services.settle(
            terminal=terminal,
            scan_session_id=values["scan_session_id"],
            idempotency_key=values["idempotency_key"],
            items=items,
            prescription=prescription,
            use_personal_account=values["use_personal_account"],
            body_hash=services.request_hash(_as_sent(values)),
            backed=_backed(values),
        )
        return Response(
            ReceiptSerializer(settlement.receipt).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _state(settlement: Settlement) -> dict[str, Any]:
    return SettlementStateSerializer(settlement).data


class TerminalSettlementView(APIView):
    permission_classes = [IsTerminal]

    @extend_schema(
        responses={200: SettlementStateSerializer},
        extensions=errors(services.SETTLEMENT_NOT_FOUND),
        tags=["scanner"],
    )
    def get(self, request: Request, number: str) -> Response:
        settlement = Settlement.objects.filter(number=number, institution_id=_terminal(request).institution_id).first()
        if settlement is None:
            raise DomainError(services.SETTLEMENT_NOT_FOUND)
        return Response(_state(settlement))


class ReversalView(APIView):
    permission_classes = [IsTerminal]

    @extend_schema(
        request=None,
        responses={200: SettlementStateSerializer},
        extensions=errors(*REVERSAL_ERRORS),
        tags=["scanner"],
    )
    def post(self, request: Request, number: str) -> Response:
        return Response(_state(services.reverse(terminal=_terminal(request), number=number)))


class RefundView(APIView):
    permission_classes = [IsTerminal]

    @extend_schema(
        request=SettlementRefundInSerializer,
        responses={201: SettlementStateSerializer},
        extensions=errors(*REFUND_ERRORS),
        tags=["scanner"],
    )
    def post(self, request: Request, number: str) -> Response:
        data = SettlementRefundInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refund_items(terminal=_terminal(request), number=number, **data.validated_data)
        settlement = Settlement.objects.get(number=number)
        return Response(_state(settlement), status=status.HTTP_201_CREATED)


def _visible_to(request: Request) -> list[int]:
    me = request_person(request)
    assert me is not None
    return people_visible_to(viewer=me)


class MySettlementsView(APIView):
    """My counter settlements (and those of relatives whose e-voucher I hold), newest first."""

    permission_classes = [IsResident]

    @extend_schema(
        operation_id="my_settlements_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(SettlementSummarySerializer)},
        tags=["resident"],
    )
    def get(self, request: Request) -> Response:
        rows = Settlement.objects.filter(person_id__in=_visible_to(request)).select_related("institution")
        return page(request, rows, SettlementSummarySerializer)


class MySettlementView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        responses={200: SettlementStateSerializer},
        extensions=errors(services.SETTLEMENT_NOT_FOUND),
        tags=["resident"],
    )
    def get(self, request: Request, number: str) -> Response:
        settlement = Settlement.objects.filter(number=number, person_id__in=_visible_to(request)).first()
        if settlement is None:
            raise DomainError(services.SETTLEMENT_NOT_FOUND)
        return Response(_state(settlement))
