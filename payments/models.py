"""Models of the payments app live in sub-packages by subject."""

from payments.benefits.models import BenefitUsage, PolicyRuleSet

__all__ = ["BenefitUsage", "PolicyRuleSet"]
