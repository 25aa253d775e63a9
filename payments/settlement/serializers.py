"""What the counter settlement API answers: the receipt (payments.settlement.receipts), the settlement as
it stands now, and the residents' list. The views build every answer through these serializers, so the
OpenAPI document is what clients get."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.benefits.serializers import FenField
from payments.settlement.models import Settlement
from portal.money import MoneySerializer


class ReceiptReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Why the fund or assistance does not pay this part (engine reason).")
    amount = MoneySerializer()
    message_zh = serializers.CharField()
    message_en = serializers.CharField()


class ReceiptItemSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    amount = MoneySerializer()
    refused = serializers.BooleanField(help_text="Refused by the pre-settlement audit: not sold, not priced.")
    fund = MoneySerializer()
    assistance = MoneySerializer()
    resident = MoneySerializer()
    reasons = ReceiptReasonSerializer(many=True)
    trace_codes = serializers.ListField(child=serializers.CharField())


class ReceiptPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()


class ReceiptTotalsSerializer(serializers.Serializer):
    amount = MoneySerializer()
    fund = MoneySerializer()
    assistance = MoneySerializer()
    personal_account = MoneySerializer()
    cash = MoneySerializer()


class ReceiptOwnerSerializer(serializers.Serializer):
    person_id = serializers.IntegerField()
    name = serializers.CharField(help_text="Masked.")
    amount = MoneySerializer()


class FindingSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The audit rule's kind.")
    line = serializers.IntegerField(help_text="The item it is about.")
    action = serializers.CharField(help_text="refuse (the item is not sold) or review (flagged for staff).")
    message = serializers.CharField()


class ReceiptSerializer(serializers.Serializer):
    """The receipt: of a preview (``settlement`` null, ``status`` preview), or as stored at settlement."""

    settlement = serializers.CharField(allow_null=True, help_text="The settlement number; null for a preview.")
    status = serializers.CharField(
        help_text="preview; settled in a receipt; now: settled, partly_refunded, refunded or reversed."
    )
    person = ReceiptPersonSerializer()
    items = ReceiptItemSerializer(many=True)
    totals = ReceiptTotalsSerializer()
    personal_account_by_owner = ReceiptOwnerSerializer(many=True)
    review = serializers.CharField(help_text="none or flagged (for staff review); now also cleared or violation.")
    assumed = serializers.BooleanField(
        default=False, help_text="Priced with rule figures marked as assumed (not published)."
    )
    findings = FindingSerializer(many=True, default=list)


class SettlementInstitutionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SettlementRefundSerializer(serializers.Serializer):
    lines = serializers.ListField(child=serializers.IntegerField())
    fund = FenField(source="fund_fen")
    assistance = FenField(source="assistance_fen")
    personal_account = FenField(source="personal_account_fen")
    cash = FenField(source="cash_fen")
    at = serializers.DateTimeField(source="created_at")


class SettlementStateSerializer(ReceiptSerializer):
    """The receipt as stored, with the settlement as it stands now: status, review, reversal, refunds."""

    created_at = serializers.DateTimeField()
    reversed_at = serializers.DateTimeField(allow_null=True)
    institution = SettlementInstitutionSerializer()
    refunds = SettlementRefundSerializer(many=True)

    def to_representation(self, instance: Settlement) -> dict[str, Any]:
        return {
            **ReceiptSerializer(instance.receipt).data,
            "status": instance.status,
            "review": instance.review,
            "created_at": self.fields["created_at"].to_representation(instance.created_at),
            "reversed_at": instance.reversed_at and self.fields["reversed_at"].to_representation(instance.reversed_at),
            "institution": SettlementInstitutionSerializer(instance.institution).data,
            "refunds": SettlementRefundSerializer(instance.refunds.all(), many=True).data,
        }


class SettlementSummarySerializer(serializers.Serializer):
    """One line of the residents' list of counter settlements."""

    settlement = serializers.CharField(source="number")
    status = serializers.CharField()
    institution = serializers.CharField(source="institution.name")
    person_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    total = FenField(source="total_fen")
    fund = serializers.SerializerMethodField(help_text="The pooled fund's and medical assistance's shares together.")
    personal_account = FenField(source="personal_account_fen")
    cash = FenField(source="cash_fen")

    @extend_schema_field(MoneySerializer)
    def get_fund(self, settlement: Settlement) -> dict[str, int | str]:
        return FenField().to_representation(settlement.fund_fen + settlement.assistance_fen)
