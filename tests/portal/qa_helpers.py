"""Shared set-up for the policy Q&A tests: the page tree, staff in their groups, entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import Group
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from portal.people.models import User
from portal.qa.models import EntryPage, TopicPage
from portal.qa.services import EDITORS, REVIEWERS, ensure_qa_setup


def staff(username: str, group: str | None) -> User:
    user = User.objects.create_user(username=username, password="x-unused-password-2026", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def cms_people() -> tuple[User, User]:
    ensure_qa_setup()
    return staff("editor1", EDITORS), staff("reviewer1", REVIEWERS)


def topic(code: str = "employees-outpatient") -> TopicPage:
    ensure_qa_setup()
    return TopicPage.objects.get(code=code)


def publish_entry(
    question: str,
    answer: str,
    *,
    topic_code: str = "employees-outpatient",
    slug: str | None = None,
    regions: list[Any] | None = None,
    effective_from: dt.date | None = None,
    effective_to: dt.date | None = None,
) -> EntryPage:
    parent = topic(topic_code)
    entry = parent.add_child(
        instance=EntryPage(
            title=question,
            slug=slug or f"entry-{EntryPage.objects.count() + 1}",
            answer=answer,
            source="测试依据",
            effective_from=effective_from,
            effective_to=effective_to,
            live=False,
        )
    )
    if regions:
        entry.regions.set(regions)
    entry.save_revision().publish()
    entry.refresh_from_db()
    return entry


def entry_form(question: str, answer: str, slug: str, **extra: Any) -> dict[str, Any]:
    """What the CMS edit form posts for an entry."""
    data = {
        "title": question,
        "slug": slug,
        "answer": rich_text(answer),
        "effective_from": "",
        "effective_to": "",
        "source": "测试依据文件",
        "source_url": "",
        "related_links": inline_formset([]),
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
    }
    data.update(extra)
    return nested_form_data(data)
