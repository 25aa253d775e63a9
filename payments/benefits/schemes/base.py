"""What a scheme declares, and what it is given to decide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from payments.benefits.engine import Item, Place, Rules, Subject, Visit


@dataclass(frozen=True)
class Context:
    """Everything a scheme may look at for one bill."""

    rules: Rules
    subject: Subject
    place: Place
    visit: Visit

    @property
    def employee(self) -> bool:
        return self.subject.insurance_type in ("employee", "retired")

    @property
    def retired(self) -> bool:
        return self.subject.insurance_type == "retired"


@dataclass(frozen=True)
class Terms:
    """How one item is priced under a scheme.

    ``bucket``: where its deductible progress and fund share are counted (``BenefitUsage.scheme``).
    ``threshold_fen``: the deductible, reached when the bucket's accumulated deductible gets there.
    ``caps``: each cap with what counts toward it: a bucket's name, or ``fund_annual`` (the fund's annual
    cap, over every bucket ``in_fund_annual``); the tightest one wins.
    ``first_self_pay_bp``: a share the resident pays first, before the deductible (先行自付).
    ``assistance``: whether medical assistance may add to what this scheme leaves to the resident.
    """

    bucket: str
    threshold_fen: int
    rate_bp: int
    caps: tuple[tuple[int, str], ...]
    first_self_pay_bp: int = 0
    assistance: bool = True


class Scheme(Protocol):
    @property
    def name(self) -> str: ...

    def takes(self, item: Item, ctx: Context) -> bool:
        """Whether this scheme prices the item (the first scheme that takes it does)."""

    def blocker(self, item: Item, ctx: Context) -> str | None:
        """Why the item, though taken, gets nothing from this scheme (a reason code), or None."""

    def terms(self, item: Item, ctx: Context) -> Terms: ...
