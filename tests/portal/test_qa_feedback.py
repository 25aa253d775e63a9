"""“Was this helpful?”: one vote a day per person or device, limited per hour, and the editors' reports."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.qa.models import EntryFeedback, SearchLog
from tests import factories
from tests.portal.qa_helpers import cms_people, publish_entry, staff

pytestmark = pytest.mark.django_db


def _vote(client: Client, entry_id: int, helpful: bool, comment: str = "", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/qa/entries/{entry_id}/feedback",
        {"helpful": helpful, "comment": comment},
        content_type="application/json",
        **headers,
    )


def test_a_visitor_votes_once_a_day_and_a_second_vote_replaces_the_first() -> None:
    entry = publish_entry("问题一", "<p>答案</p>")
    first = _vote(Client(), entry.pk, False, "没说清楚去哪里办")
    assert first.status_code == 201 and first.json()["replaced_earlier_vote"] is False
    second = _vote(Client(), entry.pk, True)
    assert second.status_code == 200 and second.json()["replaced_earlier_vote"] is True
    feedback = EntryFeedback.objects.get()
    assert feedback.helpful is True
    assert "127.0.0.1" not in feedback.client  # a keyed hash, never the address


def test_residents_vote_as_themselves_not_as_their_address(resident_api) -> None:  # type: ignore[no-untyped-def]
    entry = publish_entry("问题二", "<p>答案</p>")
    for name in ("甲", "乙"):
        assert _vote(resident_api(factories.person(name=name)), entry.pk, True).status_code == 201
    assert EntryFeedback.objects.filter(entry=entry).count() == 2


def test_feedback_is_rate_limited_per_client(settings) -> None:  # type: ignore[no-untyped-def]
    settings.QA_FEEDBACK_PER_HOUR = 3
    entries = [publish_entry(f"限流问题{i}", "<p>答案</p>", slug=f"rl-{i}") for i in range(4)]
    for entry in entries[:3]:
        assert _vote(Client(), entry.pk, True).status_code == 201
    refused = _vote(Client(), entries[3].pk, True, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused.json()["code"] == "qa_feedback_too_many"
    assert refused.json()["message"].startswith("Too much feedback")
    assert refused.json()["details"]["retry_after"] > 0
    # Another device is not affected.
    assert _vote(Client(REMOTE_ADDR="10.0.0.9"), entries[3].pk, True).status_code == 201


def test_bad_feedback_gets_clear_errors() -> None:
    entry = publish_entry("问题三", "<p>答案</p>")
    missing = Client().post(f"/api/v1/qa/entries/{entry.pk}/feedback", {}, content_type="application/json")
    assert missing.status_code == 400 and "helpful" in missing.json()["details"]["fields"]
    too_long = _vote(Client(), entry.pk, False, "长" * 501)
    assert too_long.status_code == 400 and "comment" in too_long.json()["details"]["fields"]
    unknown = _vote(Client(), 999999, True)
    assert unknown.status_code == 404 and unknown.json()["code"] == "qa_entry_not_found"
    entry.unpublish()
    assert _vote(Client(), entry.pk, True).status_code == 404


def test_the_feedback_form_on_the_entry_page_works_without_javascript() -> None:
    entry = publish_entry("问题四", "<p>答案</p>")
    client = Client(enforce_csrf_checks=True)
    page = client.get(entry.url)
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    response = client.post(
        f"/qa/entries/{entry.pk}/feedback",
        {"helpful": "no", "comment": "没有写电话", "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert response.status_code == 200 and "谢谢您的反馈" in response.content.decode()
    assert EntryFeedback.objects.get().comment == "没有写电话"


def test_editors_see_the_least_helpful_answers_and_failed_searches() -> None:
    editor, reviewer = cms_people()
    good = publish_entry("好问题", "<p>答案</p>", slug="good")
    bad = publish_entry("差问题", "<p>答案</p>", slug="bad")
    for i in range(3):
        _vote(Client(REMOTE_ADDR=f"10.0.0.{i}"), good.pk, True)
        _vote(Client(REMOTE_ADDR=f"10.0.1.{i}"), bad.pk, False, f"看不懂{i}")
    for query in ["火车票改签", "火车票改签", "护照办理"]:
        Client().get("/api/v1/qa/search", {"q": query})
    assert SearchLog.objects.filter(results=0).count() == 3

    for user in (editor, reviewer):
        client = Client()
        client.force_login(user)
        report = client.get("/cms/qa-reports/least-helpful/")
        assert report.status_code == 200
        html = report.content.decode()
        assert html.index("差问题") < html.index("好问题")
        assert "看不懂" in html
        failed = client.get("/cms/qa-reports/failed-searches/")
        assert failed.status_code == 200
        text = failed.content.decode()
        assert "火车票改签" in text and "护照办理" in text
        assert text.index("火车票改签") < text.index("护照办理")  # most frequent first
        export = client.get("/cms/qa-reports/failed-searches/", {"export": "csv"})
        assert export.status_code == 200 and "火车票改签" in export.getvalue().decode()

    operator = staff("operator3", "operations")
    client = Client()
    client.force_login(operator)
    assert client.get("/cms/qa-reports/least-helpful/").status_code == 302
