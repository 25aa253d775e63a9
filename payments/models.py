"""Models of the payments app live in sub-packages by subject."""

from payments.benefits.models import BenefitUsage, PolicyRuleSet
from payments.online.models import (
    ChannelNotification,
    ChannelNotifyKey,
    HospitalEndpoint,
    HospitalEvent,
    OnlineOrder,
    OnlineOrderItem,
    OnlineRefund,
    OnlineRefundEvent,
    OrderEvent,
    PayAuthorization,
    ReconciliationDifference,
    ReconciliationRun,
)
from payments.settlement.models import (
    AuditRule,
    Settlement,
    SettlementEvent,
    SettlementFlag,
    SettlementItem,
    SettlementRefund,
    SettlementReviewEvent,
    TraceCode,
)

__all__ = [
    "AuditRule",
    "BenefitUsage",
    "ChannelNotification",
    "ChannelNotifyKey",
    "HospitalEndpoint",
    "HospitalEvent",
    "OnlineOrder",
    "OnlineOrderItem",
    "OnlineRefund",
    "OnlineRefundEvent",
    "OrderEvent",
    "PayAuthorization",
    "PolicyRuleSet",
    "ReconciliationDifference",
    "ReconciliationRun",
    "Settlement",
    "SettlementEvent",
    "SettlementFlag",
    "SettlementItem",
    "SettlementRefund",
    "SettlementReviewEvent",
    "TraceCode",
]
