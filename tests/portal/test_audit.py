"""Staff access to a person's data leaves an audit row."""

import pytest
from django.test import Client

from portal.audit.models import AuditEvent
from portal.people.models import User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> tuple[Client, User]:
    user = User.objects.create_superuser("ops", password="a-long-test-password")
    client = Client()
    client.force_login(user)
    return client, user


def test_opening_a_person_in_the_admin_is_audited(staff_client) -> None:
    client, user = staff_client
    person = factories.person()
    response = client.get(f"/admin/people/person/{person.pk}/change/")
    assert response.status_code == 200
    assert person.id_number_masked.encode() in response.content
    event = AuditEvent.objects.get(person=person)
    assert (event.action, event.actor_user, event.purpose) == ("read", user, "admin: person page")


def test_searching_the_admin_by_full_identity_number_uses_the_blind_index(staff_client) -> None:
    client, _ = staff_client
    number = factories.id_number()
    person = factories.person(number=number, name="王五")
    factories.person(name="赵六")
    response = client.get("/admin/people/person/", {"q": number})
    assert "王五" in response.content.decode()
    assert "赵六" not in response.content.decode()
    assert person.id_number_masked in response.content.decode()


def test_adding_a_person_in_the_admin_validates_and_encrypts_the_identity_number(staff_client) -> None:
    client, _ = staff_client
    region = factories.region()
    form = {
        "name": "陈七",
        "phone": "13712345678",
        "region": region.pk,
        "insurance_type": "resident",
        "assistance_group": "none",
        "contributions-TOTAL_FORMS": "0",
        "contributions-INITIAL_FORMS": "0",
    }
    bad = client.post("/admin/people/person/add/", {**form, "id_number": "110105194912310021"})
    assert bad.status_code == 200
    assert "最后一位不对" in bad.content.decode()  # staff read the same plain words
    good = client.post("/admin/people/person/add/", {**form, "id_number": "11010519491231002X"})
    assert good.status_code == 302
    event = AuditEvent.objects.get(action="create")
    assert event.person.name == "陈七"
