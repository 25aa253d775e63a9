"""Writes for insured persons."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal import crypto
from portal.errors import INVALID_INPUT, DomainError, define
from portal.identity import mask_id_number, parse_id_number
from portal.institutions.services import region_get
from portal.people.models import Household, Person, User

ID_NUMBER_CONTEXT = "person.id_number"

PERSON_EXISTS = define(
    "person_exists", 409, "该身份证号码已登记", "A person with this identity number is already registered"
)
PHONE_TAKEN = define(
    "phone_taken", 409, "该手机号已被其他参保人使用", "This phone number belongs to another insured person"
)


def id_number_index(number: str) -> str:
    return crypto.blind_index(number, context=ID_NUMBER_CONTEXT)


def person_create(
    *,
    name: str,
    id_number: str,
    region_code: str,
    insurance_type: str,
    phone: str = "",
    assistance_group: str = Person.AssistanceGroup.NONE,
    household: Household | None = None,
) -> Person:
    facts = parse_id_number(id_number)
    region = region_get(code=region_code)
    person = Person(
        name=name.strip(),
        id_number_encrypted=crypto.encrypt(facts.number, context=ID_NUMBER_CONTEXT),
        id_number_index=id_number_index(facts.number),
        id_number_masked=mask_id_number(facts.number),
        gender=facts.gender,
        phone=phone,
        region=region,
        insurance_type=insurance_type,
        assistance_group=assistance_group,
        household=household,
    )
    try:
        person.full_clean(
            exclude=["id_number_encrypted", "id_number_index", "user", "household"],
            validate_unique=False,
            validate_constraints=False,  # uniqueness is the database's job (see below)
        )
    except ValidationError as exc:
        raise DomainError(INVALID_INPUT, details={"fields": exc.message_dict}) from None
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        if Person.objects.filter(id_number_index=person.id_number_index).exists():
            raise DomainError(PERSON_EXISTS) from exc
        if phone and Person.objects.filter(phone=phone).exists():
            raise DomainError(PHONE_TAKEN) from exc
        raise
    return person


def person_id_number(person: Person) -> str:
    """Decrypt a person's identity number. Callers acting for staff or institutions audit it."""
    return crypto.decrypt(person.id_number_encrypted, context=ID_NUMBER_CONTEXT)


def person_user(*, person: Person) -> User:
    """The sign-in user of a resident, created on first sign-in."""
    if person.user_id is not None:
        assert person.user is not None
        return person.user
    with transaction.atomic():
        locked = Person.objects.select_for_update(no_key=True).get(pk=person.pk)
        if locked.user_id is None:
            user = User.objects.create(username=f"resident-{person.pk}")
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Person.objects.filter(pk=person.pk).update(user=user)
            locked.user = user
        person.user = locked.user
    assert person.user is not None
    return person.user
