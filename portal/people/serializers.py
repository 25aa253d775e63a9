from __future__ import annotations

from typing import Any

from rest_framework import serializers

from portal.ledger.models import LedgerEntry
from portal.money import MoneySerializer, money


class AccountSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    balance = MoneySerializer()


class MeRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    gender = serializers.CharField()
    birth_date = serializers.DateField()
    region = MeRegionSerializer(help_text="The pooling region (统筹区).")
    insurance_type = serializers.CharField()
    insurance_type_label = serializers.CharField()
    assistance_group = serializers.CharField()
    insured = serializers.BooleanField()
    contribution_paid_this_year = serializers.BooleanField()
    personal_account = AccountSummarySerializer(allow_null=True, help_text="Null: no personal account.")


class LedgerEntrySerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    reference = serializers.CharField(source="transaction.reference")
    at = serializers.DateTimeField(source="transaction.created_at")

    class Meta:
        model = LedgerEntry
        fields = ["id", "at", "kind", "memo", "reference", "amount", "balance_after"]

    def get_amount(self, entry: LedgerEntry) -> dict[str, Any]:
        return money(entry.amount)

    def get_balance_after(self, entry: LedgerEntry) -> dict[str, Any] | None:
        return money(entry.balance_after) if entry.balance_after is not None else None
