"""Models of the payments app live in sub-packages by subject."""

from payments.benefits.models import BenefitUsage, PolicyRuleSet
from payments.settlement.models import (
    AuditRule,
    Settlement,
    SettlementFlag,
    SettlementItem,
    SettlementRefund,
    TraceCode,
)

__all__ = [
    "AuditRule",
    "BenefitUsage",
    "PolicyRuleSet",
    "Settlement",
    "SettlementFlag",
    "SettlementItem",
    "SettlementRefund",
    "TraceCode",
]
