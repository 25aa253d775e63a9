"""The published outpatient rule sets (see shared DOMAIN.md), shipped as data.

340600 from 2023-10-01 follows one city's published rules. DOMAIN.md says an earlier version applied
from 2022-07-01 but gives no figures for it: the 2022 rule set below uses ASSUMED figures (lower
rates and caps), marked as such in its source, so that a date before and after the change differ.
340500 is the second region with its own numbers (residents 330 yuan/year, employees 1,200 yuan/year).
Dual-channel and medical-assistance figures are the published ones of another region and a province.
"""

import datetime as dt

from django.db import migrations

COMMON = {
    "resident_deductible_fen": 0,
    "resident_rate_bp": 6000,
    "resident_annual_cap_fen": 150_00,
    "resident_primary_only": True,
    "resident_pharmacy_covered": False,
    "employee_deductible_low_fen": 200_00,
    "employee_deductible_high_fen": 400_00,
    "employee_rate_low_bp": 6000,
    "employee_rate_high_bp": 5000,
    "retiree_bonus_bp": 1000,
    "employee_cap_active_fen": 2_000_00,
    "employee_cap_retired_fen": 3_000_00,
    "dual_deductible_fen": 500_00,
    "dual_rate_employee_bp": 7500,
    "dual_rate_resident_bp": 6000,
    "dual_cap_employee_fen": 400_000_00,
    "dual_cap_resident_fen": 130_000_00,
    "assist_annual_cap_fen": 50_000_00,
    "assist_extremely_poor_deductible_fen": 0,
    "assist_extremely_poor_rate_bp": 8000,
    "assist_minimum_allowance_deductible_fen": 0,
    "assist_minimum_allowance_rate_bp": 7500,
    "assist_fell_back_deductible_fen": 1_500_00,
    "assist_fell_back_rate_bp": 7000,
    "assist_monitored_deductible_fen": 3_000_00,
    "assist_monitored_rate_bp": 6000,
}

RULE_SETS = [
    (
        "340600",
        "淮北市",
        {
            "name": "职工门诊统筹（2022版）/ employees' outpatient pooling, 2022 version",
            "source": "ASSUMED figures: DOMAIN.md names this version but not its numbers",
            "effective_from": dt.date(2022, 7, 1),
            "effective_to": dt.date(2023, 9, 30),
            **COMMON,
            "employee_rate_low_bp": 5000,
            "employee_rate_high_bp": 4000,
            "employee_cap_active_fen": 1_500_00,
            "employee_cap_retired_fen": 2_000_00,
        },
    ),
    (
        "340600",
        "淮北市",
        {
            "name": "门诊保障（2023年10月起）/ outpatient rules from 2023-10-01",
            "source": "Published city rules, DOMAIN.md 'Outpatient reimbursement rules'",
            "effective_from": dt.date(2023, 10, 1),
            "effective_to": None,
            **COMMON,
        },
    ),
    (
        "340500",
        "马鞍山市",
        {
            "name": "门诊保障（另一统筹区）/ outpatient rules of the second region",
            "source": "DOMAIN.md: residents 330 yuan/year, employees 1,200 yuan/year",
            "effective_from": dt.date(2022, 1, 1),
            "effective_to": None,
            **COMMON,
            "resident_annual_cap_fen": 330_00,
            "employee_cap_active_fen": 1_200_00,
            "employee_cap_retired_fen": 1_200_00,
        },
    ),
]


def forwards(apps, schema_editor):
    Region = apps.get_model("institutions", "Region")
    PolicyRuleSet = apps.get_model("payments", "PolicyRuleSet")
    for code, name, fields in RULE_SETS:
        region, _ = Region.objects.get_or_create(code=code, defaults={"name": name})
        PolicyRuleSet.objects.get_or_create(region=region, effective_from=fields["effective_from"], defaults=fields)


def backwards(apps, schema_editor):
    PolicyRuleSet = apps.get_model("payments", "PolicyRuleSet")
    for code, _, fields in RULE_SETS:
        PolicyRuleSet.objects.filter(region__code=code, effective_from=fields["effective_from"]).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial"), ("institutions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
