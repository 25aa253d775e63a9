"""General outpatient pooling (普通门诊统筹): employees' and residents' own rules, one bucket.

- Employees: deductible 200/400 yuan by level (accumulated across levels), 60%/50%, retirees +10 points,
  caps 2,000/3,000 (one city's numbers; all from the rule set). Pharmacies follow the level-1 rules, and
  only for drugs bought with a designated institution's prescription (门诊处方外配).
- Residents: primary-level institutions only, pharmacies generally not covered.
- Employees' burden after pooling does not enter medical assistance (unless a region's rule set says so).
- Temporary off-site trips get no outpatient pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

from payments.benefits.schemes.base import Context, Terms


@dataclass(frozen=True)
class Outpatient:
    name: str = "outpatient"

    def takes(self, item: object, ctx: Context) -> bool:
        return True  # the last scheme asked: everything the others did not take

    def blocker(self, item: object, ctx: Context) -> str | None:
        rules, place, visit = ctx.rules, ctx.place, ctx.visit
        if visit.offsite == "temporary" and not visit.emergency:
            return "temporary_offsite"
        if not ctx.employee:
            if place.kind == "pharmacy" and not rules.resident_pharmacy_covered:
                return "pharmacy_not_covered"
            if rules.resident_primary_only and not place.is_primary_level:
                return "not_primary_level"
        if place.kind == "pharmacy" and rules.pharmacy_needs_prescription and not visit.prescription:
            return "no_prescription"
        return None

    def terms(self, item: object, ctx: Context) -> Terms:
        rules, place = ctx.rules, ctx.place
        if ctx.employee:
            low = place.kind == "pharmacy" or place.level in ("1", "unrated")
            threshold = rules.employee_deductible_low_fen if low else rules.employee_deductible_high_fen
            rate = (rules.employee_rate_low_bp if low else rules.employee_rate_high_bp) + (
                rules.retiree_bonus_bp if ctx.retired else 0
            )
            cap = rules.employee_cap_retired_fen if ctx.retired else rules.employee_cap_active_fen
            assistance = rules.assist_employee_outpatient
        else:
            threshold, rate, cap = rules.resident_deductible_fen, rules.resident_rate_bp, rules.resident_annual_cap_fen
            assistance = True
        return Terms(self.name, threshold, rate, ((cap, self.name),), assistance=assistance)


OUTPATIENT = Outpatient()
