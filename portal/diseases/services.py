"""Recognitions (认定) of specified and chronic diseases: apply, withdraw, review, revoke, change the chosen
institution, expire. Violations, suspensions and reinstatement live in :mod:`portal.diseases.suspensions`
and are re-exported here, so every write of the scheme is reachable from this module.

Every status move is a compare-and-set along ``Recognition.TRANSITIONS`` with a history row
(:func:`portal.transitions.transition`). An application locks the person's row (the project's lock order,
step 2) before it looks for a live recognition; the partial unique constraint is the backstop.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.concurrency import lock_person
from portal.diseases.common import may_act_for, period_end, region_periods, role
from portal.diseases.errors import (
    DATES_INVALID,
    DISEASE_UNKNOWN,
    DOCUMENT_INVALID,
    DOCUMENTS_MISSING,
    DOCUMENTS_TOO_MANY,
    INSTITUTION_NOT_ELIGIBLE,
    INSTITUTION_NOT_NEEDED,
    INSTITUTION_REQUIRED,
    INSTITUTION_UNCHANGED,
    NOTE_REQUIRED,
    RECOGNITION_EXISTS,
    RECOGNITION_NOT_FOUND,
    RECOGNITION_NOT_INSURED,
    RECOGNITION_STATE,
    reasoned,
    status_words,
)
from portal.diseases.models import Disease, Recognition, RecognitionDocument, RecognitionEvent
from portal.diseases.suspensions import (  # noqa: F401  (re-exported: the scheme's writes in one place)
    current_commitment,
    reinstatement_apply,
    reinstatement_approve,
    reinstatement_reject,
    suspension_end,
    violation_check,
    violation_record,
)
from portal.errors import DomainError
from portal.family.proofs import PROOF_INVALID, PROOF_MISSING, check_proof
from portal.institutions.models import Institution
from portal.people.models import Person, User
from portal.transitions import transition

MAX_DOCUMENTS = 5
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
Status = Recognition.Status


def _refused(old: str) -> DomainError:
    return DomainError(RECOGNITION_STATE, status=status_words(Status(old).label))


def _move(
    recognition: Recognition, new: str, *, by: str, user: User | None = None, note: str = "", **fields: Any
) -> Recognition:
    return transition(
        recognition,
        new,
        transitions=Recognition.TRANSITIONS,
        refused=_refused,
        history=lambda old, to: RecognitionEvent.objects.create(
            recognition=recognition, from_status=old, to_status=to, by=by, by_user=user, note=note[:300]
        ),
        updated_at=timezone.now(),
        **fields,
    )


def _audit(user: User, person_id: int, purpose: str, fields: Sequence[str]) -> None:
    audit_record(action=AuditEvent.Action.UPDATE, person=person_id, purpose=purpose, user=user, fields=fields)


def eligible_institution(*, institution_id: int, person: Person, disease: Disease) -> Institution:
    """The institution a person may choose for a disease: a designated hospital of their region, or an internet
    hospital of their region when the disease may be treated there."""
    institution = Institution.objects.filter(pk=institution_id).first()
    if institution is None:
        raise reasoned(INSTITUTION_NOT_ELIGIBLE, "unknown")
    if institution.kind == Institution.Kind.PHARMACY:
        raise reasoned(INSTITUTION_NOT_ELIGIBLE, "pharmacy")
    if not institution.designated:
        raise reasoned(INSTITUTION_NOT_ELIGIBLE, "not_designated")
    if institution.region_id != person.region_id:
        raise reasoned(INSTITUTION_NOT_ELIGIBLE, "other_region")
    if institution.kind == Institution.Kind.INTERNET_HOSPITAL and not disease.internet_hospital:
        raise reasoned(INSTITUTION_NOT_ELIGIBLE, "internet_hospital_not_for_disease")
    return institution


def _checked_documents(documents: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str, str]]:
    """(file, content type, extension) for each document, decided from the content."""
    if not documents:
        raise DomainError(DOCUMENTS_MISSING)
    if len(documents) > MAX_DOCUMENTS:
        raise DomainError(DOCUMENTS_TOO_MANY, max=MAX_DOCUMENTS)
    checked = []
    for upload in documents:
        try:
            content_type, extension = check_proof(upload, max_bytes=MAX_DOCUMENT_BYTES)
        except DomainError as error:
            if error.code in (PROOF_INVALID, PROOF_MISSING):  # its words speak of proofs of relationship
                raise DomainError(
                    DOCUMENT_INVALID, max_mb=MAX_DOCUMENT_BYTES // (1024 * 1024), details=error.details
                ) from None
            raise
        checked.append((upload, content_type, extension))
    return checked


def _expire_stale(*, person_id: int, disease_id: int, today: dt.date) -> None:
    """An approved recognition past its end that the nightly task has not moved yet."""
    for stale in Recognition.objects.filter(
        person_id=person_id, disease_id=disease_id, status=Status.APPROVED, valid_to__lt=today
    ):
        assert stale.valid_to is not None
        _move(stale, Status.EXPIRED, by="system", note="expired", ended_on=stale.valid_to + dt.timedelta(days=1))


def recognition_apply(
    *,
    person: Person,
    applied_by: Person,
    disease_code: str,
    institution_id: int | None,
    documents: Sequence[UploadedFile],
) -> Recognition:
    """Ask for a disease to be recognised, with documents; the chosen institution unless the disease is
    choice-exempt. Staff review it (:func:`recognition_approve`)."""
    if not may_act_for(applied_by, person.pk):
        raise DomainError(RECOGNITION_NOT_FOUND)
    if not person.insured:
        raise DomainError(RECOGNITION_NOT_INSURED)
    disease = Disease.objects.filter(region_id=person.region_id, code=disease_code, active=True).first()
    if disease is None:
        raise DomainError(DISEASE_UNKNOWN, code=disease_code[:40])
    institution: Institution | None = None
    if disease.choice_exempt:
        if institution_id is not None:
            raise DomainError(INSTITUTION_NOT_NEEDED)
    elif institution_id is None:
        raise DomainError(INSTITUTION_REQUIRED)
    else:
        institution = eligible_institution(institution_id=institution_id, person=person, disease=disease)
    checked = _checked_documents(documents)
    by = role(applied_by, person.pk)
    with transaction.atomic():
        lock_person(person.pk)  # serialises applications for one person
        _expire_stale(person_id=person.pk, disease_id=disease.pk, today=timezone.localdate())
        if Recognition.objects.filter(person=person, disease=disease, status__in=Recognition.LIVE).exists():
            raise DomainError(RECOGNITION_EXISTS)
        try:
            with transaction.atomic():
                recognition = Recognition.objects.create(
                    person=person, disease=disease, applied_by=applied_by, institution=institution
                )
        except IntegrityError:
            raise DomainError(RECOGNITION_EXISTS) from None
        for upload, content_type, extension in checked:
            document = RecognitionDocument(
                recognition=recognition, file_content_type=content_type, size=upload.size or 0
            )
            document.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
            document.save()
        RecognitionEvent.objects.create(
            recognition=recognition,
            to_status=recognition.status,
            by=by,
            note=f"applied with {len(checked)} document(s)"
            + (f", institution {institution.code}" if institution else ""),
        )
    return recognition


def _for_resident(recognition_id: int, by: Person) -> Recognition:
    recognition = (
        Recognition.objects.select_related("person", "disease", "institution").filter(pk=recognition_id).first()
    )
    if recognition is None or not may_act_for(by, recognition.person_id):
        raise DomainError(RECOGNITION_NOT_FOUND)
    return recognition


def _for_staff(recognition_id: int) -> Recognition:
    recognition = (
        Recognition.objects.select_related("person", "disease", "institution").filter(pk=recognition_id).first()
    )
    if recognition is None:
        raise DomainError(RECOGNITION_NOT_FOUND)
    return recognition


def recognition_withdraw(*, recognition_id: int, by: Person) -> Recognition:
    """The resident (or their relative's holder) withdraws an application not yet decided."""
    recognition = _for_resident(recognition_id, by)
    return _move(recognition, Status.WITHDRAWN, by=role(by, recognition.person_id), note="withdrawn")


def recognition_approve(
    *,
    recognition_id: int,
    reviewer: User,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    note: str = "",
) -> Recognition:
    """Staff recognise the disease, in force from ``valid_from`` (default today) to ``valid_to`` (default the
    region's period, 24 months unless its DiseasePolicy says otherwise)."""
    recognition = _for_staff(recognition_id)
    if recognition.status != Status.APPLIED:
        raise _refused(recognition.status)
    if recognition.institution_id is not None:  # still designated, still in the region
        eligible_institution(
            institution_id=recognition.institution_id, person=recognition.person, disease=recognition.disease
        )
    today = timezone.localdate()
    months, _ = region_periods(recognition.person.region_id)
    start = valid_from or today
    end = valid_to or period_end(start, months)
    if end < start:
        raise reasoned(DATES_INVALID, "end_before_start")
    if end < today:
        raise reasoned(DATES_INVALID, "end_in_past")
    note = note.strip()
    with transaction.atomic():
        recognition = _move(
            recognition,
            Status.APPROVED,
            by="staff",
            user=reviewer,
            note=note or f"approved {start.isoformat()}..{end.isoformat()}",
            valid_from=start,
            valid_to=end,
            reviewer=reviewer,
            review_note=note[:300],
            decided_at=timezone.now(),
        )
        _audit(reviewer, recognition.person_id, "diseases: approve recognition", ["status", "valid_from", "valid_to"])
    return recognition


def _required(note: str) -> str:
    note = note.strip()
    if not note:
        raise DomainError(NOTE_REQUIRED)
    return note[:300]


def recognition_reject(*, recognition_id: int, reviewer: User, note: str) -> Recognition:
    """Staff refuse an application, saying why (the resident reads the note)."""
    note = _required(note)
    recognition = _for_staff(recognition_id)
    with transaction.atomic():
        recognition = _move(
            recognition,
            Status.REJECTED,
            by="staff",
            user=reviewer,
            note=note,
            reviewer=reviewer,
            review_note=note,
            decided_at=timezone.now(),
        )
        _audit(reviewer, recognition.person_id, "diseases: reject recognition", ["status"])
    return recognition


def recognition_revoke(*, recognition_id: int, reviewer: User, note: str) -> Recognition:
    """Staff end a recognition in force (not in force from today), saying why."""
    note = _required(note)
    recognition = _for_staff(recognition_id)
    with transaction.atomic():
        recognition = _move(
            recognition,
            Status.REVOKED,
            by="staff",
            user=reviewer,
            note=note,
            review_note=note,
            ended_on=timezone.localdate(),
        )
        _audit(reviewer, recognition.person_id, "diseases: revoke recognition", ["status", "ended_on"])
    return recognition


def recognition_change_institution(*, recognition_id: int, by: Person, institution_id: int) -> Recognition:
    """The resident chooses another designated institution for an approved recognition (recorded in its
    history); the old institution no longer settles the disease, the new one does from now on."""
    recognition = _for_resident(recognition_id, by)
    if recognition.status != Status.APPROVED:
        raise _refused(recognition.status)
    if recognition.disease.choice_exempt:
        raise DomainError(INSTITUTION_NOT_NEEDED)
    if recognition.institution_id == institution_id:
        raise DomainError(INSTITUTION_UNCHANGED)
    new = eligible_institution(institution_id=institution_id, person=recognition.person, disease=recognition.disease)
    old_code = recognition.institution.code if recognition.institution else "-"
    with transaction.atomic():
        unchanged = (
            Q(institution__isnull=True)
            if recognition.institution_id is None
            else Q(institution_id=recognition.institution_id)
        )
        moved = Recognition.objects.filter(unchanged, pk=recognition.pk, status=Status.APPROVED).update(
            institution=new, updated_at=timezone.now()
        )
        if not moved:  # revoked, expired or changed meanwhile
            recognition.refresh_from_db()
            if recognition.status != Status.APPROVED:
                raise _refused(recognition.status)
            raise DomainError(RECOGNITION_STATE, status=status_words(Status.APPROVED.label))
        RecognitionEvent.objects.create(
            recognition=recognition,
            from_status=Status.APPROVED,
            to_status=Status.APPROVED,
            by=role(by, recognition.person_id),
            note=f"institution: {old_code} -> {new.code}",
        )
    recognition.refresh_from_db()
    return recognition


def recognitions_expire(*, today: dt.date | None = None) -> int:
    """Scheduled: approved recognitions past their end expire."""
    today = today or timezone.localdate()
    expired = 0
    for recognition in Recognition.objects.filter(status=Status.APPROVED, valid_to__lt=today):
        assert recognition.valid_to is not None
        try:
            _move(
                recognition,
                Status.EXPIRED,
                by="system",
                note="expired",
                ended_on=recognition.valid_to + dt.timedelta(days=1),
            )
        except DomainError:
            continue  # revoked meanwhile
        expired += 1
    return expired
