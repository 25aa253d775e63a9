"""Violations of the specified-disease rules, the pharmacy suspensions they cause, and reinstatement.

A violation found by staff (false prescription, switched drugs, repeated purchases of the same indication,
a prescription used again, settlement without a prescription, other) has its fees recovered and suspends
settlement of that disease *at pharmacies* for the region's suspension period (12 months unless its
DiseasePolicy says otherwise); the chosen institution still serves. A violation while suspended extends
the period. Pharmacies settle again only after the period is over *and* staff approve the resident's
written application with a signed commitment (reinstatement); staff may also lift a suspension recorded
in error (ended).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.concurrency import lock_person
from portal.diseases.common import may_act_for, period_end, region_periods, role
from portal.diseases.errors import (
    APPLICATION_REQUIRED,
    COMMITMENT_OUTDATED,
    COMMITMENT_REQUIRED,
    DISEASE_UNKNOWN,
    NOTE_REQUIRED,
    REINSTATEMENT_NOT_FOUND,
    REINSTATEMENT_PENDING,
    REINSTATEMENT_STATE,
    REINSTATEMENT_TOO_EARLY,
    SUSPENSION_NOT_FOUND,
    SUSPENSION_STATE,
    VIOLATION_INVALID,
    VIOLATION_NOT_RECOGNISED,
    reasoned,
    status_words,
)
from portal.diseases.models import (
    Disease,
    Recognition,
    Reinstatement,
    ReinstatementCommitment,
    ReinstatementEvent,
    Suspension,
    SuspensionEvent,
    Violation,
)
from portal.errors import DomainError
from portal.people.models import Person, User
from portal.transitions import transition

MIN_APPLICATION_CHARS = 10
MAX_APPLICATION_CHARS = 2000
# Recognitions that were approved at some time: a violation can only concern a recognised disease.
RECOGNISED = (Recognition.Status.APPROVED, Recognition.Status.REVOKED, Recognition.Status.EXPIRED)


def _move_suspension(
    suspension: Suspension, new: str, *, by: str, user: User | None, note: str, **fields: Any
) -> Suspension:
    return transition(
        suspension,
        new,
        transitions=Suspension.TRANSITIONS,
        refused=lambda old: DomainError(SUSPENSION_STATE, status=status_words(Suspension.Status(old).label)),
        history=lambda old, to: SuspensionEvent.objects.create(
            suspension=suspension, from_status=old, to_status=to, by=by, by_user=user, note=note[:300]
        ),
        **fields,
    )


def _move_reinstatement(
    reinstatement: Reinstatement, new: str, *, by: str, user: User | None, note: str, **fields: Any
) -> Reinstatement:
    return transition(
        reinstatement,
        new,
        transitions=Reinstatement.TRANSITIONS,
        refused=lambda old: DomainError(REINSTATEMENT_STATE, status=status_words(Reinstatement.Status(old).label)),
        history=lambda old, to: ReinstatementEvent.objects.create(
            reinstatement=reinstatement, from_status=old, to_status=to, by=by, by_user=user, note=note[:300]
        ),
        **fields,
    )


def violation_check(*, person_id: int, disease_id: int) -> Recognition:
    """The latest recognition of the disease that was ever approved; refuses when there is none."""
    recognition = (
        Recognition.objects.filter(person_id=person_id, disease_id=disease_id, status__in=RECOGNISED)
        .order_by("-id")
        .first()
    )
    if recognition is None:
        raise DomainError(VIOLATION_NOT_RECOGNISED)
    return recognition


def violation_record(
    *,
    person_id: int,
    disease_id: int,
    kind: str,
    recovered_fen: int,
    recorded_by: User,
    note: str = "",
    reference: str = "",
    starts_on: dt.date | None = None,
) -> Violation:
    """Staff record a violation; pharmacy settlement of the disease is suspended from ``starts_on`` (today)
    for the region's period, or an active suspension is extended to cover it."""
    if kind not in Violation.Kind.values:
        raise reasoned(VIOLATION_INVALID, "kind")
    if isinstance(recovered_fen, bool) or not isinstance(recovered_fen, int) or recovered_fen < 0:
        raise reasoned(VIOLATION_INVALID, "amount")
    disease = Disease.objects.filter(pk=disease_id).first()
    if disease is None:
        raise DomainError(DISEASE_UNKNOWN, code=str(disease_id))
    start = starts_on or timezone.localdate()
    _, months = region_periods(disease.region_id)
    end = period_end(start, months)
    with transaction.atomic():
        lock_person(person_id)  # one suspension per person and disease: serialise
        recognition = violation_check(person_id=person_id, disease_id=disease_id)
        violation = Violation.objects.create(
            person_id=person_id,
            disease=disease,
            recognition=recognition,
            kind=kind,
            recovered_fen=recovered_fen,
            reference=reference.strip()[:100],
            note=note.strip()[:500],
            recorded_by=recorded_by,
        )
        active = Suspension.objects.filter(
            person_id=person_id, disease=disease, status=Suspension.Status.ACTIVE
        ).first()
        if active is None:
            suspension = Suspension.objects.create(
                person_id=person_id, disease=disease, violation=violation, starts_on=start, ends_on=end
            )
            SuspensionEvent.objects.create(
                suspension=suspension,
                to_status=suspension.status,
                by="staff",
                by_user=recorded_by,
                note=f"violation #{violation.pk}: {kind}; suspended {start.isoformat()}..{end.isoformat()}",
            )
        elif end > active.ends_on:
            Suspension.objects.filter(pk=active.pk, status=Suspension.Status.ACTIVE).update(ends_on=end)
            SuspensionEvent.objects.create(
                suspension=active,
                from_status=active.status,
                to_status=active.status,
                by="staff",
                by_user=recorded_by,
                note=f"violation #{violation.pk}: {kind}; extended to {end.isoformat()}",
            )
        audit_record(
            action=AuditEvent.Action.CREATE,
            person=person_id,
            purpose="diseases: record violation",
            user=recorded_by,
            fields=["violation", "suspension"],
        )
    return violation


def current_commitment() -> ReinstatementCommitment:
    text = ReinstatementCommitment.objects.filter(active=True).order_by("-published_at", "-id").first()
    assert text is not None, "a commitment wording is shipped by migration"
    return text


def reinstatement_apply(
    *, suspension_id: int, by: Person, application: str, commitment_accepted: bool, commitment_version: str
) -> Reinstatement:
    """The resident (or their relative's holder) asks in writing to settle at pharmacies again, signing the
    current commitment; possible once the suspension period is over."""
    suspension = Suspension.objects.filter(pk=suspension_id).first()
    if suspension is None or not may_act_for(by, suspension.person_id):
        raise DomainError(SUSPENSION_NOT_FOUND)
    if suspension.status != Suspension.Status.ACTIVE:
        raise DomainError(SUSPENSION_STATE, status=status_words(Suspension.Status(suspension.status).label))
    text = application.strip()
    if len(text) < MIN_APPLICATION_CHARS:
        raise DomainError(APPLICATION_REQUIRED, min=MIN_APPLICATION_CHARS)
    if not commitment_accepted:
        raise DomainError(COMMITMENT_REQUIRED)
    commitment = current_commitment()
    if commitment_version != commitment.version:
        raise DomainError(COMMITMENT_OUTDATED, version=commitment.version)
    if timezone.localdate() <= suspension.ends_on:
        raise DomainError(REINSTATEMENT_TOO_EARLY, date=(suspension.ends_on + dt.timedelta(days=1)).isoformat())
    who = role(by, suspension.person_id)
    with transaction.atomic():
        lock_person(suspension.person_id)
        if Reinstatement.objects.filter(suspension=suspension, status=Reinstatement.Status.APPLIED).exists():
            raise DomainError(REINSTATEMENT_PENDING)
        try:
            with transaction.atomic():
                reinstatement = Reinstatement.objects.create(
                    suspension=suspension,
                    applied_by=by,
                    application=text[:MAX_APPLICATION_CHARS],
                    commitment=commitment,
                    commitment_accepted_at=timezone.now(),
                )
        except IntegrityError:
            raise DomainError(REINSTATEMENT_PENDING) from None
        ReinstatementEvent.objects.create(
            reinstatement=reinstatement,
            to_status=reinstatement.status,
            by=who,
            note=f"commitment {commitment.version} signed",
        )
    return reinstatement


def _pending(reinstatement_id: int) -> Reinstatement:
    reinstatement = Reinstatement.objects.select_related("suspension").filter(pk=reinstatement_id).first()
    if reinstatement is None:
        raise DomainError(REINSTATEMENT_NOT_FOUND)
    return reinstatement


def reinstatement_approve(*, reinstatement_id: int, reviewer: User, note: str = "") -> Reinstatement:
    """Staff accept the application: pharmacies settle the disease again from today."""
    reinstatement = _pending(reinstatement_id)
    suspension = reinstatement.suspension
    today = timezone.localdate()
    if reinstatement.status == Reinstatement.Status.APPLIED and today <= suspension.ends_on:  # extended since
        raise DomainError(REINSTATEMENT_TOO_EARLY, date=(suspension.ends_on + dt.timedelta(days=1)).isoformat())
    note = note.strip()
    with transaction.atomic():
        reinstatement = _move_reinstatement(
            reinstatement,
            Reinstatement.Status.APPROVED,
            by="staff",
            user=reviewer,
            note=note or "approved",
            reviewer=reviewer,
            review_note=note[:300],
            decided_at=timezone.now(),
        )
        _move_suspension(
            suspension,
            Suspension.Status.REINSTATED,
            by="staff",
            user=reviewer,
            note=f"reinstatement #{reinstatement.pk} approved",
            lifted_on=today,
        )
        audit_record(
            action=AuditEvent.Action.UPDATE,
            person=suspension.person_id,
            purpose="diseases: approve reinstatement",
            user=reviewer,
            fields=["reinstatement", "suspension"],
        )
    return reinstatement


def reinstatement_reject(*, reinstatement_id: int, reviewer: User, note: str) -> Reinstatement:
    """Staff refuse the application, saying why; the suspension stays and the resident may apply again."""
    note = note.strip()
    if not note:
        raise DomainError(NOTE_REQUIRED)
    reinstatement = _pending(reinstatement_id)
    with transaction.atomic():
        reinstatement = _move_reinstatement(
            reinstatement,
            Reinstatement.Status.REJECTED,
            by="staff",
            user=reviewer,
            note=note,
            reviewer=reviewer,
            review_note=note[:300],
            decided_at=timezone.now(),
        )
        audit_record(
            action=AuditEvent.Action.UPDATE,
            person=reinstatement.suspension.person_id,
            purpose="diseases: reject reinstatement",
            user=reviewer,
            fields=["reinstatement"],
        )
    return reinstatement


def suspension_end(*, suspension_id: int, reviewer: User, note: str) -> Suspension:
    """Staff lift a suspension recorded in error (e.g. the violation was overturned), from today."""
    note = note.strip()
    if not note:
        raise DomainError(NOTE_REQUIRED)
    suspension = Suspension.objects.filter(pk=suspension_id).first()
    if suspension is None:
        raise DomainError(SUSPENSION_NOT_FOUND)
    with transaction.atomic():
        pending = Reinstatement.objects.filter(suspension=suspension, status=Reinstatement.Status.APPLIED).first()
        suspension = _move_suspension(
            suspension, Suspension.Status.ENDED, by="staff", user=reviewer, note=note, lifted_on=timezone.localdate()
        )
        if pending is not None:  # nothing left to decide
            _move_reinstatement(
                pending,
                Reinstatement.Status.REJECTED,
                by="staff",
                user=reviewer,
                note="suspension lifted",
                review_note="暂停已解除 / the suspension was lifted",
                decided_at=timezone.now(),
            )
        audit_record(
            action=AuditEvent.Action.UPDATE,
            person=suspension.person_id,
            purpose="diseases: lift suspension",
            user=reviewer,
            fields=["suspension"],
        )
    return suspension
