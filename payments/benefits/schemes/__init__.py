"""The benefit schemes, each declared once: which items it takes, its terms per region and date, and its
year-to-date bucket.

A scheme is one module here plus data (its numbers live in the region's rule set, or, for specified and
chronic diseases, in portal.diseases' group rules). The calculator (``payments.benefits.engine``) asks
the schemes in ``SCHEMES`` order for each item; the first that takes the item prices it. Medical
assistance (``assistance``) is not a scheme of its own items: it runs after a scheme, on what that scheme
left to the resident, where the rules allow.

Buckets are the names stored in ``BenefitUsage.scheme``: ``outpatient``, ``dual_channel``,
``specified:<group>`` and ``assistance``. Schemes never read or write each other's buckets, except the
fund's annual cap that dual-channel drugs and specified diseases share (捆绑使用): it is counted over
the buckets that name it in ``cap_pools``.
"""

from __future__ import annotations

from payments.benefits.schemes.base import Context, Scheme, Terms
from payments.benefits.schemes.dual_channel import DUAL_CHANNEL
from payments.benefits.schemes.outpatient import OUTPATIENT
from payments.benefits.schemes.specified import SPECIFIED

# Asked in this order: a negotiated drug follows the dual-channel rules first, also inside a specified
# disease's list (no second benefit); a specified-disease purchase never touches general outpatient.
SCHEMES: tuple[Scheme, ...] = (DUAL_CHANNEL, SPECIFIED, OUTPATIENT)

ASSISTANCE = "assistance"

__all__ = ["ASSISTANCE", "SCHEMES", "Context", "Scheme", "Terms"]
