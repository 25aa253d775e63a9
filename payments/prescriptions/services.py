"""Prescriptions: the issuer uploads (electronic) or a pharmacy records (paper); settlements claim uses.

The one writer of every prescription table. The settlement calls three functions, inside its own
transaction: :func:`prescription_preview` (no write), :func:`prescription_claim` (one use) and
:func:`prescription_release` (a reversed or wholly refunded settlement gives its use back).

Rules:

- A specified-disease prescription (门诊规定病种) may be used 3 times within 3 months of issue: the
  pharmacy stamps it at the 1st and 2nd use and keeps it (archived) at the 3rd. An ordinary prescription
  is used once, within :data:`ORDINARY_VALID_DAYS` of issue.
- A use is claimed by a compare-and-set update of the counter (open, this person's, uses left, still
  valid); zero rows means refused, and a second read only says why. Never check-then-act.
- Lock order (portal.concurrency): a prescription belongs to one person, and the settlement paths that
  claim or give back a use hold that person's lock (step 2) first, so two of them never wait on each
  other's prescription in opposite orders. The claim's update locks the prescription row until the
  settlement commits; the release locks the prescriptions it touches, in id order, before their use rows.
  The issuer's cancel locks only the prescription.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from payments.prescriptions import sql
from payments.prescriptions.errors import (
    ISSUER_UNKNOWN,
    NOT_A_PHARMACY,
    PRESCRIPTION_CONFLICT,
    PRESCRIPTION_IN_USE,
    PRESCRIPTION_NOT_FOUND,
    PRESCRIPTION_STATE,
)
from payments.prescriptions.models import Prescription, PrescriptionEvent, PrescriptionItem, PrescriptionUse
from payments.prescriptions.photos import check_photo
from payments.prescriptions.rules import (
    CLAIM_ATTEMPTS,
    ISSUER_KINDS,
    ORDINARY_VALID_DAYS,
    SPECIFIED_DISEASE_MAX_USES,
    ClaimedPrescription,
    ItemInput,
    SignedRequest,
    check_content,
    claim_refusal,
    require_issuer,
    validity,
)
from payments.prescriptions.selectors import prescription_scan_session, with_doctor_flags
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.concurrency import BUSY
from portal.errors import DomainError
from portal.institutions.models import Institution, Terminal
from portal.people.models import Person
from portal.transitions import transition

# The settlement's interface and the upload's inputs are imported from here (their home is rules).
__all__ = [
    "ORDINARY_VALID_DAYS",
    "SPECIFIED_DISEASE_MAX_USES",
    "ClaimedPrescription",
    "ItemInput",
    "SignedRequest",
    "paper_prescription_record",
    "prescription_cancel",
    "prescription_claim",
    "prescription_preview",
    "prescription_release",
    "prescription_upload",
    "prescriptions_expire",
    "require_issuer",
]


# What a terminal's upload or record writes of a person (the audit row names it).
AUDIT_FIELDS = ["prescription", "diagnosis", "disease_code", "prescription_items"]


def _move(prescription: Prescription, new: str, *, note: str, **fields: Any) -> Prescription:
    """Compare-and-set along a declared transition, with a history row. Call inside a transaction."""
    return transition(
        prescription,
        new,
        transitions=Prescription.TRANSITIONS,
        refused=lambda old: DomainError(PRESCRIPTION_STATE, status=old),
        history=lambda old, to: PrescriptionEvent.objects.create(
            prescription=prescription, from_status=old, to_status=to, note=note[:300]
        ),
        **fields,
    )


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _replay(*, institution_id: int, number: str, digest: str) -> Prescription | None:
    """The prescription already recorded under this number by this issuer: the same content returns it,
    other content is a conflict."""
    first = Prescription.objects.filter(institution_id=institution_id, number=number).first()
    if first is not None and first.request_hash != digest:
        raise DomainError(PRESCRIPTION_CONFLICT)
    return first


def _create(
    *,
    kind: str,
    issuer: Institution,
    terminal: Terminal,
    person: Person,
    number: str,
    content: dict[str, Any],
    digest: str,
    items: Sequence[ItemInput],
    signed: SignedRequest | None,
    photo: tuple[UploadedFile, str, str] | None,
    note: str,
) -> tuple[Prescription, bool]:
    """Insert the prescription, its items and its first history row; a concurrent twin wins the unique
    (issuer, number) and this call answers as a replay of it."""
    issued_on: dt.date = content["issued_on"]
    valid_until, max_uses = validity(issued_on=issued_on, specified_disease=content["specified_disease"])
    try:
        with transaction.atomic():
            prescription = Prescription(
                number=number,
                kind=kind,
                institution=issuer,
                doctor_code=content["doctor_code"],
                doctor_name=content["doctor_name"],
                person=person,
                diagnosis_code=content["diagnosis_code"],
                diagnosis_text=content["diagnosis_text"],
                disease_code=content["disease_code"],
                specified_disease=content["specified_disease"],
                issued_on=issued_on,
                valid_until=valid_until,
                max_uses=max_uses,
                uploaded_by=terminal,
                request_hash=digest,
                signed_key_id=signed.key_id if signed else "",
                signed_timestamp=signed.timestamp if signed else "",
                signed_nonce=signed.nonce if signed else "",
                signed_body_sha256=signed.body_sha256 if signed else "",
                signature=signed.signature if signed else "",
            )
            if photo is not None:
                upload, content_type, extension = photo
                prescription.photo_content_type = content_type
                # Stored under a name the server chooses, with the extension of the type the content has.
                prescription.photo.save(f"photo.{extension}", upload, save=False)
            prescription.save()
            PrescriptionItem.objects.bulk_create(
                PrescriptionItem(
                    prescription=prescription,
                    line=line,
                    code=item.code,
                    name=item.name,
                    quantity=item.quantity,
                    days_supply=item.days_supply,
                    dual_channel=item.dual_channel,
                )
                for line, item in enumerate(items, start=1)
            )
            PrescriptionEvent.objects.create(
                prescription=prescription, to_status=Prescription.Status.OPEN, note=note[:300]
            )
    except IntegrityError:
        first = _replay(institution_id=issuer.pk, number=number, digest=digest)
        if first is None:
            raise
        return first, False
    return prescription, True


def _recorded(
    prescription: Prescription, created: bool, *, terminal: Terminal, purpose: str
) -> tuple[Prescription, bool]:
    """The terminal wrote (or, replaying, was shown) a person's prescription: an audit row says so."""
    audit_record(
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.READ,
        person=prescription.person_id,
        purpose=purpose,
        terminal=terminal,
        fields=AUDIT_FIELDS,
    )
    return prescription, created


def _content(*, kind: str, person: Person, items: Sequence[ItemInput], fields: dict[str, Any]) -> dict[str, Any]:
    """What an upload or a paper record says, as compared on a replay (text trimmed)."""
    trimmed = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    return {"kind": kind, "person": person.pk, **trimmed, "items": [asdict(item) for item in items]}


def _record(
    *,
    kind: str,
    issuer: Institution,
    terminal: Terminal,
    person: Person,
    number: str,
    items: Sequence[ItemInput],
    signed: SignedRequest | None,
    photo: tuple[UploadedFile, str, str] | None,
    note: str,
    purpose: str,
    fields: dict[str, Any],
) -> tuple[Prescription, bool]:
    """An upload or a paper record: the same content under the issuer's number answers the first record;
    otherwise the content is checked and the prescription created."""
    content = _content(kind=kind, person=person, items=items, fields=fields)
    digest = _digest(content)
    first = _replay(institution_id=issuer.pk, number=number, digest=digest)
    if first is not None:
        return _recorded(first, False, terminal=terminal, purpose="prescription replay")
    check_content(
        issued_on=fields["issued_on"],
        specified_disease=fields["specified_disease"],
        disease_code=content["disease_code"],
        items=items,
    )
    return _recorded(
        *_create(
            kind=kind,
            issuer=issuer,
            terminal=terminal,
            person=person,
            number=number,
            content=content,
            digest=digest,
            items=items,
            signed=signed,
            photo=photo,
            note=note,
        ),
        terminal=terminal,
        purpose=purpose,
    )


def prescription_upload(
    *,
    terminal: Terminal,
    person: Person,
    number: str,
    doctor_code: str,
    doctor_name: str,
    issued_on: dt.date,
    items: Sequence[ItemInput],
    diagnosis_code: str = "",
    diagnosis_text: str = "",
    specified_disease: bool = False,
    disease_code: str = "",
    signed: SignedRequest | None = None,
) -> tuple[Prescription, bool]:
    """A designated hospital's or internet hospital's system uploads an electronic prescription for
    ``person`` (identified by the caller as hospital orders do: portal.people.selectors.
    person_read_by_terminal). Idempotent on (issuer, number): the same content returns the first
    (``created`` False); other content under the same number is ``prescription_conflict``."""
    return _record(
        kind=Prescription.Kind.ELECTRONIC,
        issuer=require_issuer(terminal=terminal),
        terminal=terminal,
        person=person,
        number=number,
        items=items,
        signed=signed,
        photo=None,
        note=f"uploaded by {terminal.key_id}",
        purpose="prescription upload: recorded",
        fields={
            "doctor_code": doctor_code,
            "doctor_name": doctor_name,
            "diagnosis_code": diagnosis_code,
            "diagnosis_text": diagnosis_text,
            "specified_disease": specified_disease,
            "disease_code": disease_code,
            "issued_on": issued_on,
        },
    )


def paper_prescription_record(
    *,
    terminal: Terminal,
    scan_session_id: str,
    number: str,
    issuer_institution_code: str,
    doctor_code: str,
    doctor_name: str,
    issued_on: dt.date,
    specified_disease: bool,
    disease_code: str,
    items: Sequence[ItemInput],
    photo: UploadedFile | None,
    diagnosis_code: str = "",
    diagnosis_text: str = "",
    signed: SignedRequest | None = None,
) -> tuple[Prescription, bool]:
    """A pharmacy that scanned the resident's e-voucher records the paper prescription they brought, with
    its photo. It is then used like an electronic one (listed for the person, claimed by settlements).

    The issuer is the institution named on the paper; (issuer, number) is unique across both kinds, so
    the same prescription cannot be recorded twice (nor recorded on paper after it came electronically).
    Recording the same paper again for the same person (a retry, or another pharmacy at a later use)
    returns the first record; the photo is not part of that comparison (every shot differs)."""
    pharmacy = terminal.institution
    if pharmacy.kind != Institution.Kind.PHARMACY or not pharmacy.designated:
        raise DomainError(NOT_A_PHARMACY)
    session = prescription_scan_session(terminal=terminal, scan_session_id=scan_session_id)
    content_type, extension = check_photo(photo)
    assert photo is not None
    issuer = Institution.objects.filter(
        code=issuer_institution_code.strip(), kind__in=ISSUER_KINDS, designated=True
    ).first()
    if issuer is None:
        raise DomainError(ISSUER_UNKNOWN)
    return _record(
        kind=Prescription.Kind.PAPER,
        issuer=issuer,
        terminal=terminal,
        person=session.person,
        number=number,
        items=items,
        signed=signed,
        photo=(photo, content_type, extension),
        note=f"paper recorded by {terminal.key_id} ({pharmacy.code})",
        purpose="scanner: paper prescription",
        fields={
            "doctor_code": doctor_code,
            "doctor_name": doctor_name,
            "diagnosis_code": diagnosis_code,
            "diagnosis_text": diagnosis_text,
            "specified_disease": specified_disease,
            "disease_code": disease_code,
            "issued_on": issued_on,
        },
    )


def prescription_cancel(*, terminal: Terminal, number: str) -> Prescription:
    """The issuer voids a prescription while no use stands on it. Cancelling twice returns it as it is."""
    with transaction.atomic():
        prescription = (
            Prescription.objects.select_for_update(no_key=True)
            .filter(institution_id=terminal.institution_id, number=number)
            .first()
        )
        if prescription is None:
            raise DomainError(PRESCRIPTION_NOT_FOUND)
        if prescription.status == Prescription.Status.CANCELLED:
            return prescription
        if prescription.uses > 0:
            raise DomainError(PRESCRIPTION_IN_USE)
        _move(
            prescription,
            Prescription.Status.CANCELLED,
            note=f"cancelled by {terminal.key_id}",
            cancelled_at=timezone.now(),
        )
        audit_record(
            action=AuditEvent.Action.UPDATE,
            person=prescription.person_id,
            purpose="prescription cancel",
            terminal=terminal,
            fields=["status"],
        )
    return prescription


# --- The settlement's interface ---------------------------------------------------------------------


def prescription_preview(*, prescription_id: int, person_id: int, on: dt.date) -> ClaimedPrescription:
    """Same checks as prescription_claim, without recording a use (for a pre-settlement preview)."""
    usable = with_doctor_flags(
        Prescription.objects.filter(
            pk=prescription_id,
            person_id=person_id,
            status=Prescription.Status.OPEN,
            uses__lt=F("max_uses"),
            valid_until__gte=on,
        )
    )
    for _ in range(CLAIM_ATTEMPTS):
        found = usable.first()
        if found is not None:
            break
        refusal = claim_refusal(prescription_id=prescription_id, person_id=person_id, on=on)
        if refusal.code != BUSY:
            raise refusal
    else:
        raise refusal
    use_number = found.uses + 1
    return ClaimedPrescription(
        prescription_id=found.pk,
        number=found.number,
        kind=found.kind,
        issuer_institution_id=found.institution_id,
        doctor_code=found.doctor_code,
        doctor_specified_disease=bool(found.doctor_specified_disease),  # type: ignore[attr-defined]
        doctor_dual_channel=bool(found.doctor_dual_channel),  # type: ignore[attr-defined]
        specified_disease=found.specified_disease,
        disease_code=found.disease_code,
        issued_on=found.issued_on,
        use_number=use_number,
        uses_left=found.max_uses - use_number,
    )


def _take_use(params: dict[str, Any], *, institution: Institution, settlement_number: str) -> tuple[Any, ...] | None:
    """The compare-and-set and, when it took a use, the use row and (at the last use) the history row.
    None: nothing matched and nothing was written.

    No savepoint: a refusal is decided before anything is written and raised by the caller outside this
    block, so the settlement's transaction stays usable; a failure after the update dooms that transaction
    (it must roll back: the counter moved)."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql.take_use_sql(connection.vendor), params)
        row = cursor.fetchone()
        if row is None:
            return None
        taken = dict(zip(sql.TAKEN_COLUMNS, row, strict=False))
        uses, max_uses = int(taken["uses"]), int(taken["max_uses"])
        last = uses == max_uses
        cursor.execute(
            sql.insert_use_sql(connection.vendor),
            {
                **params,
                "institution": institution.pk,
                "stamped": bool(taken["specified_disease"]) and not last,
                "archived": last,
                "at": connection.ops.adapt_datetimefield_value(timezone.now()),
            },
        )
        if last:
            PrescriptionEvent.objects.create(
                prescription_id=params["id"],
                from_status=Prescription.Status.OPEN,
                to_status=taken["status"],
                note=f"use {uses}/{max_uses} by {settlement_number} ({institution.code})"[:300],
            )
    return tuple(row)


def prescription_claim(
    *, prescription_id: int, person_id: int, institution: Institution, settlement_number: str, on: dt.date
) -> ClaimedPrescription:
    """Record one use, inside the caller's transaction (the settlement's): its rollback takes the use back.

    Compare-and-set (payments.prescriptions.sql): ``UPDATE ... SET uses = uses + 1 WHERE id = %s AND
    person_id = %s AND status = 'open' AND uses < max_uses AND valid_until >= on`` (and this settlement has
    not used it), moving the status at the last use (archived for a specified disease, used otherwise);
    zero rows -> why, and nothing was written: ``prescription_not_found`` (a missing prescription or
    another person's), ``prescription_use_duplicate``, ``prescription_cancelled``, ``prescription_expired``,
    ``prescription_used_up``. Then the use row (stamped at a specified-disease prescription's 1st and 2nd
    use, archived at the last) and, at the last use, the history row of the status move. Three statements
    (four at the last use); the prescription row stays locked until the caller commits."""
    params: dict[str, Any] = {
        "id": prescription_id,
        "person": person_id,
        "open": Prescription.Status.OPEN.value,
        "used": Prescription.Status.USED.value,
        "archived": Prescription.Status.ARCHIVED.value,
        "on": connection.ops.adapt_datefield_value(on),
        "settlement": settlement_number,
    }
    for _ in range(CLAIM_ATTEMPTS):
        row = _take_use(params, institution=institution, settlement_number=settlement_number)
        if row is not None:
            break
        refusal = claim_refusal(
            prescription_id=prescription_id, person_id=person_id, on=on, settlement_number=settlement_number
        )
        if refusal.code != BUSY:
            raise refusal
    else:
        raise refusal
    taken = dict(zip(sql.TAKEN_COLUMNS, row, strict=False))
    uses, max_uses = int(taken["uses"]), int(taken["max_uses"])
    issued_on = taken["issued_on"]
    return ClaimedPrescription(
        prescription_id=prescription_id,
        number=taken["number"],
        kind=taken["kind"],
        issuer_institution_id=int(taken["institution"]),
        doctor_code=taken["doctor_code"],
        doctor_specified_disease=bool(row[len(sql.TAKEN_COLUMNS)]),
        doctor_dual_channel=bool(row[len(sql.TAKEN_COLUMNS) + 1]),
        specified_disease=bool(taken["specified_disease"]),
        disease_code=taken["disease_code"],
        issued_on=dt.date.fromisoformat(issued_on) if isinstance(issued_on, str) else issued_on,
        use_number=uses,
        uses_left=max_uses - uses,
    )


def prescription_release(*, settlement_number: str) -> int:
    """Give back the use a settlement took (the settlement was reversed or wholly refunded): the use is
    marked released, the counter goes down, a used or archived prescription still within its validity
    opens again; a history row each. Idempotent: a second call finds nothing to release. Returns the
    number of uses released."""
    today = timezone.localdate()
    released = 0
    with transaction.atomic():
        ids = sorted(
            set(
                PrescriptionUse.objects.filter(
                    settlement_number=settlement_number, released_at__isnull=True
                ).values_list("prescription_id", flat=True)
            )
        )
        if not ids:
            return 0
        locked = {
            p.pk: p for p in Prescription.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        }
        for prescription_id in ids:
            use = PrescriptionUse.objects.filter(
                prescription_id=prescription_id, settlement_number=settlement_number, released_at__isnull=True
            ).first()
            if use is None or not PrescriptionUse.objects.filter(pk=use.pk, released_at__isnull=True).update(
                released_at=timezone.now()
            ):
                continue  # released meanwhile
            Prescription.objects.filter(pk=prescription_id, uses__gt=0).update(uses=F("uses") - 1)
            prescription = locked[prescription_id]
            prescription.refresh_from_db()
            note = f"use {use.n} given back: settlement {settlement_number}"
            reopen = prescription.status in (Prescription.Status.USED, Prescription.Status.ARCHIVED)
            if reopen and prescription.valid_until >= today:
                _move(prescription, Prescription.Status.OPEN, note=note)
            else:
                PrescriptionEvent.objects.create(
                    prescription=prescription,
                    from_status=prescription.status,
                    to_status=prescription.status,
                    note=note[:300],
                )
            released += 1
    return released


def prescriptions_expire(*, on: dt.date | None = None) -> int:
    """Open prescriptions past their last day move to expired (claims already refuse them by date; this
    keeps the status honest for lists and staff). Returns how many moved."""
    on = on or timezone.localdate()
    done = 0
    for prescription in Prescription.objects.filter(status=Prescription.Status.OPEN, valid_until__lt=on):
        try:
            with transaction.atomic():
                _move(prescription, Prescription.Status.EXPIRED, note=f"past {prescription.valid_until}")
            done += 1
        except DomainError:
            continue  # used, cancelled or archived meanwhile
    return done
