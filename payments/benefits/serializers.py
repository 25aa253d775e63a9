from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.benefits.engine import ITEM_CATEGORIES, Breakdown, Line, YearToDate
from portal.institutions.models import Institution
from portal.money import MoneySerializer, money
from portal.people.models import Person


@extend_schema_field(MoneySerializer)
class FenField(serializers.Field):
    """An amount held in integer fen, answered as :func:`portal.money.money` (``{"fen", "yuan"}``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: int) -> dict[str, int | str]:
        return money(int(value))


class FeeItemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    amount_fen = serializers.IntegerField(min_value=0, max_value=10_000_000_00, help_text="Integer fen (分), not yuan.")
    in_catalogue = serializers.BooleanField(default=True, help_text="Within the insurance catalogue (医保目录内).")
    dual_channel = serializers.BooleanField(default=False, help_text="A negotiated drug through the dual channel.")
    category = serializers.ChoiceField(
        choices=ITEM_CATEGORIES,
        default="drug",
        help_text="Check-ups and vaccines are not covered where the region's rules say so.",
    )


class EstimateRequestSerializer(serializers.Serializer):
    institution_code = serializers.CharField(
        max_length=20, required=False, help_text="Residents: where the care is. Terminals: their own, implied."
    )
    person_id = serializers.IntegerField(required=False, help_text="Residents: whose bill (default: my own).")
    id_number = serializers.CharField(
        max_length=18, required=False, write_only=True, help_text="Terminals: the patient's identity number."
    )
    service_date = serializers.DateField(required=False, help_text="Default: today.")
    items = FeeItemSerializer(many=True, allow_empty=False)
    with_prescription = serializers.BooleanField(
        default=False,
        help_text="At a pharmacy: bought with a designated institution's prescription (pooling needs one).",
    )
    emergency = serializers.BooleanField(default=False, help_text="Emergency care: covered off-site without filing.")
    disease_code = serializers.CharField(
        max_length=40,
        required=False,
        default="",
        help_text="A purchase for a recognised specified disease: priced by its group's rules.",
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    amount = MoneySerializer()
    message = serializers.CharField()


class LineSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    scheme = serializers.CharField(allow_null=True)
    rate_percent = serializers.CharField()
    amount = MoneySerializer()
    eligible = MoneySerializer()
    first_self_pay = MoneySerializer()
    deductible = MoneySerializer()
    covered = MoneySerializer()
    fund = MoneySerializer()
    assistance = MoneySerializer()
    resident = MoneySerializer()
    reasons = ReasonSerializer(many=True)


class EstimatePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    insurance_type = serializers.CharField(help_text="employee, retired or resident.")
    assistance_group = serializers.CharField(help_text="The medical-assistance group; none for most people.")


class EstimateInstitutionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="hospital, pharmacy or internet_hospital.")
    level = serializers.CharField(help_text="1, 2, 3 or unrated.")
    is_primary_level = serializers.BooleanField()


class RuleSetSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The stored rule set that priced the bill.")
    name = serializers.CharField(allow_blank=True)


class EstimateTotalsSerializer(serializers.Serializer):
    amount = MoneySerializer()
    eligible = MoneySerializer()
    deductible = MoneySerializer()
    covered = MoneySerializer()
    fund = MoneySerializer()
    assistance = MoneySerializer()
    resident = MoneySerializer()


class BucketUsageSerializer(serializers.Serializer):
    deductible = MoneySerializer()
    paid = MoneySerializer()


class YearToDateSerializer(serializers.Serializer):
    outpatient_deductible = MoneySerializer()
    outpatient_fund = MoneySerializer()
    dual_channel_deductible = MoneySerializer()
    dual_channel_fund = MoneySerializer()
    assistance_deductible = MoneySerializer()
    assistance_paid = MoneySerializer()
    buckets = serializers.DictField(
        child=BucketUsageSerializer(),
        help_text="Every year-to-date bucket by name (outpatient, dual_channel, assistance, specified:<group>).",
    )


class YearToDateChangeSerializer(serializers.Serializer):
    before = YearToDateSerializer()
    after = YearToDateSerializer()


class EstimateSerializer(serializers.Serializer):
    person = EstimatePersonSerializer()
    institution = EstimateInstitutionSerializer()
    service_date = serializers.DateField()
    rule_set = RuleSetSerializer()
    assumed = serializers.BooleanField(help_text="Priced with rule figures marked as assumed (not published).")
    assumed_message = serializers.CharField(allow_blank=True)
    rounding = serializers.CharField()
    items = LineSerializer(many=True)
    totals = EstimateTotalsSerializer()
    year_to_date = YearToDateChangeSerializer()


ROUNDING = {
    "zh": "每项费用的基金和救助支付额按分四舍五入，合计为各项之和。",
    "en": "Each item's fund and assistance shares are rounded half up to the fen; totals are sums of items.",
}


def _percent(rate_bp: int) -> str:
    return f"{rate_bp / 100:.0f}%" if rate_bp % 100 == 0 else f"{rate_bp / 100:.2f}%"


def _line(line: Line, english: bool) -> dict[str, Any]:
    return {
        "code": line.item.code,
        "name": line.item.name,
        "scheme": line.scheme,
        "rate_percent": _percent(line.rate_bp),
        "amount": money(line.item.amount_fen),
        "eligible": money(line.eligible_fen),
        "first_self_pay": money(line.first_self_pay_fen),
        "deductible": money(line.deductible_fen),
        "covered": money(line.covered_fen),
        "fund": money(line.fund_fen),
        "assistance": money(line.assistance_fen),
        "resident": money(line.resident_fen),
        "reasons": [{"code": r.code, "amount": money(r.amount_fen), "message": r.text(english)} for r in line.reasons],
    }


def _ytd(ytd: YearToDate, shown: set[str] | None = None) -> dict[str, Any]:
    """The three general buckets under their long-standing names, and every bucket (specified-disease
    groups included) under ``buckets``; ``shown``: only these specified-disease buckets (a terminal sees
    no disease the bill is not for)."""
    return {
        "outpatient_deductible": money(ytd.deductible("outpatient")),
        "outpatient_fund": money(ytd.paid("outpatient")),
        "dual_channel_deductible": money(ytd.deductible("dual_channel")),
        "dual_channel_fund": money(ytd.paid("dual_channel")),
        "assistance_deductible": money(ytd.deductible("assistance")),
        "assistance_paid": money(ytd.paid("assistance")),
        "buckets": {
            bucket: {"deductible": money(deductible), "paid": money(paid)}
            for bucket, (deductible, paid) in sorted(ytd.usage.items())
            if shown is None or not bucket.startswith("specified:") or bucket in shown
        },
    }


ASSUMED = {
    "zh": "本次测算使用的政策参数含假定数据，结果仅供参考。",
    "en": "Some rule figures used here are assumed, not published: the estimate is indicative.",
}


def estimate_body(
    *, breakdown: Breakdown, person: Person, institution: Institution, service_date: Any, all_buckets: bool = True
) -> dict[str, Any]:
    english = (translation.get_language() or "").startswith("en")
    shown = None if all_buckets else {line.scheme for line in breakdown.lines if line.scheme}
    return {
        "person": {
            "id": person.pk,
            "name": person.name,
            "id_number_masked": person.id_number_masked,
            "insurance_type": person.insurance_type,
            "assistance_group": person.assistance_group,
        },
        "institution": {
            "code": institution.code,
            "name": institution.name,
            "kind": institution.kind,
            "level": institution.level,
            "is_primary_level": institution.is_primary_level,
        },
        "service_date": service_date,
        "rule_set": {"id": breakdown.rule_set_id, "name": breakdown.rule_set_name},
        "assumed": breakdown.assumed,
        "assumed_message": (breakdown.assumed_note or ASSUMED["en" if english else "zh"]) if breakdown.assumed else "",
        "rounding": ROUNDING["en" if english else "zh"],
        "items": [_line(line, english) for line in breakdown.lines],
        "totals": {
            "amount": money(breakdown.total_fen),
            "eligible": money(breakdown.eligible_fen),
            "deductible": money(breakdown.deductible_fen),
            "covered": money(breakdown.covered_fen),
            "fund": money(breakdown.fund_fen),
            "assistance": money(breakdown.assistance_fen),
            "resident": money(breakdown.resident_fen),
        },
        "year_to_date": {"before": _ytd(breakdown.before, shown), "after": _ytd(breakdown.after, shown)},
    }
