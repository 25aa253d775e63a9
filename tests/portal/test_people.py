"""Identity numbers are encrypted at rest, looked up by blind index, masked, and never logged."""

import logging

import pytest
from django.db import connection

from portal.errors import DomainError
from portal.people.models import Person
from portal.people.selectors import person_by_id_number
from portal.people.services import person_create, person_id_number
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_identity_number_is_not_stored_in_plain_text() -> None:
    number = factories.id_number()
    person = factories.person(number=number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    assert number not in stored
    assert number[6:14] in person.birth_date.strftime("%Y%m%d")  # birth date is kept, as a date
    assert person_id_number(Person.objects.get(pk=person.pk)) == number


def test_a_person_is_found_by_identity_number_through_the_blind_index() -> None:
    number = factories.id_number()
    person = factories.person(number=number)
    assert person_by_id_number(id_number=number.lower()) == person
    assert person_by_id_number(id_number=factories.id_number()) is None


def test_the_same_identity_number_cannot_be_registered_twice() -> None:
    number = factories.id_number()
    factories.person(number=number)
    with pytest.raises(DomainError) as caught:
        factories.person(number=number)
    assert caught.value.code == "person_exists"


def test_a_phone_belongs_to_one_person() -> None:
    factories.person(phone="13812345678")
    with pytest.raises(DomainError) as caught:
        factories.person(phone="13812345678")
    assert caught.value.code == "phone_taken"


def test_a_bad_phone_is_refused_with_field_details() -> None:
    factories.region()
    with pytest.raises(DomainError) as caught:
        person_create(
            name="李四", id_number=factories.id_number(), region_code="340600", insurance_type="resident", phone="12345"
        )
    assert caught.value.code == "invalid_input"
    assert "phone" in caught.value.details["fields"]


def test_an_unknown_region_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        person_create(name="李四", id_number=factories.id_number(), region_code="999999", insurance_type="resident")
    assert caught.value.code == "region_unknown"


def test_the_identity_number_never_reaches_the_logs(caplog: pytest.LogCaptureFixture, resident_api) -> None:
    caplog.set_level(logging.DEBUG)
    number = factories.id_number()
    person = factories.person(number=number)
    repr(person), str(person)
    resident_api(person).get("/api/v1/me")
    with pytest.raises(DomainError):
        factories.person(number=number)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert number not in logged
    assert number not in repr(person)
    assert person.id_number_masked in str(person)


def test_rotating_the_encryption_key_re_encrypts_everything_under_the_new_key(settings, capsys) -> None:
    from django.core.management import call_command

    from portal import crypto
    from portal.institutions.services import terminal_secret

    number = factories.id_number()
    person = factories.person(number=number)
    terminal, secret = factories.terminal()
    old_ring = settings.IDENTITY_ENCRYPTION_KEYS
    settings.IDENTITY_ENCRYPTION_KEYS = "k2:" + crypto.generate_key() + "," + old_ring
    person.refresh_from_db()
    assert crypto.needs_reencryption(person.id_number_encrypted)
    call_command("reencrypt_identities")
    person.refresh_from_db()
    terminal.refresh_from_db()
    assert person.id_number_encrypted.startswith("v1:k2:") and terminal.secret_encrypted.startswith("v1:k2:")
    assert person_id_number(person) == number and terminal_secret(terminal) == secret
    assert "people.Person.id_number_encrypted: 1 re-encrypted" in capsys.readouterr().out
