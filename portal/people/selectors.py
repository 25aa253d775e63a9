"""Reads for insured persons."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from portal.identity import normalize_id_number
from portal.people.models import Person, User
from portal.people.services import id_number_index


def person_by_id_number(*, id_number: str) -> Person | None:
    """Look a person up by identity number through the blind index (nothing is decrypted)."""
    return Person.objects.filter(id_number_index=id_number_index(normalize_id_number(id_number))).first()


def person_for_user(*, user: User | AnonymousUser | None) -> Person | None:
    if not isinstance(user, User):
        return None
    return Person.objects.select_related("region").filter(user=user).first()


def contribution_paid(*, person: Person, year: int) -> bool:
    return person.contributions.filter(year=year, paid=True).exists()
