"""The estimate endpoint, the year-to-date state from settled records, and bad input."""

import datetime as dt
import threading

import pytest
from django.db import connection

from payments.benefits.engine import Item
from payments.benefits.models import BenefitUsage, PolicyRuleSet
from payments.benefits.selectors import year_to_date
from payments.benefits.services import benefit_commit, benefit_estimate, benefit_release
from portal.audit.models import AuditEvent
from portal.people.models import Contribution
from portal.people.services import person_id_number
from tests import factories
from tests.conftest import needs_postgres

pytestmark = pytest.mark.django_db

DAY = "2024-03-01"


def employee(**extra):
    person = factories.person(insurance_type="employee", **extra)
    Contribution.objects.create(person=person, year=2024, paid=True)
    return person


def township():
    return factories.institution(kind="hospital", level="1", primary=True)


def bill(*amounts: int, **flags) -> list[dict]:
    return [{"code": f"F{i}", "name": "诊疗费", "amount_fen": a, **flags} for i, a in enumerate(amounts)]


def test_a_resident_estimates_their_own_bill(resident_api) -> None:
    person = employee()
    place = township()
    response = resident_api(person).post(
        "/api/v1/benefits/estimate",
        {"institution_code": place.code, "service_date": DAY, "items": bill(30000)},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["totals"]["fund"] == {"fen": 6000, "yuan": "60.00"}
    assert body["totals"]["resident"]["yuan"] == "240.00"
    line = body["items"][0]
    assert line["deductible"]["fen"] == 20000 and line["rate_percent"] == "60%"
    assert [r["code"] for r in line["reasons"]] == ["deductible", "self_pay_ratio"]
    assert line["reasons"][0]["message"] == "起付线以下自付"
    assert body["rule_set"]["id"] == PolicyRuleSet.objects.get(effective_from="2023-10-01", region__code="340600").pk
    assert body["year_to_date"]["after"]["outpatient_deductible"]["fen"] == 20000
    assert body["person"]["id_number_masked"] == person.id_number_masked
    assert BenefitUsage.objects.count() == 0  # an estimate changes nothing


def test_reasons_come_in_english_when_asked(resident_api) -> None:
    person = employee()
    response = resident_api(person).post(
        "/api/v1/benefits/estimate",
        {"institution_code": township().code, "service_date": DAY, "items": bill(100, in_catalogue=False)},
        format="json",
        headers={"Accept-Language": "en"},
    )
    assert response.json()["items"][0]["reasons"][0]["message"] == "outside the insurance catalogue"


def test_another_residents_bill_is_not_found(resident_api) -> None:
    me, other = employee(), employee()
    response = resident_api(me).post(
        "/api/v1/benefits/estimate",
        {"person_id": other.pk, "institution_code": township().code, "items": bill(100)},
        format="json",
    )
    assert response.status_code == 404


def test_a_holder_estimates_a_relatives_bill_on_the_relatives_own_benefits(resident_api) -> None:
    from vouchers.family import holding_register_by_staff, holding_request

    holder = employee()
    mother = factories.person(insurance_type="resident", phone="")
    Contribution.objects.create(person=mother, year=2024, paid=True)
    holding = holding_request(holder=holder, name=mother.name, id_number=person_id_number(mother))
    holding_register_by_staff(holding_id=holding.pk)
    response = resident_api(holder).post(
        "/api/v1/benefits/estimate",
        {"person_id": mother.pk, "institution_code": township().code, "service_date": DAY, "items": bill(10000)},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["person"]["id"] == mother.pk
    assert response.json()["totals"]["fund"]["fen"] == 6000  # residents' rules: 60%, no deductible


def test_a_terminal_estimates_for_a_patient_at_its_own_institution_and_it_is_audited(terminal_api) -> None:
    person = employee()
    client = terminal_api(township())
    response = client.post(
        "/api/v1/benefits/estimate",
        {"id_number": person_id_number(person), "service_date": DAY, "items": bill(30000)},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["institution"]["code"] == client.terminal.institution.code
    assert response.json()["totals"]["fund"]["fen"] == 6000
    event = AuditEvent.objects.get(person=person)
    assert event.actor_terminal == client.terminal


def test_a_terminal_must_name_a_registered_patient(terminal_api) -> None:
    client = terminal_api(township())
    missing = client.post("/api/v1/benefits/estimate", {"items": bill(100)})
    assert missing.json()["code"] == "field_required"
    unknown = client.post("/api/v1/benefits/estimate", {"id_number": factories.id_number(), "items": bill(100)})
    assert unknown.status_code == 404 and unknown.json()["code"] == "person_unknown"
    invalid = client.post("/api/v1/benefits/estimate", {"id_number": "110105194912310021", "items": bill(100)})
    assert invalid.json()["code"] == "id_number_invalid"
    assert "110105194912310021" not in invalid.content.decode()


@pytest.mark.parametrize(
    ("payload", "code", "status"),
    [
        ({"institution_code": "NOPE", "items": bill(100)}, "institution_unknown", 400),
        ({"items": bill(100)}, "field_required", 400),
        ({"institution_code": "{place}", "items": bill(-1)}, "invalid_input", 400),
        ({"institution_code": "{place}", "items": bill(12.5)}, "invalid_input", 400),
        ({"institution_code": "{place}", "items": []}, "invalid_input", 400),
        ({"institution_code": "{place}", "items": "lots"}, "invalid_input", 400),
        ({"institution_code": "{place}", "items": [{"name": "x"}]}, "invalid_input", 400),
        ({"institution_code": "{place}", "service_date": "2021-01-01", "items": bill(100)}, "policy_missing", 422),
        ({"institution_code": "{place}", "service_date": "2024-02-30", "items": bill(100)}, "invalid_input", 400),
        ({"institution_code": "{place}", "items": bill(*([100] * 501))}, "too_many_items", 400),
    ],
    ids=[
        "unknown institution",
        "no institution",
        "negative amount",
        "yuan with decimals",
        "no items",
        "items not a list",
        "item without amount",
        "date with no rule set",
        "impossible date",
        "501 items",
    ],
)
def test_bad_input_gets_a_clear_error(resident_api, payload, code, status) -> None:
    place = township()
    payload = {k: (place.code if v == "{place}" else v) for k, v in payload.items()}
    response = resident_api(employee()).post("/api/v1/benefits/estimate", payload, format="json")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message", "details"}


def test_five_hundred_items_are_fine(resident_api) -> None:
    response = resident_api(employee()).post(
        "/api/v1/benefits/estimate",
        {"institution_code": township().code, "service_date": DAY, "items": bill(*([100] * 500))},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["totals"]["amount"]["fen"] == 50000


def test_year_to_date_comes_from_settled_records_and_estimates_agree_with_settlement() -> None:
    person, place = employee(), township()
    day = dt.date(2024, 3, 1)
    items = [Item("F", "诊疗费", 30000)]
    estimate = benefit_estimate(person=person, institution=place, service_date=day, items=items)
    settled = benefit_commit(person=person, institution=place, service_date=day, items=items, reference="S-1")
    assert (estimate.fund_fen, estimate.deductible_fen) == (settled.fund_fen, settled.deductible_fen) == (6000, 20000)
    ytd = year_to_date(person=person, year=2024)
    assert (ytd.deductible("outpatient"), ytd.paid("outpatient")) == (20000, 6000)
    again = benefit_estimate(person=person, institution=place, service_date=day, items=items)
    assert (again.deductible_fen, again.fund_fen) == (0, 18000)  # deductible met: 300*60%
    assert year_to_date(person=person, year=2025).paid("outpatient") == 0  # a new year starts afresh


def test_recording_a_settlement_twice_is_refused_and_a_release_gives_everything_back() -> None:
    from portal.errors import DomainError

    person, place = employee(), township()
    day, items = dt.date(2024, 3, 1), [Item("F", "诊疗费", 30000)]
    benefit_commit(person=person, institution=place, service_date=day, items=items, reference="S-2")
    with pytest.raises(DomainError) as caught:
        benefit_commit(person=person, institution=place, service_date=day, items=items, reference="S-2")
    assert caught.value.code == "benefits_already_recorded"
    assert benefit_release(reference="S-2") == 1
    assert benefit_release(reference="S-2") == 0
    assert year_to_date(person=person, year=2024).deductible("outpatient") == 0


def test_rule_sets_refuse_bad_rates_negative_caps_and_overlaps() -> None:
    from django.core.exceptions import ValidationError

    current = PolicyRuleSet.objects.get(region__code="340600", effective_from=dt.date(2023, 10, 1))
    current.pk = None
    current.effective_from = dt.date(2025, 1, 1)
    current.resident_rate_bp = 10_001
    current.employee_cap_active_fen = -1
    with pytest.raises(ValidationError) as caught:
        current.full_clean()
    assert {"resident_rate_bp", "employee_cap_active_fen", "effective_from"} <= set(caught.value.message_dict)


@needs_postgres()
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_settlements_on_one_day_cannot_both_use_the_remaining_cap() -> None:
    person, place = employee(), township()
    day = dt.date(2024, 3, 1)
    # Deductible met, 1,950 of the 2,000 cap used: 50 yuan left.
    BenefitUsage.objects.create(
        person=person,
        year=2024,
        scheme="outpatient",
        deductible_fen=20000,
        paid_fen=195000,
        reference="earlier",
        service_date=day,
    )
    barrier = threading.Barrier(2)
    funds: list[int] = []

    def settle(reference: str) -> None:
        try:
            barrier.wait()
            result = benefit_commit(
                person=person,
                institution=place,
                service_date=day,
                items=[Item("F", "诊疗费", 20000)],
                reference=reference,
            )
            funds.append(result.fund_fen)
        finally:
            connection.close()

    threads = [threading.Thread(target=settle, args=(f"S-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(funds) == [0, 5000]  # 120 wanted each; only 50 left, used once
    assert year_to_date(person=person, year=2024).paid("outpatient") == 200000
