"""Reads for insured persons."""

from __future__ import annotations

from portal.identity import normalize_id_number
from portal.people.models import Person, User
from portal.people.services import id_number_index


def person_by_id_number(*, id_number: str) -> Person | None:
    """Look a person up by identity number through the blind index (nothing is decrypted)."""
    return Person.objects.filter(id_number_index=id_number_index(normalize_id_number(id_number))).first()


def person_for_user(*, user: User | None) -> Person | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.select_related("region").filter(user=user).first()


def contribution_paid(*, person: Person, year: int) -> bool:
    return person.contributions.filter(year=year, paid=True).exists()
