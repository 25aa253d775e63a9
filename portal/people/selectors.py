"""Reads for insured persons."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, Q

from portal.errors import define
from portal.identity import normalize_id_number, parse_id_number
from portal.people.models import Person, User
from portal.people.services import id_number_index

if TYPE_CHECKING:
    from portal.institutions.models import Terminal

logger = logging.getLogger(__name__)


def person_by_id_number(*, id_number: str) -> Person | None:
    """Look a person up by identity number through the blind index (nothing is decrypted)."""
    return Person.objects.filter(id_number_index=id_number_index(normalize_id_number(id_number))).first()


def person_for_user(*, user: User | AnonymousUser | None) -> Person | None:
    if not isinstance(user, User):
        return None
    return Person.objects.select_related("region").filter(user=user).first()


def contribution_paid(*, person: Person, year: int) -> bool:
    return person.contributions.filter(year=year, paid=True).exists()


def contribution_covers(*, person: Person, on: dt.date) -> bool:
    """Contributions cover the day: the year is paid and the day is in no lapse (停缴期间)."""
    from portal.people.models import Contribution, ContributionLapse

    lapsed = ContributionLapse.objects.filter(person=person, starts_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )
    return Contribution.objects.filter(person=person, year=on.year, paid=True).filter(~Exists(lapsed)).exists()


TERMINAL_LOOKUP_UNKNOWN = define("person_unknown", 404, "未找到该参保人", "No insured person matches")


def person_read_by_terminal(*, terminal: Terminal, id_number: str, purpose: str, fields: list[str]) -> Person:
    """The one way a terminal reads a person by identity number: rate-limited per terminal
    (``TERMINAL_LOOKUPS_PER_HOUR``), every hit audited, every miss logged (with the terminal, never the
    number). Raises ``person_unknown`` (404) for no insured person, ``rate_limited`` (429) past the limit."""
    from portal import ratelimit
    from portal.audit.models import AuditEvent
    from portal.audit.services import audit_record
    from portal.errors import RATE_LIMITED, DomainError, wait_words

    used, left = ratelimit.hit(f"terminal-lookup:{terminal.pk}", period=3600)
    if used > settings.TERMINAL_LOOKUPS_PER_HOUR:
        logger.warning("terminal %s: lookups by identity number over the hourly limit", terminal.key_id)
        raise DomainError(RATE_LIMITED, wait=wait_words(left), details={"retry_after": left})
    person = person_by_id_number(id_number=parse_id_number(id_number).number)
    if person is None or not person.insured:
        logger.info("terminal %s: identity number lookup found no insured person (%s)", terminal.key_id, purpose)
        raise DomainError(TERMINAL_LOOKUP_UNKNOWN)
    audit_record(action=AuditEvent.Action.READ, person=person, purpose=purpose, terminal=terminal, fields=fields)
    return person
