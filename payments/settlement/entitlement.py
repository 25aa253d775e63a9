"""What backs a bill before it is priced: the prescription it is settled against, the recognised disease
it is for, an emergency, and the 三定 rule for dual-channel drugs. The answer is the engine's ``Visit``.

- A prescription (electronic, or paper recorded with a photo; payments.prescriptions) is claimed here,
  inside the settlement's transaction: a refusal anywhere after rolls the use back with everything else.
  Pooling at a pharmacy needs one (门诊处方外配).
- A specified-disease purchase names its disease: the prescription's, or, at a hospital without one,
  the terminal's ``disease_code``. The person must hold a recognition in force for it (portal.diseases),
  the institution must be one that may settle it (the chosen institution; at a pharmacy, a designated
  specified-disease pharmacy, not while suspended, with a prescription from the chosen institution by
  a doctor authorised for specified diseases).
- Dual-channel drugs keep their benefit only under the 三定 rule: a dual-channel institution, with a
  prescription by a doctor authorised for dual-channel drugs (at a hospital settling its own care without
  an uploaded prescription, the doctor is the hospital's: the institution's designation decides).
- Emergency care (急诊抢救) is declared by a hospital and is covered off-site without a filing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from payments.benefits.engine import DiseaseRules, Visit
from payments.prescriptions.rules import CLAIM_ERRORS
from payments.prescriptions.services import ClaimedPrescription, prescription_claim, prescription_preview
from portal.diseases.errors import SETTLEMENT_REFUSALS
from portal.errors import DomainError, define
from portal.institutions.models import Institution
from portal.people.models import Person

if TYPE_CHECKING:
    from portal.diseases.selectors import RecognitionInForce

PRESCRIPTION_NEEDED = define(
    "specified_disease_prescription_needed",
    422,
    "药店结算规定病种须凭选定机构开具的规定病种处方",
    "A specified-disease purchase at a pharmacy needs a specified-disease prescription from the chosen institution",
)
PRESCRIBER_NOT_AUTHORISED = define(
    "prescriber_not_authorised",
    422,
    "开方医师未获规定病种处方资格",
    "The prescribing doctor is not authorised for specified diseases",
)
EMERGENCY_ONLY_AT_HOSPITALS = define(
    "emergency_only_at_hospitals",
    400,
    "只有医疗机构可以按急诊抢救结算",
    "Only a hospital can settle care as an emergency",
)
DISEASE_CODE_MISMATCH = define(
    "disease_code_mismatch",
    422,
    "处方的病种（{prescribed}）与结算申报的病种（{given}）不一致",
    "The prescription's disease ({prescribed}) is not the disease given ({given})",
)
DISEASE_RULES_MISSING = define(
    "disease_rules_missing",
    422,
    "病种 {code} 在 {date} 没有适用的待遇标准",
    "Disease {code} has no benefit rules in force on {date}",
)


# The refusals of a bill's disease (recognition, its rules that day, where it may be settled), and of
# everything that backs a bill (``backing``): for the API's documented error codes (portal.openapi.errors).
DISEASE_ERRORS: tuple[str, ...] = (*SETTLEMENT_REFUSALS, DISEASE_RULES_MISSING)
BACKING_ERRORS: tuple[str, ...] = (
    *DISEASE_ERRORS,
    PRESCRIPTION_NEEDED,
    PRESCRIBER_NOT_AUTHORISED,
    EMERGENCY_ONLY_AT_HOSPITALS,
    DISEASE_CODE_MISMATCH,
    *CLAIM_ERRORS,
)


@dataclass(frozen=True)
class Backing:
    """What the bill was checked against, for the engine and for the settlement's record."""

    visit: Visit
    prescription: ClaimedPrescription | None
    disease_code: str
    emergency: bool


def backing(
    *,
    person: Person,
    institution: Institution,
    on: dt.date,
    prescription_id: int | None,
    disease_code: str = "",
    emergency: bool = False,
    settlement_number: str | None = None,
) -> Backing:
    """Check what backs the bill. With ``settlement_number`` the prescription's use is recorded (call
    inside the settlement's transaction); without it, only checked (a preview)."""
    if emergency and institution.kind != Institution.Kind.HOSPITAL:
        raise DomainError(EMERGENCY_ONLY_AT_HOSPITALS)
    claim = None
    if prescription_id is not None:
        if settlement_number is None:
            claim = prescription_preview(prescription_id=prescription_id, person_id=person.pk, on=on)
        else:
            claim = prescription_claim(
                prescription_id=prescription_id,
                person_id=person.pk,
                institution=institution,
                settlement_number=settlement_number,
                on=on,
            )
    if claim is not None and claim.specified_disease:
        if disease_code and disease_code != claim.disease_code:
            raise DomainError(DISEASE_CODE_MISMATCH, prescribed=claim.disease_code, given=disease_code)
        code = claim.disease_code
    else:
        code = disease_code
    disease = _disease_rules(person=person, institution=institution, on=on, code=code, claim=claim) if code else None
    # 三定: at a pharmacy the prescribing doctor must be authorised; at a hospital the doctor is its own.
    if claim is not None:
        three_fixed = institution.dual_channel and claim.doctor_dual_channel
    else:
        three_fixed = institution.dual_channel and institution.kind != Institution.Kind.PHARMACY
    visit = Visit(prescription=claim is not None, disease=disease, emergency=emergency, three_fixed=three_fixed)
    return Backing(visit=visit, prescription=claim, disease_code=code, emergency=emergency)


def recognised(*, person: Person, code: str, on: dt.date) -> RecognitionInForce:
    """The person's recognition of the disease in force on ``on``, with its group's rules that day."""
    from portal.diseases import selectors as diseases
    from portal.diseases.errors import SPECIFIED_NOT_RECOGNISED

    recognition = diseases.recognition_in_force(person_id=person.pk, disease_code=code, on=on)
    if recognition is None:
        raise DomainError(SPECIFIED_NOT_RECOGNISED, code=code)
    if recognition.rules is None:
        raise DomainError(DISEASE_RULES_MISSING, code=code, date=on.isoformat())
    return recognition


def _disease_rules(
    *, person: Person, institution: Institution, on: dt.date, code: str, claim: ClaimedPrescription | None
) -> DiseaseRules:
    from portal.diseases.selectors import specified_disease_refusal

    recognition = recognised(person=person, code=code, on=on)
    if institution.kind == Institution.Kind.PHARMACY and (claim is None or not claim.specified_disease):
        raise DomainError(PRESCRIPTION_NEEDED)  # an ordinary prescription does not open the disease's rules
    refusal = specified_disease_refusal(
        recognition=recognition,
        institution=institution,
        prescriber_institution_id=claim.issuer_institution_id if claim is not None else None,
    )
    if refusal is not None:
        raise DomainError(refusal, code=code)
    if claim is not None and not claim.doctor_specified_disease:
        raise DomainError(PRESCRIBER_NOT_AUTHORISED)
    assert recognition.rules is not None  # recognised() refuses a day without rules
    return recognition.rules
