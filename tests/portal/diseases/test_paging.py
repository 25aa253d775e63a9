"""The recognition and suspension lists come a page at a time, newest first (portal.pagination), each row
only of people I act for."""

import pytest

from tests import factories
from tests.portal.diseases import factories as make

pytestmark = pytest.mark.django_db

RECOGNITIONS = "/api/v1/diseases/recognitions"
SUSPENSIONS = "/api/v1/diseases/suspensions"


def test_recognitions_come_a_page_at_a_time_with_my_relatives_and_not_strangers(resident_api) -> None:
    me, mother, stranger = factories.person(), factories.person(), factories.person()
    make.holder_of(me, mother)
    mine = [make.applied(person=me, of=make.disease()).pk, make.applied(person=mother, of=make.disease()).pk]
    mine.append(make.applied(person=me, of=make.disease()).pk)
    make.applied(person=stranger, of=make.disease())
    api = resident_api(me)
    first = api.get(RECOGNITIONS, {"limit": 2}).json()
    assert [r["id"] for r in first["results"]] == mine[:0:-1] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == mine[:1] and second["next"] is None
    assert api.get(second["previous"]).json()["results"] == first["results"]
    only_mother = api.get(RECOGNITIONS, {"person_id": mother.pk}).json()
    assert [r["person_id"] for r in only_mother["results"]] == [mother.pk]


def test_suspensions_come_a_page_at_a_time_and_every_page_carries_the_commitment(resident_api) -> None:
    me = factories.person()
    for _ in range(3):
        recognition = make.approved(person=me, of=make.disease())
        make.violation(recognition=recognition)
    api = resident_api(me)
    first = api.get(SUSPENSIONS, {"limit": 2}).json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1 and second["next"] is None
    ids = [s["id"] for s in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True)
    assert first["commitment"]["version"] and first["commitment"] == second["commitment"]
    assert resident_api(factories.person()).get(SUSPENSIONS).json()["results"] == []


@pytest.mark.parametrize("url", [RECOGNITIONS, SUSPENSIONS])
@pytest.mark.parametrize(
    ("query", "field"), [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"cursor": "x"}, "cursor")]
)
def test_bad_paging_is_invalid_input(resident_api, url, query, field) -> None:
    response = resident_api(factories.person()).get(url, query)
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    assert set(response.json()["details"]["fields"]) == {field}
