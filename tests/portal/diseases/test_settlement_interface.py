"""The interface settlement calls: which recognitions are in force on a day, with what rules, and why an
institution may not settle a recognised disease (every refusal code)."""

import datetime as dt

import pytest

from portal.diseases import errors
from portal.diseases.models import Recognition
from portal.diseases.selectors import (
    RecognitionInForce,
    recognition_in_force,
    recognitions_in_force,
    specified_disease_refusal,
)
from portal.errors import CATALOGUE, DomainError
from portal.people.models import Person
from tests import factories
from tests.portal.diseases import factories as make

pytestmark = pytest.mark.django_db


def test_a_recognition_in_force_carries_what_settlement_needs() -> None:
    person = factories.person(insurance_type="retired")
    hospital = make.hospital()
    disease = make.disease(internet_hospital=True)
    recognition = make.approved(person=person, of=disease, institution=hospital)
    found = recognition_in_force(person_id=person.pk, disease_code=disease.code, on=make.today())
    assert found == RecognitionInForce(
        recognition_id=recognition.pk,
        disease_code=disease.code,
        disease_name_zh=disease.name_zh,
        disease_name_en=disease.name_en,
        group_code=disease.group.code,
        institution_id=hospital.pk,
        choice_exempt=False,
        internet_hospital=True,
        valid_to=recognition.valid_to,
        pharmacy_suspended=False,
        rules=found.rules,
    )
    assert found.rules is not None and (found.rules.rate_bp, found.rules.annual_cap_fen) == (8000, 5_000_00)


def test_all_recognitions_in_force_are_listed_and_nothing_else() -> None:
    person = factories.person()
    exempt = make.approved(person=person, of=make.disease(choice_exempt=True))
    chronic = make.approved(person=person, of=make.disease())
    make.applied(person=person, of=make.disease())
    rejected = make.applied(person=person, of=make.disease())
    Recognition.objects.filter(pk=rejected.pk).update(status="rejected")
    make.approved(person=factories.person(), of=chronic.disease)  # someone else's
    found = recognitions_in_force(person_id=person.pk, on=make.today())
    assert {r.recognition_id for r in found} == {exempt.pk, chronic.pk}
    assert next(r for r in found if r.recognition_id == exempt.pk).institution_id is None


def test_a_recognition_is_in_force_only_within_its_period() -> None:
    person, disease = factories.person(), make.disease()
    today = make.today()
    make.approved(
        person=person, of=disease, valid_from=today + dt.timedelta(days=1), valid_to=today + dt.timedelta(days=30)
    )
    assert recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today) is None
    assert recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today + dt.timedelta(days=1))
    assert recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today + dt.timedelta(days=30))
    assert (
        recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today + dt.timedelta(days=31)) is None
    )
    assert recognition_in_force(person_id=person.pk, disease_code="other", on=today + dt.timedelta(days=2)) is None


def test_a_revoked_recognition_still_answers_for_the_days_before_its_revocation() -> None:
    from portal.diseases import services

    person, disease = factories.person(), make.disease()
    today = make.today()
    recognition = make.approved(person=person, of=disease, valid_from=today - dt.timedelta(days=10))
    services.recognition_revoke(recognition_id=recognition.pk, reviewer=make.staff(), note="复查不符")
    assert recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today - dt.timedelta(days=1))
    assert recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today) is None


def test_a_person_who_moved_region_keeps_no_recognition_of_the_old_regions_list() -> None:
    person, disease = factories.person(), make.disease()
    make.approved(person=person, of=disease)
    Person.objects.filter(pk=person.pk).update(region=factories.region("340500"))
    assert recognition_in_force(person_id=person.pk, disease_code=disease.code, on=make.today()) is None


def test_reading_recognitions_in_force_takes_a_fixed_handful_of_queries(django_assert_max_num_queries) -> None:
    person = factories.person()
    for _ in range(4):
        make.approved(person=person, of=make.disease())
    with django_assert_max_num_queries(3):
        assert len(recognitions_in_force(person_id=person.pk, on=make.today())) == 4


def test_the_refusal_codes_are_registered_and_raise_without_parameters() -> None:
    for code in errors.SETTLEMENT_REFUSALS:
        assert CATALOGUE[code].status == 422
        error = DomainError(code, code="hypertension")  # settlement names the disease; the words need not
        assert "{" not in error.message("zh-hans") and "{" not in error.message("en")


def _in_force(person: Person, disease) -> RecognitionInForce:
    found = recognition_in_force(person_id=person.pk, disease_code=disease.code, on=make.today())
    assert found is not None
    return found


@pytest.fixture
def chronic():
    """An approved chronic disease (not exempt, not for internet hospitals) with its chosen hospital."""
    person, hospital = factories.person(), make.hospital()
    disease = make.disease()
    make.approved(person=person, of=disease, institution=hospital)
    return _in_force(person, disease), hospital


def test_the_chosen_hospital_settles_and_another_does_not(chronic) -> None:
    recognition, hospital = chronic
    assert (
        specified_disease_refusal(recognition=recognition, institution=hospital, prescriber_institution_id=None) is None
    )
    other = make.hospital()
    assert (
        specified_disease_refusal(recognition=recognition, institution=other, prescriber_institution_id=None)
        == errors.SPECIFIED_WRONG_INSTITUTION
    )


def test_a_chosen_hospital_that_lost_its_designation_no_longer_settles(chronic) -> None:
    recognition, hospital = chronic
    hospital.designated = False
    assert (
        specified_disease_refusal(recognition=recognition, institution=hospital, prescriber_institution_id=None)
        == errors.SPECIFIED_WRONG_INSTITUTION
    )


def test_an_internet_hospital_settles_only_diseases_listed_for_internet_hospitals(chronic) -> None:
    recognition, _ = chronic
    online = make.hospital(kind="internet_hospital")
    assert (
        specified_disease_refusal(recognition=recognition, institution=online, prescriber_institution_id=None)
        == errors.SPECIFIED_NOT_AT_INTERNET_HOSPITAL
    )
    person, disease = factories.person(), make.disease(internet_hospital=True)
    make.approved(person=person, of=disease, institution=online)
    internet = _in_force(person, disease)
    assert specified_disease_refusal(recognition=internet, institution=online, prescriber_institution_id=None) is None
    another_online = make.hospital(kind="internet_hospital")
    assert (
        specified_disease_refusal(recognition=internet, institution=another_online, prescriber_institution_id=None)
        == errors.SPECIFIED_WRONG_INSTITUTION
    )


def test_a_choice_exempt_disease_settles_at_any_designated_hospital_of_the_region() -> None:
    person, disease = factories.person(), make.disease(choice_exempt=True)
    make.approved(person=person, of=disease)
    recognition = _in_force(person, disease)
    assert recognition.choice_exempt and recognition.institution_id is None
    for hospital, expected in [
        (make.hospital(), None),
        (make.hospital(), None),
        (make.hospital(region_code="340500"), errors.SPECIFIED_WRONG_INSTITUTION),
        (make.hospital(designated=False), errors.SPECIFIED_WRONG_INSTITUTION),
        (make.hospital(kind="internet_hospital"), errors.SPECIFIED_NOT_AT_INTERNET_HOSPITAL),
    ]:
        assert (
            specified_disease_refusal(recognition=recognition, institution=hospital, prescriber_institution_id=None)
            == expected
        )


def test_a_pharmacy_settles_with_a_prescription_of_the_chosen_institution(chronic) -> None:
    recognition, hospital = chronic
    pharmacy = make.pharmacy()
    refusal = specified_disease_refusal
    assert refusal(recognition=recognition, institution=pharmacy, prescriber_institution_id=hospital.pk) is None
    assert (
        refusal(recognition=recognition, institution=pharmacy, prescriber_institution_id=make.hospital().pk)
        == errors.SPECIFIED_PRESCRIBER_NOT_CHOSEN
    )
    assert (
        refusal(recognition=recognition, institution=pharmacy, prescriber_institution_id=None)
        == errors.SPECIFIED_PRESCRIBER_NOT_CHOSEN
    )


@pytest.mark.parametrize(
    "pharmacy",
    [
        lambda: make.pharmacy(specified=False),
        lambda: make.pharmacy(region_code="340500"),
        lambda: _undesignated(make.pharmacy()),
    ],
    ids=["not a specified-disease pharmacy", "another region's", "not designated"],
)
def test_only_a_designated_specified_disease_pharmacy_of_the_region_settles(chronic, pharmacy) -> None:
    recognition, hospital = chronic
    assert (
        specified_disease_refusal(
            recognition=recognition, institution=pharmacy(), prescriber_institution_id=hospital.pk
        )
        == errors.SPECIFIED_PHARMACY_NOT_DESIGNATED
    )


def _undesignated(institution):
    institution.designated = False
    return institution


def test_a_choice_exempt_disease_takes_a_prescription_of_any_designated_institution_of_the_region() -> None:
    person, disease = factories.person(), make.disease(choice_exempt=True)
    make.approved(person=person, of=disease)
    recognition = _in_force(person, disease)
    pharmacy = make.pharmacy()
    for prescriber, expected in [
        (make.hospital(), None),
        (make.hospital(region_code="340500"), errors.SPECIFIED_PRESCRIBER_NOT_CHOSEN),
        (make.hospital(designated=False), errors.SPECIFIED_PRESCRIBER_NOT_CHOSEN),
        (make.pharmacy(), errors.SPECIFIED_PRESCRIBER_NOT_CHOSEN),
        (make.hospital(kind="internet_hospital"), errors.SPECIFIED_NOT_AT_INTERNET_HOSPITAL),
    ]:
        assert (
            specified_disease_refusal(
                recognition=recognition, institution=pharmacy, prescriber_institution_id=prescriber.pk
            )
            == expected
        )


def test_a_suspension_stops_pharmacies_but_not_the_chosen_institution() -> None:
    person, hospital, disease = factories.person(), make.hospital(), make.disease()
    recognition = make.approved(person=person, of=disease, institution=hospital)
    make.violation(recognition=recognition)
    found = _in_force(person, disease)
    assert found.pharmacy_suspended
    pharmacy = make.pharmacy()
    assert (
        specified_disease_refusal(recognition=found, institution=pharmacy, prescriber_institution_id=hospital.pk)
        == errors.SPECIFIED_SUSPENDED
    )
    assert specified_disease_refusal(recognition=found, institution=hospital, prescriber_institution_id=None) is None
    # Other diseases of the person are not suspended.
    other = make.disease()
    make.approved(person=person, of=other, institution=hospital)
    assert not _in_force(person, other).pharmacy_suspended
