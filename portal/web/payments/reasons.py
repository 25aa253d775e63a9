"""Why a part of a bill is ¥0, in words the resident can act on.

The fund: the benefit engine's own reasons (``payments.benefits.engine.REASONS``: below the deductible,
outside the catalogue, not a primary-level institution, the annual cap reached, ...), with their amounts and,
for the common ones, what the resident can do. The personal accounts: nothing left to pay, the payer's
choice, no account, or no balance. Cash (WeChat Pay or Alipay, the payer's choice): insurance and the
accounts paid it all.

Nothing here decides a payment rule; it reads what ``payments.online.pay`` and the engine decided.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Sum

from payments.benefits.engine import REASONS, Breakdown
from payments.benefits.models import BenefitUsage
from payments.benefits.schemes import ASSISTANCE
from payments.online import pay
from payments.online.models import OnlineOrder
from portal.errors import Bilingual, DomainError
from portal.family.deduction import payment_sources
from portal.money import fen_to_yuan

# What to do about the commonest reasons (the engine's words say what happened, these say what next).
HINTS: dict[str, Bilingual] = {
    "deductible": Bilingual(
        "这部分计入您今年的起付线；累计达到起付线后，医保基金开始按比例支付。",
        "It counts toward this year's deductible; once that is reached, the fund pays its share.",
    ),
    "annual_cap_reached": Bilingual(
        "今年医保基金能为您支付的额度已用完，下一年度重新计算。",
        "The fund's limit for you this year is used up; it starts again next year.",
    ),
    "not_primary_level": Bilingual(
        "在社区卫生服务中心、乡镇卫生院或村卫生室看普通门诊，医保基金可以支付。",
        "Outpatient care at a community or township health centre, or a village clinic, is covered.",
    ),
    "no_contribution": Bilingual(
        "缴纳本年度医保费后再就医，医保基金才能支付。", "Once this year's contribution is paid, the fund pays for care."
    ),
    "outside_catalogue": Bilingual(
        "医保目录外的药品和项目由个人支付。", "Drugs and services outside the insurance list are paid by you."
    ),
}
# Reasons for what the resident pays beside a fund share (not why the fund pays nothing).
BESIDE_THE_FUND = {"self_pay_ratio", "assistance_deductible"}
NOTHING_FOR_THE_FUND = Bilingual(
    "这笔费用中没有医保基金可以支付的部分。", "Nothing in this bill is one the fund pays for."
)


def _sentence(code: str, fen: int) -> tuple[str, str]:
    words = REASONS[code]
    yuan = fen_to_yuan(fen)
    text = Bilingual(f"{words.zh}（¥{yuan}）", f"{words.en[:1].upper()}{words.en[1:]} (¥{yuan})").localized()
    hint = HINTS.get(code)
    return text, hint.localized() if hint else ""


def _fund_reasons(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, str]]:
    totals: dict[str, int] = {}
    for code, fen in pairs:
        if code in REASONS and code not in BESIDE_THE_FUND and fen > 0:
            totals[code] = totals.get(code, 0) + fen
    reasons = [_sentence(code, fen) for code, fen in totals.items()]
    return reasons or [(NOTHING_FOR_THE_FUND.localized(), "")]


def fund_why_now(breakdown: Breakdown) -> list[tuple[str, str]]:
    """Why the fund pays nothing on a bill not yet paid: the engine's reasons, item by item, added up."""
    if breakdown.fund_fen:
        return []
    return _fund_reasons((r.code, r.amount_fen) for line in breakdown.lines for r in line.reasons)


def fund_why_paid(order: OnlineOrder) -> list[tuple[str, str]]:
    """Why the fund paid nothing on a bill already paid: what it counted toward the deductible (its usage
    rows), and the reasons that do not depend on the year so far (the items, the place, the person)."""
    if order.fund_fen or not order.total_fen:
        return []
    pairs: list[tuple[str, int]] = []
    counted = (
        BenefitUsage.objects.filter(origin=order.number, is_reversal=False)
        .exclude(scheme=ASSISTANCE)
        .aggregate(total=Sum("deductible_fen"))["total"]
    )
    if counted:
        pairs.append(("deductible", counted))
    try:
        breakdown = pay.order_breakdown(order=order)
    except DomainError:  # e.g. a recognition that has ended since: keep what the usage says
        breakdown = None
    if breakdown is not None:
        pairs += [
            (r.code, r.amount_fen)
            for line in breakdown.lines
            for r in line.reasons
            if r.code != "deductible"  # the deductible now is not the deductible then
        ]
    return _fund_reasons(pairs)


def personal_why(*, order: OnlineOrder, personal_fen: int, resident_fen: int, declined: bool, paid: bool) -> str:
    """Why nothing comes from the personal accounts ("" when something does)."""
    if personal_fen:
        return ""
    if resident_fen == 0:
        why = Bilingual("医保基金已付清，不需要用个人账户。", "The fund pays it all: no personal account is needed.")
    elif declined:
        why = Bilingual(
            "您选择了不使用个人账户，这部分改用现金支付。",
            "You chose not to use the personal account: that part is paid in cash.",
        )
    elif not payment_sources(payer=order.person):
        why = Bilingual(
            "没有可用的个人账户（城乡居民医保不设个人账户），也没有家人通过家庭共济共享账户。",
            "There is no personal account to use (residents' insurance has none), and no family member shares one.",
        )
    elif paid:
        why = Bilingual(
            "支付时个人账户（含家庭共济）没有余额。", "The personal accounts (family sharing included) had no balance."
        )
    else:
        why = Bilingual(
            "个人账户（含家庭共济）没有余额。", "The personal accounts (family sharing included) have no balance."
        )
    return why.localized()


def cash_why(*, cash_fen: int, total_fen: int) -> str:
    if cash_fen or not total_fen:
        return ""
    return Bilingual(
        "医保基金和个人账户已付清，不需要现金支付。",
        "Insurance and personal accounts pay it all: no cash payment needed.",
    ).localized()


def declined_personal(order: OnlineOrder) -> bool:
    """The payer left the personal accounts out when paying (the used authorisation keeps the choice)."""
    used = order.authorizations.filter(used_at__isnull=False).order_by("-id").values_list("split", flat=True).first()
    return isinstance(used, dict) and used.get(pay.NO_PERSONAL_ACCOUNT) is False
