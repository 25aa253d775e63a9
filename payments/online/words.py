"""An online order's status in the resident's own words (zh-hans, en), for refusals and the bill pages.

The model's choice labels stay what staff read in the admin; these say what the status means to the person
paying. Error codes and status values never change; only these words do.
"""

from __future__ import annotations

from portal.errors import Bilingual

STATUS_WORDS: dict[str, Bilingual] = {
    "saved": Bilingual("医院正在生成账单", "Being prepared by the hospital"),
    "pre_settled": Bilingual("待确认支付", "Waiting for you to confirm"),
    "awaiting_cash": Bilingual("待付款", "Waiting for your payment"),
    "cash_paid": Bilingual("已付款，正在结算", "Paid, being settled"),
    "settled": Bilingual("已支付", "Paid"),
    "closed": Bilingual("已关闭，未付款", "Closed, not paid"),
    "refunding": Bilingual("正在退款", "Being refunded"),
    "refunded_partly": Bilingual("部分退款", "Partly refunded"),
    "refunded": Bilingual("已全额退款", "Refunded in full"),
    "failed": Bilingual("未能完成，等待工作人员处理", "Not completed: staff will look at it"),
    "needs_attention": Bilingual("等待工作人员处理", "Staff are looking at it"),
}

EXPIRED_WORDS = Bilingual("已过支付时间", "Past the time to pay")


def status_words(status: str) -> Bilingual:
    """The resident's words for a status (an unknown one is shown as it is)."""
    return STATUS_WORDS.get(status, Bilingual(status, status))
