"""The lists and group rules as data: the shipped lists of two regions, rules resolved per insurance type and
date, non-overlapping periods (validation and database checks), and the public list endpoint."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from payments.benefits.engine import DiseaseRules
from portal.diseases.models import Disease, DiseaseGroup, DiseaseGroupRules, ReinstatementCommitment
from portal.diseases.selectors import recognition_in_force
from tests import factories
from tests.portal.diseases import factories as make

pytestmark = pytest.mark.django_db


def test_maanshan_ships_its_list_with_the_five_diseases_exempt_from_choosing_an_institution() -> None:
    diseases = Disease.objects.filter(region__code="340500")
    exempt = set(diseases.filter(choice_exempt=True).values_list("name_zh", flat=True))
    assert exempt == {"恶性肿瘤放化疗", "尿毒症透析", "器官移植术后抗排异治疗", "恶性肿瘤巩固期前治疗", "恶性肿瘤随访"}
    assert {"高血压", "糖尿病", "冠心病"} <= set(diseases.values_list("name_zh", flat=True))
    rules = DiseaseGroupRules.objects.filter(group__region__code="340500")
    assert rules.count() == 2 and all(r.assumed and "ASSUMED" in r.source for r in rules)


def test_ningxia_ships_thirty_chronic_diseases_seventeen_of_them_at_internet_hospitals() -> None:
    diseases = Disease.objects.filter(region__code="640000")
    assert diseases.count() == 30
    assert diseases.filter(internet_hospital=True).count() == 17
    assert set(diseases.filter(long_prescription=True).values_list("code", flat=True)) == {"hypertension", "diabetes"}
    assert DiseaseGroup.objects.filter(region__code="640000").count() == 1
    rules = DiseaseGroupRules.objects.get(group__region__code="640000")
    assert rules.resident_rate_bp >= 6000 and rules.employee_rate_bp >= 6000 and rules.retiree_rate_bp >= 6000
    assert rules.assumed and "ASSUMED" in rules.source and "60%" in rules.source


def test_a_reinstatement_commitment_wording_is_shipped() -> None:
    text = ReinstatementCommitment.objects.get(version="2026.1")
    assert "承诺" in text.text_zh and "undertake" in text.text_en


@pytest.mark.parametrize(
    ("insurance_type", "rate_bp", "cap_fen"),
    [("employee", 7500, 4_000_00), ("retired", 8000, 5_000_00), ("resident", 6000, 3_000_00)],
)
def test_the_rules_follow_the_persons_insurance_type(insurance_type, rate_bp, cap_fen) -> None:
    disease = make.disease()
    person = factories.person(insurance_type=insurance_type)
    make.approved(person=person, of=disease)
    found = recognition_in_force(person_id=person.pk, disease_code=disease.code, on=make.today())
    assert found is not None
    assert found.rules == DiseaseRules(
        group=disease.group.code, deductible_fen=200_00, rate_bp=rate_bp, annual_cap_fen=cap_fen, assumed=False
    )


def test_the_rules_follow_the_date_and_are_none_when_no_period_covers_it() -> None:
    group = make.group(with_rules=False)
    today = make.today()
    make.rules(group, effective_from=today - dt.timedelta(days=400), effective_to=today - dt.timedelta(days=1))
    make.rules(group, effective_from=today, resident_rate_bp=7000, assumed=True)
    disease = make.disease(of=group)
    person = factories.person(insurance_type="resident")
    make.approved(person=person, of=disease, valid_from=today - dt.timedelta(days=30))
    yesterday = recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today - dt.timedelta(days=1))
    now = recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today)
    assert yesterday is not None and yesterday.rules is not None and yesterday.rules.rate_bp == 6000
    assert now is not None and now.rules is not None and now.rules.rate_bp == 7000 and now.rules.assumed
    DiseaseGroupRules.objects.filter(group=group).delete()
    bare = recognition_in_force(person_id=person.pk, disease_code=disease.code, on=today)
    assert bare is not None and bare.rules is None


def _unsaved(group: DiseaseGroup, start: dt.date, end: dt.date | None, **fields) -> DiseaseGroupRules:
    return DiseaseGroupRules(group=group, effective_from=start, effective_to=end, **{**make.RULES, **fields})


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2024, 6, 1), None),  # starts inside the open period
        (dt.date(2023, 1, 1), dt.date(2024, 1, 1)),  # ends on its first day
        (dt.date(2023, 1, 1), None),  # covers it all
    ],
    ids=["inside", "touching the start", "covering"],
)
def test_overlapping_rule_periods_are_refused(start, end) -> None:
    group = make.group()  # rules from 2024-01-01, open
    with pytest.raises(ValidationError) as refused:
        _unsaved(group, start, end).full_clean()
    assert "effective_from" in refused.value.message_dict


def test_adjacent_rule_periods_are_accepted_and_other_groups_do_not_count() -> None:
    group = make.group(with_rules=False)
    make.rules(group, effective_from=dt.date(2023, 1, 1), effective_to=dt.date(2023, 12, 31))
    _unsaved(group, dt.date(2024, 1, 1), None).full_clean()
    make.group().rules.get()  # another group's open period from 2024-01-01
    _unsaved(group, dt.date(2024, 1, 1), None).full_clean()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"employee_rate_bp": 10_001}, "employee_rate_bp"),
        ({"resident_cap_fen": -1}, "resident_cap_fen"),
        ({"deductible_fen": -100}, "deductible_fen"),
    ],
)
def test_rule_validation_names_the_wrong_field(fields, field) -> None:
    with pytest.raises(ValidationError) as refused:
        _unsaved(make.group(with_rules=False), dt.date(2024, 1, 1), None, **fields).full_clean()
    assert field in refused.value.message_dict


def test_rule_validation_refuses_an_end_before_the_start() -> None:
    with pytest.raises(ValidationError) as refused:
        _unsaved(make.group(with_rules=False), dt.date(2024, 1, 1), dt.date(2023, 1, 1)).full_clean()
    assert "effective_to" in refused.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"retiree_rate_bp": 10_001},
        {"employee_cap_fen": -1},
        {"deductible_fen": -1},
        {"effective_to": dt.date(2023, 12, 31)},
    ],
    ids=["rate above 100%", "negative cap", "negative deductible", "end before start"],
)
def test_the_database_refuses_impossible_rules_too(fields) -> None:
    group = make.group(with_rules=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiseaseGroupRules.objects.create(group=group, effective_from=dt.date(2024, 1, 1), **{**make.RULES, **fields})


def test_a_disease_must_belong_to_a_group_of_its_own_region() -> None:
    other = make.group(region_code="340500")
    disease = Disease(region=factories.region("340600"), code="x", name_zh="x", name_en="x", group=other)
    with pytest.raises(ValidationError) as refused:
        disease.full_clean()
    assert "group" in refused.value.message_dict


def test_anyone_may_read_a_regions_list_with_todays_rules_and_the_institutions_to_choose(api) -> None:
    make.hospital(region_code="340500")
    make.pharmacy(region_code="340500")
    response = api.get("/api/v1/diseases", {"region": "340500"}, headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["region"]["code"] == "340500"
    assert {g["code"] for g in body["groups"]} == {"special", "chronic"}
    chronic = next(g for g in body["groups"] if g["code"] == "chronic")
    assert chronic["rules_today"]["deductible"] == {"fen": 300_00, "yuan": "300.00"}
    assert chronic["rules_today"]["assumed"] is True
    hypertension = next(d for d in body["diseases"] if d["code"] == "hypertension")
    assert hypertension["name"] == "Hypertension" and hypertension["choice_exempt"] is False
    assert {i["kind"] for i in body["institutions"]} <= {"hospital", "internet_hospital"}


def test_a_resident_reads_their_own_regions_list_by_default(resident_api) -> None:
    disease = make.disease()
    body = resident_api(factories.person()).get("/api/v1/diseases").json()
    assert body["region"]["code"] == "340600"
    assert [d["code"] for d in body["diseases"]] == [disease.code]
    assert body["diseases"][0]["name"] == disease.name_zh


def test_the_list_refuses_a_missing_or_unknown_region(api) -> None:
    missing = api.get("/api/v1/diseases")
    assert missing.status_code == 400 and missing.json()["code"] == "disease_region_required"
    unknown = api.get("/api/v1/diseases", {"region": "999999"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "disease_region_unknown"


def test_inactive_diseases_are_not_listed(api) -> None:
    make.disease(active=False)
    assert api.get("/api/v1/diseases", {"region": "340600"}).json()["diseases"] == []
