"""The first pre-settlement audit rules (事前审核), as data. Staff add and change rules in the admin."""

from django.db import migrations

RULES = [
    (None, "max_days_supply", "refuse", {"max_days": 90},
     "超过长期处方最长 90 天用药量", "more than the 90 days' supply a long prescription allows"),
    (None, "max_days_supply", "review", {"max_days": 30, "unless_specified_disease": True},
     "超过 30 天用药量（非规定病种长期处方）", "more than 30 days' supply without a specified-disease prescription"),
    (None, "repeat_before_runout", "review", {"tolerance_days": 7},
     "上次购买的同一药品尚未用完", "the same drug was bought before and should not have run out yet"),
    (None, "specified_disease_prescription", "refuse", {"max_uses": 3, "valid_months": 3},
     "规定病种处方已使用 3 次或超过 3 个月", "the specified-disease prescription was used 3 times or is older than 3 months"),
    (None, "institution_kind", "refuse", {"institution_kinds": ["pharmacy"], "item_kinds": ["service"]},
     "零售药店不能结算诊疗服务项目", "pharmacies cannot settle medical services"),
    ("340600", "duplicate_trace_code", "refuse", {},
     "该追溯码的药品已销售，疑似回流药或串换药", "this traceability code was already sold: possibly a resold or swapped drug"),
    ("340500", "duplicate_trace_code", "review", {},
     "该追溯码的药品已销售，转人工核查", "this traceability code was already sold: sent for manual review"),
]


def forwards(apps, schema_editor):
    Region = apps.get_model("institutions", "Region")
    AuditRule = apps.get_model("payments", "AuditRule")
    for region_code, kind, action, params, zh, en in RULES:
        region = Region.objects.filter(code=region_code).first() if region_code else None
        AuditRule.objects.get_or_create(
            region=region, kind=kind, action=action,
            defaults={"params": params, "message_zh": zh, "message_en": en},
        )


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_settlement"), ("payments", "0002_published_rule_sets")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
