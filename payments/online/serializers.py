"""What the online payment API answers: orders, refunds, splits and authorisations.

The views build every answer through these serializers, so the OpenAPI document is what clients get.
Services return model objects and small dataclasses (``orders.Split``); the shaping is here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.benefits.serializers import FenField
from payments.online.models import OnlineOrder, OnlineRefund, PayAuthorization
from payments.online.pay import Split
from portal.people.models import Person

# --- Orders --------------------------------------------------------------------------------------------


class OnlineOrderInstitutionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class OnlineOrderPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    id_number_masked = serializers.CharField()


class OnlineOrderLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    amount = FenField(source="amount_fen")


class OnlineOrderSplitSerializer(serializers.Serializer):
    """The order's split as recorded (at upload; updated to the one authorised when paying)."""

    total = FenField(source="total_fen")
    fund = FenField(source="fund_fen")
    assistance = FenField(source="assistance_fen")
    personal_account = FenField(source="personal_fen")
    cash = FenField(source="cash_fen")


class OnlineOrderRefundedSerializer(serializers.Serializer):
    """What succeeded refunds gave back, part by part."""

    fund = FenField()
    assistance = FenField()
    personal = FenField()
    cash = FenField()


def _refunded(order: OnlineOrder) -> dict[str, int]:
    """Lists prefetch ``refunds`` (no query per order)."""
    done = [r for r in order.refunds.all() if r.status == OnlineRefund.Status.SUCCEEDED]
    return {
        "fund": sum(r.fund_fen for r in done),
        "assistance": sum(r.assistance_fen for r in done),
        "personal": sum(r.personal_fen for r in done),
        "cash": sum(r.cash_fen for r in done),
    }


class OnlineOrderSerializer(serializers.Serializer):
    """An internet hospital's bill as residents and the hospital see it. Lists prefetch ``items`` and
    ``refunds`` and select ``institution`` and ``person``."""

    order = serializers.CharField(source="number")
    status = serializers.CharField(
        help_text="saved, pre_settled, awaiting_cash, cash_paid, settled, refunding, refunded_partly, refunded, "
        "closed, failed or needs_attention."
    )
    pay_mode = serializers.CharField(help_text="CASH_AND_INSURANCE, INSURANCE_ONLY or CASH_ONLY.")
    institution = OnlineOrderInstitutionSerializer()
    patient = OnlineOrderPatientSerializer(source="person")
    description = serializers.CharField()
    disease_code = serializers.CharField(help_text="A chronic follow-up's recognised disease; blank otherwise.")
    delivery_address = serializers.CharField(help_text="Where the drugs are delivered; blank when not.")
    items = OnlineOrderLineSerializer(many=True, source="items.all")
    split = OnlineOrderSplitSerializer(source="*")
    refunded = serializers.SerializerMethodField()
    h5_url = serializers.SerializerMethodField(help_text="Where the payer pays the cash part (awaiting cash).")
    expires_at = serializers.DateTimeField(help_text="The end of the time to pay.")
    settled_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OnlineOrderRefundedSerializer)
    def get_refunded(self, order: OnlineOrder) -> dict[str, Any]:
        return dict(OnlineOrderRefundedSerializer(_refunded(order)).data)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_h5_url(self, order: OnlineOrder) -> str | None:
        return order.h5_url or None


class OnlineRefundSerializer(serializers.Serializer):
    refund = serializers.CharField(source="number")
    order = serializers.CharField(source="order.number")
    status = serializers.CharField(help_text="processing, succeeded or failed.")
    fund = FenField(source="fund_fen")
    assistance = FenField(source="assistance_fen")
    personal_account = FenField(source="personal_fen")
    cash = FenField(source="cash_fen")
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class OnlineOrderWithRefundsSerializer(OnlineOrderSerializer):
    refunds = OnlineRefundSerializer(many=True, source="refunds.all")


class CannotPaySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The refusal's error code (e.g. specified_not_recognised).")
    message = serializers.CharField()


class OwnerShareSerializer(serializers.Serializer):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    amount = FenField(source="amount_fen")


class SplitNowSerializer(serializers.Serializer):
    """A split worked out now: the benefit engine, then the personal accounts (own, then family by owner),
    then cash."""

    total = FenField(source="total_fen")
    fund = FenField(source="fund_fen")
    assistance = FenField(source="assistance_fen")
    personal_account = FenField(source="personal_fen")
    personal_account_by_owner = OwnerShareSerializer(many=True)
    cash = FenField(source="cash_fen")


@dataclass(frozen=True)
class OwnerShare:
    person_id: int
    name: str
    amount_fen: int


@dataclass(frozen=True)
class SplitShown:
    """A :class:`Split` with the owners' names, as the payer sees it."""

    total_fen: int
    fund_fen: int
    assistance_fen: int
    personal_fen: int
    cash_fen: int
    personal_account_by_owner: list[OwnerShare]


def split_shown(split: Split) -> SplitShown:
    owners = dict(Person.objects.filter(pk__in=[p for p, _ in split.personal_by_owner]).values_list("pk", "name"))
    return SplitShown(
        total_fen=split.total_fen,
        fund_fen=split.fund_fen,
        assistance_fen=split.assistance_fen,
        personal_fen=split.personal_fen,
        cash_fen=split.cash_fen,
        personal_account_by_owner=[OwnerShare(pk, owners.get(pk, ""), fen) for pk, fen in split.personal_by_owner],
    )


class MyOrderSerializer(OnlineOrderWithRefundsSerializer):
    """One bill for the payer: while it can be paid (pre_settled), the split it would have now
    (``split_now``), or why it cannot be paid (``split_now`` null and ``cannot_pay``)."""

    split_now = SplitNowSerializer(
        required=False, allow_null=True, help_text="Only while pre_settled; null when it cannot be paid now."
    )
    cannot_pay = CannotPaySerializer(required=False, help_text="Only when split_now is null: why.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        order: OnlineOrder = instance["order"]
        body = OnlineOrderWithRefundsSerializer(order, context=self.context).data
        if "split_now" in instance:
            split = instance["split_now"]
            body["split_now"] = None if split is None else SplitNowSerializer(split).data
        if instance.get("cannot_pay") is not None:
            body["cannot_pay"] = CannotPaySerializer(instance["cannot_pay"]).data
        return dict(body)


class AuthorizationSerializer(serializers.Serializer):
    pay_auth_no = serializers.CharField(help_text="Pass it to POST .../pay within 5 minutes; used once.")
    expires_at = serializers.DateTimeField()
    split = SplitNowSerializer()


@dataclass(frozen=True)
class Authorization:
    pay_auth_no: str
    expires_at: dt.datetime
    split: SplitShown

    @classmethod
    def of(cls, raw: str, auth: PayAuthorization, split: Split) -> Authorization:
        return cls(raw, auth.expires_at, split_shown(split))


class NotifyEndpointAnswerSerializer(serializers.Serializer):
    url = serializers.URLField()
    secret = serializers.CharField(help_text="The signing secret of our notifications; shown this once.")


# --- The former service helpers (the web pages and older callers use these names) ------------------------


def order_body(order: OnlineOrder) -> dict[str, Any]:
    """The order as the API shows it. Lists prefetch ``items`` and ``refunds`` (no query per order)."""
    return dict(OnlineOrderSerializer(order).data)


def refund_body(refund: OnlineRefund) -> dict[str, Any]:
    return dict(OnlineRefundSerializer(refund).data)
