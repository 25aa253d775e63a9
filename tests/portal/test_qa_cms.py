"""Editors write, reviewers publish: the Wagtail workflow, schedules, roll-back and who reaches /cms/."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision, WorkflowState

from portal.qa.models import EntryPage, SearchDocument
from portal.qa.tasks import publish_scheduled
from tests.portal.qa_helpers import cms_people, entry_form, publish_entry, staff, topic

pytestmark = pytest.mark.django_db


def _search(client: Client, q: str) -> list[str]:
    body = client.get("/api/v1/qa/search", {"q": q}).json()
    return [hit["question"] for hit in body["results"]]


def _signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_only_editors_and_reviewers_reach_the_cms() -> None:
    editor, reviewer = cms_people()
    operator = staff("operator1", "operations")
    assert _signed_in(editor).get("/cms/").status_code == 200
    assert _signed_in(reviewer).get("/cms/").status_code == 200
    # Staff outside the CMS groups, and anonymous visitors, are sent to the CMS sign-in.
    for client in (_signed_in(operator), Client()):
        response = client.get("/cms/")
        assert response.status_code == 302
        assert "/cms/login/" in response["Location"]


def test_a_draft_is_invisible_until_a_reviewer_approves_it() -> None:
    editor, reviewer = cms_people()
    parent = topic()
    public = Client()
    add_url = reverse("wagtailadmin_pages:add", args=("qa", "entrypage", parent.pk))
    response = _signed_in(editor).post(
        add_url,
        {
            **entry_form("灵活就业人员门诊统筹怎么报销？", "<p>按职工医保规定执行。</p>", "flexible"),
            "action-submit": "submit",
        },
    )
    assert response.status_code == 302, response.content[:500]
    entry = EntryPage.objects.get(slug="flexible")
    assert not entry.live
    assert public.get("/qa/employees-outpatient/flexible/").status_code == 404
    assert _search(public, "灵活就业") == []
    state = WorkflowState.objects.get(object_id=str(entry.pk), status=WorkflowState.STATUS_IN_PROGRESS)

    # The editor cannot publish by themselves: "publish" from the editor only saves a draft.
    _signed_in(editor).post(
        reverse("wagtailadmin_pages:edit", args=(entry.pk,)),
        {**entry_form("灵活就业人员门诊统筹怎么报销？", "<p>改过的草稿。</p>", "flexible"), "action-publish": "1"},
    )
    entry.refresh_from_db()
    assert not entry.live

    # The reviewer approves the task, which publishes.
    task_state = state.current_task_state
    response = _signed_in(reviewer).post(
        reverse("wagtailadmin_pages:workflow_action", args=(entry.pk, "approve", task_state.pk)),
        {"comment": "可以发布"},
    )
    assert response.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.live
    assert public.get(entry.url).status_code == 200
    assert _search(public, "灵活就业") == ["灵活就业人员门诊统筹怎么报销？"]


def test_an_editor_cannot_approve_and_an_outsider_cannot_edit() -> None:
    editor, _ = cms_people()
    entry = publish_entry("已发布的问题", "<p>答案</p>")
    entry.save_revision(user=editor)
    from wagtail.models import Workflow

    workflow = Workflow.objects.get(name__startswith="问答审核")
    state = workflow.start(entry, editor)
    response = _signed_in(editor).post(
        reverse("wagtailadmin_pages:workflow_action", args=(entry.pk, "approve", state.current_task_state.pk)),
        {"comment": ""},
    )
    assert response.status_code in (302, 403)
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    outsider = staff("operator2", "operations")
    response = _signed_in(outsider).get(reverse("wagtailadmin_pages:edit", args=(entry.pk,)))
    assert response.status_code == 302 and "/cms/login/" in response["Location"]


def test_scheduled_publishing_goes_live_when_its_time_comes() -> None:
    _, reviewer = cms_people()
    parent = topic()
    go_live = timezone.now() + dt.timedelta(days=1)
    _signed_in(reviewer).post(
        reverse("wagtailadmin_pages:add", args=("qa", "entrypage", parent.pk)),
        {
            **entry_form(
                "明年门诊统筹有什么新变化？",
                "<p>新规定明年起执行。</p>",
                "next-year",
                go_live_at=timezone.localtime(go_live).strftime("%Y-%m-%d %H:%M"),
            ),
            "action-publish": "1",
        },
    )
    entry = EntryPage.objects.get(slug="next-year")
    assert not entry.live
    scheduled = Revision.page_revisions.get(object_id=str(entry.pk), approved_go_live_at__isnull=False)
    assert _search(Client(), "新变化") == []

    call_command("publish_scheduled", verbosity=0)  # not yet
    entry.refresh_from_db()
    assert not entry.live
    assert scheduled.approved_go_live_at is not None
    # A day passes; beat runs the scheduler every minute.
    with mock.patch("django.utils.timezone.now", return_value=go_live + dt.timedelta(minutes=1)):
        publish_scheduled.delay()
    entry.refresh_from_db()
    assert entry.live
    assert _search(Client(), "新变化") == ["明年门诊统筹有什么新变化？"]


def test_an_expired_entry_disappears_at_once_and_is_unpublished_by_the_scheduler() -> None:
    entry = publish_entry("旧政策下怎么报销？", "<p>旧政策的答案。</p>", slug="old-policy")
    assert _search(Client(), "旧政策") == ["旧政策下怎么报销？"]
    EntryPage.objects.filter(pk=entry.pk).update(expire_at=timezone.now() - dt.timedelta(minutes=1))
    # Hidden from residents before the scheduler even runs ...
    assert _search(Client(), "旧政策") == []
    assert Client().get(f"/api/v1/qa/entries/{entry.pk}").status_code == 404
    # ... and then unpublished and dropped from the index.
    call_command("publish_scheduled", verbosity=0)
    entry.refresh_from_db()
    assert not entry.live and entry.expired
    assert not SearchDocument.objects.filter(entry_id=entry.pk).exists()


def test_a_policy_no_longer_in_force_is_hidden_and_one_not_yet_in_force_says_from_when() -> None:
    today = timezone.localdate()
    publish_entry("过期政策的问题", "<p>答案</p>", effective_to=today - dt.timedelta(days=1))
    upcoming = publish_entry("将来政策的问题", "<p>答案</p>", effective_from=today + dt.timedelta(days=30))
    assert _search(Client(), "政策的问题") == ["将来政策的问题"]
    page = Client().get(upcoming.url)
    assert "此政策自" in page.content.decode()


def test_revisions_compare_and_roll_back() -> None:
    _, reviewer = cms_people()
    entry = publish_entry("个人账户能给家人用吗？", "<p>第一版：可以绑定配偶。</p>", slug="share")
    first = entry.latest_revision
    entry.answer = "<p>第二版：写错了，不可以。</p>"
    entry.save_revision(user=reviewer).publish(user=reviewer)
    second = EntryPage.objects.get(pk=entry.pk).latest_revision
    assert "第二版" in Client().get(f"/api/v1/qa/entries/{entry.pk}").json()["answer_html"]

    client = _signed_in(reviewer)
    compare = client.get(
        reverse("wagtailadmin_pages:revisions_compare", args=(entry.pk, first.pk, second.pk)),
    )
    assert compare.status_code == 200
    text = compare.content.decode()
    assert "第一版" in text and "第二版" in text
    revert = client.get(reverse("wagtailadmin_pages:revisions_revert", args=(entry.pk, first.pk)))
    assert revert.status_code == 200
    assert json.dumps("第一版")[1:-1] in revert.content.decode()  # the old answer, in the editor's JSON

    # Roll back: publish the first revision again (what "revert" + "publish" does in the CMS).
    first.publish(user=reviewer)
    body = Client().get(f"/api/v1/qa/entries/{entry.pk}").json()
    assert "第一版" in body["answer_html"] and "第二版" not in body["answer_html"]
    assert _search(Client(), "写错了") == []
    assert _search(Client(), "配偶") == ["个人账户能给家人用吗？"]


def test_an_editor_previews_a_draft_before_anyone_sees_it() -> None:
    editor, _ = cms_people()
    entry = publish_entry("预览测试的问题", "<p>已发布的答案。</p>", slug="preview")
    client = _signed_in(editor)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(entry.pk,))
    posted = client.post(url, entry_form("预览测试的问题", "<p>草稿里的新答案。</p>", "preview"))
    assert posted.status_code == 200 and posted.json()["is_valid"]
    preview = client.get(url)
    assert preview.status_code == 200
    assert "草稿里的新答案" in preview.content.decode()
    assert "草稿里的新答案" not in Client().get(entry.url).content.decode()


def test_editors_manage_synonyms_in_the_cms_and_search_follows(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    editor, _ = cms_people()
    publish_entry("怎么办理异地就医备案？", "<p>在线提交即可。</p>", topic_code="offsite-care")
    assert _search(Client(), "转外地看病登记") == []
    with django_capture_on_commit_callbacks(execute=True):  # the re-index runs after the commit
        response = _signed_in(editor).post(
            reverse("wagtailsnippets_qa_synonymgroup:add"), {"terms": "异地就医备案\n转外地看病登记", "note": ""}
        )
    assert response.status_code == 302
    assert _search(Client(), "转外地看病登记") == ["怎么办理异地就医备案？"]


def test_a_synonym_group_needs_two_real_terms() -> None:
    editor, _ = cms_people()
    response = _signed_in(editor).post(reverse("wagtailsnippets_qa_synonymgroup:add"), {"terms": "报\n报销"})
    assert response.status_code == 200
    assert "单字词" in response.content.decode()
