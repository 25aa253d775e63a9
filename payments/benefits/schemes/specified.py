"""Specified and chronic diseases (门诊规定病种 / 门诊慢特病): a purchase under a recognised disease.

Run independently of general outpatient care (普通门诊统筹与慢特病门诊相互独立运行,互不交叉): the disease
group's own deductible, rate and cap (``DiseaseRules``, from portal.diseases per region and date), its own
bucket ``specified:<group>``. Its fund share also counts toward the fund's annual cap that dual-channel
drugs share. Whether the person, institution and prescription may use it is checked before the bill is
priced (portal.diseases, payments.prescriptions); here only the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from payments.benefits.schemes.base import Context, Terms
from payments.benefits.schemes.dual_channel import FUND_ANNUAL

if TYPE_CHECKING:
    from payments.benefits.engine import Item

PREFIX = "specified:"


def bucket_of(group: str) -> str:
    return f"{PREFIX}{group}"


@dataclass(frozen=True)
class Specified:
    name: str = "specified"

    def takes(self, item: Item, ctx: Context) -> bool:
        return ctx.visit.disease is not None

    def blocker(self, item: Item, ctx: Context) -> str | None:
        return None

    def terms(self, item: Item, ctx: Context) -> Terms:
        disease = ctx.visit.disease
        assert disease is not None
        bucket = bucket_of(disease.group)
        fund_cap = ctx.rules.dual_cap_employee_fen if ctx.employee else ctx.rules.dual_cap_resident_fen
        return Terms(
            bucket,
            disease.deductible_fen,
            disease.rate_bp,
            ((disease.annual_cap_fen, bucket), (fund_cap, FUND_ANNUAL)),
        )


SPECIFIED = Specified()
