"""Recording access to personal data."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser

from portal.audit.models import AuditEvent
from portal.institutions.models import Terminal
from portal.people.models import Person, User


def audit_record(
    *,
    action: str,
    person: Person | int,
    purpose: str,
    user: User | AnonymousUser | None = None,
    terminal: Terminal | None = None,
    fields: Iterable[str] = (),
) -> AuditEvent:
    person_id = person if isinstance(person, int) else person.pk
    return AuditEvent.objects.create(
        action=action,
        person_id=person_id,
        actor_user=user if isinstance(user, User) else None,
        actor_terminal=terminal,
        purpose=purpose[:100],
        fields=sorted(fields),
    )
