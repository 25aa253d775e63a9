"""Reads of prescriptions: a person's open ones (for a pharmacy that scanned them, or for the settlement),
a resident's own and relatives', and one with its uses."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet

from payments.prescriptions.errors import PRESCRIPTION_NOT_FOUND
from payments.prescriptions.models import AuthorisedDoctor, Prescription, PrescriptionUse
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.errors import DomainError
from portal.institutions.models import Institution, Terminal
from portal.people.models import Person
from vouchers.family import people_visible_to
from vouchers.models import ScanSession
from vouchers.scanning import scan_session_valid

# Scans after which an institution may see the person's prescriptions: a pharmacy purchase or the
# download of an outside prescription (02121, 02122), a hospital's settlement or drug collection
# (01301, 01302: dual-channel drugs are dispensed by hospitals too). Not a registration.
PRESCRIPTION_BUSINESS_TYPES = frozenset({"02121", "02122", "01301", "01302"})

# What a terminal reads of a person when it lists their prescriptions (the audit row names them).
SCANNER_FIELDS = ["prescriptions", "diagnosis", "disease_code", "prescription_items", "disease_recognitions"]


def with_doctor_flags(queryset: QuerySet[Prescription]) -> QuerySet[Prescription]:
    """Annotates ``doctor_specified_disease`` and ``doctor_dual_channel``: whether the prescribing doctor is
    an active authorised doctor of the issuer for specified diseases, for dual-channel drugs."""
    doctors = AuthorisedDoctor.objects.filter(
        institution_id=OuterRef("institution_id"), code=OuterRef("doctor_code"), active=True
    )
    return queryset.annotate(
        doctor_specified_disease=Exists(doctors.filter(specified_disease=True)),
        doctor_dual_channel=Exists(doctors.filter(dual_channel=True)),
    )


def _shown(queryset: QuerySet[Prescription]) -> QuerySet[Prescription]:
    return with_doctor_flags(queryset.select_related("institution")).prefetch_related("items")


def prescription_scan_session(*, terminal: Terminal, scan_session_id: str) -> ScanSession:
    """The scan session this terminal's institution may use to read the person's prescriptions: valid
    (vouchers.scanning.scan_session_valid: unexpired, of this institution), of a dispensing business."""
    from payments.settlement.services import SCAN_SESSION_INVALID  # the same refusal as at settlement

    try:
        uuid.UUID(str(scan_session_id))
    except ValueError:
        raise DomainError(SCAN_SESSION_INVALID) from None
    session = scan_session_valid(session_id=scan_session_id, terminal=terminal)
    if session is None or session.business_type not in PRESCRIPTION_BUSINESS_TYPES:
        raise DomainError(SCAN_SESSION_INVALID)
    return session


def open_prescriptions(*, person_id: int, on: dt.date) -> list[Prescription]:
    """The person's prescriptions that can be used on ``on``: open, still valid, with uses left; with items,
    issuer and the doctor's authorisations; newest first."""
    rows = Prescription.objects.filter(
        person_id=person_id, status=Prescription.Status.OPEN, valid_until__gte=on, uses__lt=F("max_uses")
    )
    return list(_shown(rows).order_by("-issued_on", "-id"))


@dataclass(frozen=True)
class Scanned:
    """What an institution sees of the person it just scanned: open prescriptions, recognised diseases."""

    prescriptions: list[Prescription]
    diseases: list[Any]  # portal.diseases.selectors.RecognitionInForce
    institutions: dict[int, Institution]  # the chosen institutions, by id


def open_prescriptions_for_scan(*, terminal: Terminal, scan_session_id: str, on: dt.date) -> Scanned:
    """What a pharmacy (or hospital) that scanned the resident sees: the open prescriptions and the
    recognised specified diseases with the chosen institution and any suspension at pharmacies. The read
    is audited (the terminal read the person's prescriptions and recognitions)."""
    from portal.diseases.selectors import recognitions_in_force

    session = prescription_scan_session(terminal=terminal, scan_session_id=scan_session_id)
    found = open_prescriptions(person_id=session.person_id, on=on)
    diseases = recognitions_in_force(person_id=session.person_id, on=on)
    chosen = Institution.objects.in_bulk([d.institution_id for d in diseases if d.institution_id])
    audit_record(
        action=AuditEvent.Action.READ,
        person=session.person_id,
        purpose="scanner: open prescriptions",
        terminal=terminal,
        fields=SCANNER_FIELDS,
    )
    return Scanned(found, diseases, chosen)


def prescription_shown(*, prescription_id: int) -> Prescription:
    """One prescription as the API shows it (after an upload or a paper record)."""
    return _shown(Prescription.objects.filter(pk=prescription_id)).get()


def prescriptions_visible_to(*, viewer: Person) -> QuerySet[Prescription]:
    """The resident's own prescriptions and those of relatives whose e-voucher they hold, newest first
    (paged by the API: portal.pagination)."""
    rows = Prescription.objects.filter(person_id__in=people_visible_to(viewer=viewer))
    return _shown(rows).select_related("person").order_by("-id")


def prescription_detail(*, prescription_id: int, viewer: Person) -> Prescription:
    """One prescription of the viewer or of a relative whose code they hold, with its uses (given back or
    not); anyone else's answers ``prescription_not_found``."""
    uses = PrescriptionUse.objects.select_related("institution").order_by("id")
    found = (
        _shown(Prescription.objects.filter(pk=prescription_id, person_id__in=people_visible_to(viewer=viewer)))
        .select_related("person")
        .prefetch_related(Prefetch("use_records", queryset=uses))
        .first()
    )
    if found is None:
        raise DomainError(PRESCRIPTION_NOT_FOUND)
    return found
