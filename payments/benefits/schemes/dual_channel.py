"""Negotiated drugs through the dual channel (双通道).

- The 三定 rule: a designated dual-channel institution or pharmacy, with a prescription from a doctor
  authorised for dual-channel drugs (``Visit.three_fixed``); otherwise no dual-channel benefit.
- Each drug's first self-pay share (先行自付比例, data per drug) is paid by the resident first.
- Its own deductible (500 yuan) and rate (75% employees / 60% residents), and no cap of its own: it
  shares the fund's annual cap (400,000 / 130,000 yuan) with specified diseases (捆绑使用).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from payments.benefits.schemes.base import Context, Terms

if TYPE_CHECKING:
    from payments.benefits.engine import Item

FUND_ANNUAL = "fund_annual"  # the cap pool dual-channel drugs and specified diseases share


@dataclass(frozen=True)
class DualChannel:
    name: str = "dual_channel"

    def takes(self, item: Item, ctx: Context) -> bool:
        return item.dual_channel

    def blocker(self, item: Item, ctx: Context) -> str | None:
        return None if ctx.visit.three_fixed else "dual_channel_not_designated"

    def terms(self, item: Item, ctx: Context) -> Terms:
        rules = ctx.rules
        rate = rules.dual_rate_employee_bp if ctx.employee else rules.dual_rate_resident_bp
        cap = rules.dual_cap_employee_fen if ctx.employee else rules.dual_cap_resident_fen
        return Terms(
            self.name,
            rules.dual_deductible_fen,
            rate,
            ((cap, FUND_ANNUAL),),
            first_self_pay_bp=item.first_self_pay_bp,
        )


def in_fund_annual(bucket: str) -> bool:
    """Whether a bucket's fund share counts toward the fund's annual cap (捆绑使用)."""
    return bucket == "dual_channel" or bucket.startswith("specified:")


DUAL_CHANNEL = DualChannel()
