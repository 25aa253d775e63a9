"""The rules of prescriptions that every path shares: validity and uses, who may issue, what the
settlement is told, and why a use is refused. No writes here (payments.prescriptions.services writes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from payments.prescriptions.errors import (
    NOT_AN_ISSUER,
    PRESCRIPTION_CANCELLED,
    PRESCRIPTION_EXPIRED,
    PRESCRIPTION_INVALID,
    PRESCRIPTION_NOT_FOUND,
    PRESCRIPTION_USE_DUPLICATE,
    PRESCRIPTION_USED_UP,
)
from payments.prescriptions.models import Prescription, PrescriptionUse
from payments.settlement.audit import add_months
from portal.concurrency import BUSY
from portal.errors import Bilingual, DomainError
from portal.institutions.models import Institution, Terminal

# Validity and uses. An ordinary outpatient prescription is valid on the day it is written and may be
# extended by the doctor to at most 3 days (处方管理办法 art. 18); prescriptions flowing to pharmacies
# (外配处方) are commonly honoured for 3 days: the last day of use is issued_on + ORDINARY_VALID_DAYS.
ORDINARY_VALID_DAYS = 3
ORDINARY_MAX_USES = 1
# Specified diseases: valid 3 months (the last day is payments.settlement.audit.add_months(issued_on, 3),
# the same day the SPECIFIED_DISEASE_PRESCRIPTION audit rule allows), used at most 3 times.
SPECIFIED_DISEASE_VALID_MONTHS = 3
SPECIFIED_DISEASE_MAX_USES = 3

ISSUER_KINDS = (Institution.Kind.HOSPITAL, Institution.Kind.INTERNET_HOSPITAL)

# Why a settlement cannot use a prescription (claim_refusal), for the API's documented error codes.
CLAIM_ERRORS = (
    PRESCRIPTION_NOT_FOUND,
    PRESCRIPTION_USE_DUPLICATE,
    PRESCRIPTION_CANCELLED,
    PRESCRIPTION_EXPIRED,
    PRESCRIPTION_USED_UP,
)


@dataclass(frozen=True)
class ItemInput:
    code: str
    name: str
    quantity: int
    days_supply: int | None = None
    dual_channel: bool = False


@dataclass(frozen=True)
class SignedRequest:
    """The signed terminal request that brought an upload (portal.signin.signing), kept for audit."""

    key_id: str
    timestamp: str
    nonce: str
    body_sha256: str
    signature: str


@dataclass(frozen=True)
class ClaimedPrescription:
    prescription_id: int
    number: str
    kind: str  # electronic | paper
    issuer_institution_id: int
    doctor_code: str
    doctor_specified_disease: bool  # doctor authorised for specified diseases at the issuer
    doctor_dual_channel: bool  # doctor authorised for dual-channel drugs at the issuer
    specified_disease: bool
    disease_code: str
    issued_on: dt.date
    use_number: int  # 1-based, this use
    uses_left: int  # after this use


def validity(*, issued_on: dt.date, specified_disease: bool) -> tuple[dt.date, int]:
    """(the last day of use, the number of uses) of a prescription issued on ``issued_on``."""
    if specified_disease:
        return add_months(issued_on, SPECIFIED_DISEASE_VALID_MONTHS), SPECIFIED_DISEASE_MAX_USES
    return issued_on + dt.timedelta(days=ORDINARY_VALID_DAYS), ORDINARY_MAX_USES


def require_issuer(*, terminal: Terminal) -> Institution:
    """The terminal's institution, if it may issue prescriptions: a designated hospital or internet hospital."""
    institution = terminal.institution
    if institution.kind not in ISSUER_KINDS or not institution.designated:
        raise DomainError(NOT_AN_ISSUER)
    return institution


def check_content(
    *, issued_on: dt.date, specified_disease: bool, disease_code: str, items: Sequence[ItemInput]
) -> None:
    """Refuse content no prescription may have: issued after today, a disease code on the wrong kind, no
    items, or already past its last day."""
    today = timezone.localdate()
    if issued_on > today:
        raise DomainError(PRESCRIPTION_INVALID, reason=Bilingual("开具日期晚于今天", "issued after today"))
    if specified_disease and not disease_code:
        raise DomainError(
            PRESCRIPTION_INVALID, reason=Bilingual("规定病种处方须填写病种编码", "a specified disease needs its code")
        )
    if not specified_disease and disease_code:
        raise DomainError(
            PRESCRIPTION_INVALID,
            reason=Bilingual("普通处方不填写病种编码", "only a specified-disease prescription names a disease"),
        )
    if not items:
        raise DomainError(PRESCRIPTION_INVALID, reason=Bilingual("处方没有药品", "no items"))
    valid_until, _ = validity(issued_on=issued_on, specified_disease=specified_disease)
    if valid_until < today:
        raise DomainError(PRESCRIPTION_EXPIRED, valid_until=valid_until.isoformat())


# A claim refused on a row read just before a concurrent give-back reopened it is tried again (nothing was
# written); then it is refused with busy_retry.
CLAIM_ATTEMPTS = 3


def claim_refusal(*, prescription_id: int, person_id: int, on: dt.date, settlement_number: str = "") -> DomainError:
    """Why a prescription cannot be used (called after the compare-and-set matched nothing). Another
    person's prescription answers exactly like a missing one."""
    row = (
        Prescription.objects.filter(pk=prescription_id, person_id=person_id)
        .values("status", "uses", "max_uses", "valid_until")
        .first()
    )
    if row is None:
        return DomainError(PRESCRIPTION_NOT_FOUND)
    details = {"uses": row["uses"], "max_uses": row["max_uses"], "valid_until": row["valid_until"].isoformat()}
    if (
        settlement_number
        and PrescriptionUse.objects.filter(
            prescription_id=prescription_id, settlement_number=settlement_number
        ).exists()
    ):
        return DomainError(PRESCRIPTION_USE_DUPLICATE)
    if row["status"] == Prescription.Status.CANCELLED:
        return DomainError(PRESCRIPTION_CANCELLED)
    if row["status"] == Prescription.Status.EXPIRED or row["valid_until"] < on:
        return DomainError(PRESCRIPTION_EXPIRED, valid_until=row["valid_until"].isoformat(), details=details)
    if row["status"] in (Prescription.Status.USED, Prescription.Status.ARCHIVED) or row["uses"] >= row["max_uses"]:
        return DomainError(PRESCRIPTION_USED_UP, details=details)
    return DomainError(BUSY, details={"retry_after": 1})  # it changed under us (a use given back): try again
