"""The demo city shows the scheme: a recognition, one waiting for review, and a suspension that may now be
lifted on application; building it twice changes nothing."""

import pytest
from django.core.management import call_command

from portal.diseases.models import Recognition, Suspension
from portal.diseases.selectors import recognitions_in_force
from portal.institutions.models import Institution
from tests.portal.diseases import factories as make

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_recognitions_a_review_queue_and_a_suspension_and_is_idempotent(capsys) -> None:
    call_command("demo_data", households=24)
    out = capsys.readouterr().out
    counts = (Recognition.objects.count(), Suspension.objects.count())
    call_command("demo_data", households=24)
    assert (Recognition.objects.count(), Suspension.objects.count()) == counts
    statuses = sorted(Recognition.objects.values_list("status", flat=True))
    assert statuses == ["applied", "approved", "approved", "approved"]
    suspension = Suspension.objects.get()
    assert suspension.status == "active" and suspension.ends_on < make.today()  # may apply for reinstatement
    assert Institution.objects.get(code="P34050400019").specified_disease_pharmacy
    in_force = recognitions_in_force(person_id=suspension.person_id, on=make.today())
    assert {r.disease_code: r.pharmacy_suspended for r in in_force} == {
        "hypertension": True,
        "tumour_chemo_radiotherapy": False,
    }
    assert "门诊规定病种" in out
