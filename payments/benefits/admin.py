from django.contrib import admin

from payments.benefits.models import BenefitUsage, PolicyRuleSet
from portal.ledger.admin import ReadOnlyAdmin


@admin.register(PolicyRuleSet)
class PolicyRuleSetAdmin(admin.ModelAdmin):
    """Staff edit regional rules here; validation refuses bad rates, negative caps and overlapping periods."""

    list_display = ["region", "name", "effective_from", "effective_to"]
    list_filter = ["region"]
    fieldsets = [
        (None, {"fields": ["region", "name", "source", "effective_from", "effective_to"]}),
        (
            "城乡居民普通门诊 / residents' general outpatient",
            {
                "fields": [
                    "resident_deductible_fen",
                    "resident_rate_bp",
                    "resident_annual_cap_fen",
                    "resident_primary_only",
                    "resident_pharmacy_covered",
                ]
            },
        ),
        (
            "职工门诊统筹 / employees' outpatient pooling",
            {
                "fields": [
                    "employee_deductible_low_fen",
                    "employee_deductible_high_fen",
                    "employee_rate_low_bp",
                    "employee_rate_high_bp",
                    "retiree_bonus_bp",
                    "employee_cap_active_fen",
                    "employee_cap_retired_fen",
                ]
            },
        ),
        (
            "双通道谈判药 / dual-channel negotiated drugs",
            {
                "fields": [
                    "dual_deductible_fen",
                    "dual_rate_employee_bp",
                    "dual_rate_resident_bp",
                    "dual_cap_employee_fen",
                    "dual_cap_resident_fen",
                ]
            },
        ),
        (
            "医疗救助 / medical assistance",
            {
                "fields": [
                    "assist_annual_cap_fen",
                    "assist_extremely_poor_deductible_fen",
                    "assist_extremely_poor_rate_bp",
                    "assist_minimum_allowance_deductible_fen",
                    "assist_minimum_allowance_rate_bp",
                    "assist_fell_back_deductible_fen",
                    "assist_fell_back_rate_bp",
                    "assist_monitored_deductible_fen",
                    "assist_monitored_rate_bp",
                ]
            },
        ),
    ]


@admin.register(BenefitUsage)
class BenefitUsageAdmin(ReadOnlyAdmin):
    list_display = ["person", "year", "scheme", "deductible_fen", "paid_fen", "reference", "is_reversal"]
    list_filter = ["scheme", "year", "is_reversal"]
    search_fields = ["reference"]
    raw_id_fields = ["person"]
