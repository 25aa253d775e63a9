"""What the settlement calls: preview, claim a use (stamped, archived, used up, expired), give it back."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from payments.prescriptions.models import Prescription, PrescriptionEvent, PrescriptionUse
from payments.prescriptions.services import (
    ClaimedPrescription,
    prescription_claim,
    prescription_preview,
    prescription_release,
)
from payments.settlement.audit import add_months
from portal.errors import DomainError
from tests import factories
from tests.conftest import needs_postgres
from tests.payments.prescriptions import factories as rx
from tests.payments.settlement_helpers import insured

pytestmark = pytest.mark.django_db


def _claim(prescription, person, settlement: str, *, on=None, pharmacy=None) -> ClaimedPrescription:
    return prescription_claim(
        prescription_id=prescription.pk,
        person_id=person.pk,
        institution=pharmacy or factories.institution(kind="pharmacy"),
        settlement_number=settlement,
        on=on or timezone.localdate(),
    )


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


def test_the_first_and_second_uses_are_stamped_and_the_third_archived() -> None:
    person = insured()
    prescription = rx.prescription(person)
    claims = [_claim(prescription, person, f"S{n}") for n in (1, 2, 3)]
    assert [(c.use_number, c.uses_left) for c in claims] == [(1, 2), (2, 1), (3, 0)]
    uses = list(PrescriptionUse.objects.filter(prescription=prescription).order_by("n"))
    assert [(u.n, u.settlement_number, u.stamped, u.archived) for u in uses] == [
        (1, "S1", True, False),
        (2, "S2", True, False),
        (3, "S3", False, True),
    ]
    prescription.refresh_from_db()
    assert (prescription.status, prescription.uses) == ("archived", 3)
    last = PrescriptionEvent.objects.filter(prescription=prescription).last()
    assert (last.from_status, last.to_status) == ("open", "archived")
    assert "S3" in last.note


def test_a_fourth_use_is_refused_as_used_up_and_records_nothing() -> None:
    person = insured()
    prescription = rx.prescription(person)
    for n in (1, 2, 3):
        _claim(prescription, person, f"S{n}")
    refused = _refusal(lambda: _claim(prescription, person, "S4"))
    assert (refused.code, refused.status) == ("prescription_used_up", 409)
    assert "3 times within 3 months" in refused.message("en")
    assert PrescriptionUse.objects.filter(prescription=prescription).count() == 3
    assert (
        _refusal(
            lambda: prescription_preview(prescription_id=prescription.pk, person_id=person.pk, on=timezone.localdate())
        ).code
        == "prescription_used_up"
    )


def test_an_ordinary_prescription_is_used_once() -> None:
    person = insured()
    prescription = rx.prescription(person, specified_disease=False)
    claimed = _claim(prescription, person, "S1")
    assert (claimed.use_number, claimed.uses_left, claimed.specified_disease) == (1, 0, False)
    use = PrescriptionUse.objects.get(prescription=prescription)
    assert (use.stamped, use.archived) == (False, True)
    prescription.refresh_from_db()
    assert prescription.status == "used"
    assert _refusal(lambda: _claim(prescription, person, "S2")).code == "prescription_used_up"


def test_a_specified_disease_prescription_may_be_used_until_three_months_after_issue_and_not_after() -> None:
    person = insured()
    issued = timezone.localdate() - dt.timedelta(days=20)
    prescription = rx.prescription(person, issued_on=issued)
    last_day = add_months(issued, 3)
    assert prescription.valid_until == last_day
    assert _claim(prescription, person, "S1", on=last_day).use_number == 1
    refused = _refusal(lambda: _claim(prescription, person, "S2", on=last_day + dt.timedelta(days=1)))
    assert (refused.code, refused.details["valid_until"]) == ("prescription_expired", last_day.isoformat())
    assert last_day.isoformat() in refused.message("en")
    prescription.refresh_from_db()
    assert prescription.uses == 1


def test_another_persons_prescription_is_not_found_like_a_missing_one() -> None:
    owner, other = insured(), insured()
    prescription = rx.prescription(owner)
    theirs = _refusal(lambda: _claim(prescription, other, "S1"))
    missing = _refusal(
        lambda: prescription_preview(
            prescription_id=prescription.pk + 1000, person_id=owner.pk, on=timezone.localdate()
        )
    )
    assert theirs.code == missing.code == "prescription_not_found"
    assert theirs.status == 404 and theirs.details == missing.details == {}
    assert not PrescriptionUse.objects.exists()


def test_a_cancelled_prescription_cannot_be_used() -> None:
    person = insured()
    prescription = rx.prescription(person)
    Prescription.objects.filter(pk=prescription.pk).update(status="cancelled")
    assert _refusal(lambda: _claim(prescription, person, "S1")).code == "prescription_cancelled"


def test_the_preview_checks_like_a_claim_and_records_nothing() -> None:
    person = insured()
    hospital = rx.issuer()
    rx.doctor(hospital, "D9", specified_disease=True, dual_channel=True)
    prescription = rx.prescription(person, institution=hospital, doctor_code="D9", codes=("A1", "B2"))
    preview = prescription_preview(prescription_id=prescription.pk, person_id=person.pk, on=timezone.localdate())
    assert preview == ClaimedPrescription(
        prescription_id=prescription.pk,
        number=prescription.number,
        kind="electronic",
        issuer_institution_id=hospital.pk,
        doctor_code="D9",
        doctor_specified_disease=True,
        doctor_dual_channel=True,
        specified_disease=True,
        disease_code="M03900",
        issued_on=prescription.issued_on,
        use_number=1,
        uses_left=2,
    )
    assert not PrescriptionUse.objects.exists()
    prescription.refresh_from_db()
    assert prescription.uses == 0
    claimed = _claim(prescription, person, "S1")
    assert claimed == preview


def test_an_inactive_or_unauthorised_doctor_is_reported_as_such() -> None:
    person = insured()
    hospital = rx.issuer()
    rx.doctor(hospital, "D1", specified_disease=True, dual_channel=True, active=False)
    rx.doctor(rx.issuer(), "D2", specified_disease=True, dual_channel=True)  # another hospital's D2
    for code in ("D1", "D2", "D3"):
        prescription = rx.prescription(person, institution=hospital, doctor_code=code)
        claimed = _claim(prescription, person, "S1")
        assert (claimed.doctor_specified_disease, claimed.doctor_dual_channel) == (False, False)


def test_the_same_settlement_cannot_use_a_prescription_twice() -> None:
    person = insured()
    prescription = rx.prescription(person)
    _claim(prescription, person, "S1")
    assert _refusal(lambda: _claim(prescription, person, "S1")).code == "prescription_use_duplicate"
    prescription.refresh_from_db()
    assert prescription.uses == 1  # refused before anything was written


def test_a_refused_claim_inside_the_settlements_transaction_leaves_the_transaction_usable() -> None:
    person = insured()
    prescription = rx.prescription(person, specified_disease=False)
    with transaction.atomic():
        _claim(prescription, person, "S1")
        with pytest.raises(DomainError):
            _claim(prescription, person, "S2")
        assert Prescription.objects.get(pk=prescription.pk).uses == 1  # still usable
    assert PrescriptionUse.objects.filter(prescription=prescription).count() == 1


def test_a_release_gives_the_use_back_reopens_the_prescription_and_twice_does_nothing() -> None:
    person = insured()
    prescription = rx.prescription(person)
    for n in (1, 2, 3):
        _claim(prescription, person, f"S{n}")
    assert prescription_release(settlement_number="S2") == 1
    assert prescription_release(settlement_number="S2") == 0
    assert prescription_release(settlement_number="S-unknown") == 0
    prescription.refresh_from_db()
    assert (prescription.status, prescription.uses) == ("open", 2)
    released = PrescriptionUse.objects.get(settlement_number="S2")
    assert released.released_at is not None
    event = PrescriptionEvent.objects.filter(prescription=prescription).last()
    assert (event.from_status, event.to_status) == ("archived", "open")
    assert "S2" in event.note
    # The freed slot is used again, and this is the last use: archived once more.
    again = _claim(prescription, person, "S4")
    assert (again.use_number, again.uses_left) == (3, 0)
    assert PrescriptionUse.objects.get(settlement_number="S4").n == 2
    prescription.refresh_from_db()
    assert prescription.status == "archived"


def test_a_use_given_back_after_the_last_day_does_not_reopen_the_prescription() -> None:
    person = insured()
    prescription = rx.prescription(
        person, specified_disease=False, issued_on=timezone.localdate() - dt.timedelta(days=2)
    )
    _claim(prescription, person, "S1")
    Prescription.objects.filter(pk=prescription.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert prescription_release(settlement_number="S1") == 1
    prescription.refresh_from_db()
    assert (prescription.status, prescription.uses) == ("used", 0)
    event = PrescriptionEvent.objects.filter(prescription=prescription).last()
    assert (event.from_status, event.to_status) == ("used", "used")


def _race(calls: list) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def go(call) -> None:
        try:
            barrier.wait()
            with transaction.atomic():  # as inside a settlement
                call()
            outcomes.append("claimed")
        except DomainError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_claims_of_the_last_use_at_once_exactly_one_wins() -> None:
    person = insured()
    prescription = rx.prescription(person)
    _claim(prescription, person, "S1")
    _claim(prescription, person, "S2")
    pharmacy = factories.institution(kind="pharmacy")
    outcomes = _race([lambda n=n: _claim(prescription, person, f"S-last-{n}", pharmacy=pharmacy) for n in (1, 2)])
    assert sorted(outcomes) == ["claimed", "prescription_used_up"], outcomes
    prescription.refresh_from_db()
    assert (prescription.status, prescription.uses) == ("archived", 3)
    assert PrescriptionUse.objects.filter(prescription=prescription, released_at__isnull=True).count() == 3


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_settlements_racing_for_three_uses_get_exactly_three() -> None:
    person = insured()
    prescription = rx.prescription(person)
    pharmacy = factories.institution(kind="pharmacy")
    outcomes = _race([lambda n=n: _claim(prescription, person, f"S-{n}", pharmacy=pharmacy) for n in range(8)])
    assert outcomes.count("claimed") == 3, outcomes
    assert set(outcomes) == {"claimed", "prescription_used_up"}
    uses = PrescriptionUse.objects.filter(prescription=prescription)
    assert sorted(uses.values_list("n", flat=True)) == [1, 2, 3]
    assert sorted(uses.values_list("stamped", "archived")) == [(False, True), (True, False), (True, False)]


def test_a_claim_costs_two_statements_and_three_at_the_last_use(django_assert_num_queries) -> None:
    person = insured()
    prescription = rx.prescription(person)
    pharmacy = factories.institution(kind="pharmacy")
    _claim(prescription, person, "S1", pharmacy=pharmacy)
    with django_assert_num_queries(2):  # the update, the use
        _claim(prescription, person, "S2", pharmacy=pharmacy)
    with django_assert_num_queries(3):  # and the history row of the move to archived
        _claim(prescription, person, "S3", pharmacy=pharmacy)
    fresh = rx.prescription(person)
    with django_assert_num_queries(1):  # the preview: the prescription with its doctor
        prescription_preview(prescription_id=fresh.pk, person_id=person.pk, on=timezone.localdate())


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_uses_given_back_while_others_claim_keep_the_counter_and_the_slots_in_step() -> None:
    person = insured()
    prescription = rx.prescription(person)
    for n in (1, 2, 3):
        _claim(prescription, person, f"S{n}")
    pharmacy = factories.institution(kind="pharmacy")
    calls = [lambda: prescription_release(settlement_number="S1"), lambda: prescription_release(settlement_number="S2")]
    calls += [lambda n=n: _claim(prescription, person, f"S-new-{n}", pharmacy=pharmacy) for n in range(4)]
    outcomes = _race(calls)
    assert set(outcomes) <= {"claimed", "prescription_used_up"}, outcomes
    prescription.refresh_from_db()
    held = PrescriptionUse.objects.filter(prescription=prescription, released_at__isnull=True)
    assert prescription.uses == held.count() <= 3
    assert len(set(held.values_list("n", flat=True))) == held.count()
    assert prescription.uses == 3 - 2 + (outcomes.count("claimed") - 2)  # two releases ran as "claimed" too
    assert prescription.status == ("archived" if prescription.uses == 3 else "open")
