"""Issue 17 end to end: specified diseases, prescriptions, emergencies, dual channel and lapses at the
counter and at internet hospitals, with their arithmetic. Amounts are fen (30_000 = 300.00 yuan).

Rules in force: 340600's published employee rules (deductible 200 yuan at level 1 and pharmacies, 60%;
dual channel 500 yuan, 75%), and this file's disease group (tests/portal/diseases/factories.RULES:
deductible 200 yuan, employees 75%, cap 4,000 yuan)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from payments.benefits.models import NegotiatedDrug
from payments.benefits.selectors import year_to_date
from payments.prescriptions.models import PrescriptionUse
from payments.settlement.models import Settlement
from portal.ledger.selectors import account_balance, accounts_out_of_step, personal_account, unbalanced_transactions
from portal.people.models import ContributionLapse
from tests import factories
from tests.payments.online_helpers import authorize_and_pay
from tests.payments.prescriptions import factories as rx
from tests.payments.settlement_helpers import drug, insured, prescribed, scan, settle
from tests.portal.diseases import factories as dz

pytestmark = pytest.mark.django_db

HYPERTENSION = "M03900"  # the disease code the prescription factory writes


@pytest.fixture
def chronic(terminal_api):
    """An employee recognised for hypertension with a chosen level-2 hospital whose doctor D001 is
    authorised for specified diseases; a designated specified-disease pharmacy; a specified-disease
    prescription from the chosen hospital."""
    person = insured(insurance_type="employee", balance_fen=1_000_000)
    hospital = dz.hospital()
    rx.doctor(hospital, "D001", specified_disease=True)
    disease = dz.disease(code=HYPERTENSION)
    dz.approved(person=person, of=disease, institution=hospital, valid_from=timezone.localdate() - dt.timedelta(days=1))
    pharmacy = dz.pharmacy()
    prescription = rx.prescription(person, institution=hospital, specified_disease=True)
    return {
        "person": person,
        "hospital": hospital,
        "disease": disease,
        "pharmacy": terminal_api(pharmacy),
        "prescription": prescription,
    }


def _ytd(person):
    return year_to_date(person=person, year=timezone.localdate().year)


def test_a_chronic_purchase_and_a_general_visit_in_the_same_year_never_share_counters(chronic, terminal_api) -> None:
    person, pharmacy = chronic["person"], chronic["pharmacy"]
    group = f"specified:{chronic['disease'].group.code}"
    body = settle(pharmacy, scan(pharmacy, person), [drug(price=30_000)], prescription_id=chronic["prescription"].pk)
    assert body.status_code == 201, body.json()
    # Specified disease: 300 - 200 (the group's deductible) = 100, at 75% = 75 from the fund.
    assert body.json()["totals"]["fund"]["fen"] == 7_500
    assert _ytd(person).usage == {group: (20_000, 7_500)}
    level1 = terminal_api(factories.institution(kind="hospital", level="1", primary=True))
    visit = settle(level1, scan(level1, person, business_type="01301"), [drug(price=25_000)])
    assert visit.status_code == 201, visit.json()
    # General outpatient still has its whole 200-yuan deductible: 250 - 200 = 50, at 60% = 30 (it was 150).
    assert visit.json()["totals"]["fund"]["fen"] == 3_000
    assert _ytd(person).usage == {group: (20_000, 7_500), "outpatient": (20_000, 3_000)}
    settled = Settlement.objects.get(number=body.json()["settlement"])
    assert (settled.disease_code, settled.prescription_id) == (HYPERTENSION, chronic["prescription"].pk)
    assert not unbalanced_transactions().exists() and not accounts_out_of_step().exists()


def test_the_fourth_use_of_a_specified_disease_prescription_is_refused_and_writes_nothing(chronic) -> None:
    person, pharmacy, prescription = chronic["person"], chronic["pharmacy"], chronic["prescription"]
    for _ in range(3):
        done = settle(pharmacy, scan(pharmacy, person), [drug(price=5_000)], prescription_id=prescription.pk)
        assert done.status_code == 201, done.json()
    uses = PrescriptionUse.objects.filter(prescription=prescription).order_by("n")
    assert [(u.n, u.stamped, u.archived) for u in uses] == [(1, True, False), (2, True, False), (3, False, True)]
    prescription.refresh_from_db()
    assert (prescription.status, prescription.uses) == ("archived", 3)
    account = personal_account(person=person)
    balance, settlements = account_balance(account_id=account.pk), Settlement.objects.count()
    fourth = settle(pharmacy, scan(pharmacy, person), [drug(price=5_000)], prescription_id=prescription.pk)
    assert fourth.status_code == 409 and fourth.json()["code"] == "prescription_used_up"
    assert "3" in fourth.json()["message"]
    assert account_balance(account_id=account.pk) == balance and Settlement.objects.count() == settlements


def test_reversing_a_settlement_gives_the_prescription_use_back(chronic) -> None:
    person, pharmacy, prescription = chronic["person"], chronic["pharmacy"], chronic["prescription"]
    number = settle(pharmacy, scan(pharmacy, person), [drug(price=30_000)], prescription_id=prescription.pk).json()[
        "settlement"
    ]
    assert pharmacy.post(f"/api/v1/scanner/settlements/{number}/reversal").status_code == 200
    prescription.refresh_from_db()
    assert prescription.uses == 0 and _ytd(person).usage.get(f"specified:{chronic['disease'].group.code}") == (0, 0)


def test_a_suspended_resident_is_refused_at_a_pharmacy_but_served_at_the_chosen_institution(
    chronic, terminal_api
) -> None:
    from portal.diseases.models import Recognition

    person, pharmacy = chronic["person"], chronic["pharmacy"]
    dz.violation(recognition=Recognition.objects.get(person=person))
    refused = settle(pharmacy, scan(pharmacy, person), [drug(price=5_000)], prescription_id=chronic["prescription"].pk)
    assert refused.status_code == 422 and refused.json()["code"] == "specified_suspended"
    assert PrescriptionUse.objects.count() == 0  # the claimed use rolled back with the refusal
    hospital = terminal_api(chronic["hospital"])
    served = settle(
        hospital, scan(hospital, person, business_type="01301"), [drug(price=30_000)], disease_code=HYPERTENSION
    )
    assert served.status_code == 201, served.json()
    assert served.json()["totals"]["fund"]["fen"] == 7_500  # the group's rules: (300-200)*75%


def test_a_specified_disease_is_refused_where_it_may_not_be_settled(chronic, terminal_api) -> None:
    person = chronic["person"]
    other_hospital = terminal_api(dz.hospital())
    wrong = settle(
        other_hospital, scan(other_hospital, person, business_type="01301"), [drug()], disease_code=HYPERTENSION
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "specified_wrong_institution"
    ordinary_pharmacy = terminal_api(dz.pharmacy(specified=False))
    body = settle(
        ordinary_pharmacy, scan(ordinary_pharmacy, person), [drug()], prescription_id=chronic["prescription"].pk
    )
    assert body.status_code == 422 and body.json()["code"] == "specified_pharmacy_not_designated"
    stranger = insured(insurance_type="employee")
    unknown = settle(
        chronic["pharmacy"], scan(chronic["pharmacy"], stranger), [drug()], prescription_id=chronic["prescription"].pk
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "prescription_not_found"


def test_a_pharmacy_purchase_without_a_prescription_gets_no_pooling(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    pharmacy = terminal_api(factories.institution(kind="pharmacy"))
    body = settle(pharmacy, scan(pharmacy, person), [drug(price=50_000)]).json()
    # 500 yuan: no prescription, no pooling (it gave 180 before): (500-200)*60% = 180 needs a prescription.
    assert body["totals"]["fund"]["fen"] == 0
    assert [r["code"] for r in body["items"][0]["reasons"]] == ["no_prescription"]
    with_rx = settle(pharmacy, scan(pharmacy, person), [drug(price=50_000)], prescription_id=prescribed(person)).json()
    assert with_rx["totals"]["fund"]["fen"] == 18_000


def test_emergency_care_off_site_is_covered_without_a_filing(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)  # insured in 340600
    elsewhere = terminal_api(factories.institution(kind="hospital", level="1", primary=True, region_code="340500"))
    plain = settle(elsewhere, scan(elsewhere, person, business_type="01301"), [drug(price=30_000)]).json()
    assert plain["totals"]["fund"]["fen"] == 0
    assert plain["items"][0]["reasons"][0]["code"] == "offsite_not_filed"
    emergency = settle(elsewhere, scan(elsewhere, person, business_type="01301"), [drug(price=30_000)], emergency=True)
    assert emergency.status_code == 201, emergency.json()
    # Covered as at home, by the insured region's rules: (300-200)*60% = 60.
    assert emergency.json()["totals"]["fund"]["fen"] == 6_000
    assert Settlement.objects.get(number=emergency.json()["settlement"]).emergency
    pharmacy = terminal_api(factories.institution(kind="pharmacy"))
    refused = settle(pharmacy, scan(pharmacy, person), [drug()], emergency=True)
    assert refused.status_code == 400 and refused.json()["code"] == "emergency_only_at_hospitals"


def test_dual_channel_drugs_need_the_three_fixed_rule_and_pay_their_first_self_pay_share(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=10_000_000)
    region = factories.region("340600")
    NegotiatedDrug.objects.create(
        region=region, code="XL01", name="某谈判药", first_self_pay_bp=1000, effective_from=dt.date(2024, 1, 1)
    )
    hospital = dz.hospital()
    rx.doctor(hospital, "D001", specified_disease=False, dual_channel=True)
    rx.doctor(hospital, "D002", specified_disease=False, dual_channel=False)
    pharmacy = terminal_api(factories.institution(kind="pharmacy", dual_channel=True))
    item = drug(price=100_000, code="XL01", dual_channel=True)
    good = rx.prescription(person, institution=hospital, specified_disease=False, codes=("XL01",), doctor_code="D001")
    body = settle(pharmacy, scan(pharmacy, person), [item], prescription_id=good.pk).json()
    # 1,000 yuan: 10% first self-pay = 100; 900 - 500 dual deductible = 400, at 75% = 300.
    assert body["totals"]["fund"]["fen"] == 30_000
    assert {r["code"] for r in body["items"][0]["reasons"]} == {"first_self_pay", "deductible", "self_pay_ratio"}
    item = drug(price=100_000, code="XL01", dual_channel=True)
    other = rx.prescription(person, institution=hospital, specified_disease=False, codes=("XL01",), doctor_code="D002")
    refused = settle(pharmacy, scan(pharmacy, person), [item], prescription_id=other.pk).json()
    assert refused["totals"]["fund"]["fen"] == 0
    assert [r["code"] for r in refused["items"][0]["reasons"]] == ["dual_channel_not_designated"]


def test_care_during_a_contribution_lapse_gets_no_benefit(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=100_000)
    today = timezone.localdate()
    ContributionLapse.objects.create(person=person, starts_on=today - dt.timedelta(days=3), reason="停缴")
    level1 = terminal_api(factories.institution(kind="hospital", level="1", primary=True))
    body = settle(level1, scan(level1, person, business_type="01301"), [drug(price=30_000)]).json()
    assert body["totals"]["fund"]["fen"] == 0 and body["items"][0]["reasons"][0]["code"] == "no_contribution"
    ContributionLapse.objects.filter(person=person).update(ends_on=today - dt.timedelta(days=1))
    again = settle(level1, scan(level1, person, business_type="01301"), [drug(price=30_000)]).json()
    assert again["totals"]["fund"]["fen"] == 6_000  # the lapse ended yesterday


def test_an_estimate_on_assumed_rules_says_so(resident_api) -> None:
    person = insured(insurance_type="employee")
    level1 = factories.institution(kind="hospital", level="1", primary=True)
    api = resident_api(person)
    body = {"institution_code": level1.code, "items": [{"code": "X", "name": "x", "amount_fen": 30_000}]}
    old = api.post("/api/v1/benefits/estimate", {**body, "service_date": "2023-06-01"}, format="json").json()
    assert old["assumed"] is True and "假定" in old["assumed_message"]
    new = api.post("/api/v1/benefits/estimate", {**body, "service_date": "2024-06-01"}, format="json").json()
    assert new["assumed"] is False and new["assumed_message"] == ""


def test_an_internet_hospital_bills_a_chronic_follow_up_with_the_drugs_delivered(resident_api) -> None:
    from portal.people.services import person_id_number
    from tests.conftest import TerminalClient
    from tests.factories import terminal

    person = insured(insurance_type="employee", balance_fen=1_000_000)
    internet = dz.hospital(kind="internet_hospital")
    allowed = dz.disease(code="M01600", internet_hospital=True)
    dz.approved(person=person, of=allowed, institution=internet, valid_from=timezone.localdate())
    client = TerminalClient(*terminal(of=internet, kind="system"))
    body = {
        "idempotency_key": "chronic-follow-up-2",
        "patient_id_number": person_id_number(person),
        "description": "慢病复诊 · 送药上门",
        "disease_code": "M01600",
        "delivery_address": "安徽省淮北市相山区某路1号",
        "items": [{"code": "F1", "name": "处方药", "amount_fen": 30_000}],
    }
    created = client.post("/api/v1/hospital/orders", body)
    assert created.status_code == 201, created.json()
    # The group's rules: (300 - 200) * 75% = 75; the general outpatient counters stay untouched.
    assert created.json()["split"]["fund"]["fen"] == 7_500
    assert created.json()["disease_code"] == "M01600" and created.json()["delivery_address"].startswith("安徽")
    assert authorize_and_pay(resident_api(person), created.json()["order"]).json()["status"] == "settled"
    assert set(_ytd(person).usage) == {f"specified:{allowed.group.code}"}
    not_online = dz.disease(code="M09900", internet_hospital=False)
    dz.approved(person=person, of=not_online, institution=dz.hospital(), valid_from=timezone.localdate())
    refused = client.post("/api/v1/hospital/orders", {**body, "idempotency_key": "chronic-3", "disease_code": "M09900"})
    assert refused.status_code == 422 and refused.json()["code"] == "specified_not_at_internet_hospital"


def test_an_ordinary_prescription_does_not_open_a_diseases_rules_at_a_pharmacy(chronic) -> None:
    person, pharmacy = chronic["person"], chronic["pharmacy"]
    ordinary = rx.prescription(person, institution=chronic["hospital"], specified_disease=False)
    body = settle(pharmacy, scan(pharmacy, person), [drug()], prescription_id=ordinary.pk, disease_code=HYPERTENSION)
    assert body.status_code == 422 and body.json()["code"] == "specified_disease_prescription_needed"
    other = settle(
        pharmacy, scan(pharmacy, person), [drug()], prescription_id=chronic["prescription"].pk, disease_code="M00000"
    )
    assert other.status_code == 422 and other.json()["code"] == "disease_code_mismatch"
    assert PrescriptionUse.objects.count() == 0


def test_a_long_disease_code_from_the_shipped_lists_settles(terminal_api) -> None:
    person = insured(insurance_type="employee", balance_fen=1_000_000)
    hospital = dz.hospital()
    disease = dz.disease(code="systemic_lupus_erythematosus_x")  # 30 characters, as long as shipped ones get
    dz.approved(person=person, of=disease, institution=hospital, valid_from=timezone.localdate())
    client = terminal_api(hospital)
    body = settle(client, scan(client, person, business_type="01301"), [drug(price=30_000)], disease_code=disease.code)
    assert body.status_code == 201, body.json()
    assert Settlement.objects.get(number=body.json()["settlement"]).disease_code == disease.code


def test_a_terminal_cannot_ask_whether_someone_has_a_disease(terminal_api) -> None:
    from portal.people.services import person_id_number

    person = insured(insurance_type="employee")
    client = terminal_api(factories.institution(kind="hospital", level="1", primary=True))
    body = {
        "id_number": person_id_number(person),
        "disease_code": HYPERTENSION,
        "items": [{"code": "X", "name": "x", "amount_fen": 30_000}],
    }
    refused = client.post("/api/v1/benefits/estimate", body)
    assert refused.status_code == 400 and refused.json()["code"] == "disease_estimate_not_for_terminals"


def test_the_pharmacy_sees_the_recognised_disease_and_open_prescriptions_after_the_scan(chronic) -> None:
    from portal.audit.models import AuditEvent

    person, pharmacy = chronic["person"], chronic["pharmacy"]
    session = scan(pharmacy, person)
    body = pharmacy.get(f"/api/v1/scanner/sessions/{session}/prescriptions").json()
    assert [p["id"] for p in body["results"]] == [chronic["prescription"].pk]
    (disease,) = body["diseases"]
    assert disease["disease_code"] == HYPERTENSION and disease["suspended_at_pharmacies"] is False
    assert disease["chosen_institution"]["code"] == chronic["hospital"].code
    read = AuditEvent.objects.filter(person=person, purpose="scanner: open prescriptions").get()
    assert "disease_recognitions" in read.fields


def test_a_chronic_order_whose_recognition_ended_shows_why_it_cannot_be_paid(resident_api) -> None:
    from portal.diseases.models import Recognition
    from portal.people.services import person_id_number
    from tests.conftest import TerminalClient
    from tests.factories import terminal

    person = insured(insurance_type="employee", balance_fen=1_000_000)
    internet = dz.hospital(kind="internet_hospital")
    disease = dz.disease(code="M01600", internet_hospital=True)
    dz.approved(person=person, of=disease, institution=internet, valid_from=timezone.localdate())
    client = TerminalClient(*terminal(of=internet, kind="system"))
    body = {
        "idempotency_key": "chronic-ended-1",
        "patient_id_number": person_id_number(person),
        "description": "慢病复诊",
        "disease_code": "M01600",
        "items": [{"code": "F1", "name": "处方药", "amount_fen": 30_000}],
    }
    number = client.post("/api/v1/hospital/orders", body).json()["order"]
    Recognition.objects.filter(person=person).update(status="revoked")
    shown = resident_api(person).get(f"/api/v1/payments/orders/{number}")
    assert shown.status_code == 200
    assert shown.json()["split_now"] is None and shown.json()["cannot_pay"]["code"] == "specified_not_recognised"


def test_a_drug_the_prescription_does_not_name_goes_to_review(chronic) -> None:
    """串换药品: the prescription names XC09AA (the factory's); selling XA01 against it is flagged for review,
    and what it names passes."""
    person, pharmacy, prescription = chronic["person"], chronic["pharmacy"], chronic["prescription"]
    switched = settle(pharmacy, scan(pharmacy, person), [drug(code="XA01")], prescription_id=prescription.pk).json()
    assert switched["review"] == "flagged"
    assert [f["rule"] for f in switched["findings"]] == ["not_on_prescription"]
    named = settle(pharmacy, scan(pharmacy, person), [drug(code="XC09AA")], prescription_id=prescription.pk).json()
    assert named["review"] == "none" and named["findings"] == []
