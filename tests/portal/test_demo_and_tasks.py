import pytest
from django.core.management import call_command

from portal.institutions.models import Institution, Terminal
from portal.ledger.selectors import accounts_out_of_step, unbalanced_transactions
from portal.people.models import Person
from portal.tasks import ping

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_every_kind_of_person_and_place_and_is_idempotent(capsys) -> None:
    call_command("demo_data", households=24)
    first = capsys.readouterr().out
    counts = (Person.objects.count(), Institution.objects.count(), Terminal.objects.count())
    call_command("demo_data", households=24)
    assert (Person.objects.count(), Institution.objects.count(), Terminal.objects.count()) == counts
    assert counts[0] >= 60
    assert set(Person.objects.values_list("insurance_type", flat=True)) == {"employee", "retired", "resident"}
    assert set(Person.objects.values_list("assistance_group", flat=True)) == {
        "none",
        "extremely_poor",
        "minimum_allowance",
        "fell_back",
        "monitored",
    }
    assert set(Institution.objects.values_list("kind", flat=True)) == {"hospital", "pharmacy", "internet_hospital"}
    assert Institution.objects.filter(is_primary_level=True).exists()
    assert "DEMO-H34060200001" in first and "13900000001" in first
    assert not unbalanced_transactions().exists()
    assert not accounts_out_of_step().exists()


def test_the_ping_task_round_trips() -> None:
    assert ping.delay("x").get(timeout=5) == "pong:x"
