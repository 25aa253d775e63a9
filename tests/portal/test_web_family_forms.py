"""The family forms in a real browser, the GOV.UK way: every problem at once in a focused summary linking to
its field, no relationship chosen for the resident, the proof file kept after an error, plain words, and
post/redirect/get (a reload or a double tap never sends twice). Screenshots: artifacts/screenshots/family-*.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from portal.family.models import FamilyBinding
from portal.people.models import Person
from portal.people.services import person_id_number
from portal.signin.sms import LocmemSmsBackend
from tests import factories
from tests.portal.browser import BROWSER_TESTS, shot, sign_in
from tests.uploads import PNG
from vouchers.models import FamilyHolding

pytestmark = BROWSER_TESTS

CJK = re.compile(r"[\u3400-\u9fff]")
BINDING_PAGE = re.compile(r".*/family/sharing/\d+$")
HOLDING_PAGE = re.compile(r".*/family/relatives/\d+$")
NOT_AN_IMAGE = b"MZ\x90\x00 this is a program, not a picture"


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path  # proofs, kept or bound, stay in this test's folder


def initiator(phone: str) -> Person:
    return factories.person(name="王建国", insurance_type="employee", balance_fen=100_000, phone=phone)


def adult(phone: str, name: str = "李梅") -> Person:
    number = factories.id_number(birth=dt.date(1962, 3, 4))
    return factories.person(name=name, insurance_type="resident", phone=phone, number=number)


def wrong_last_character(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def summary_links(page: Any) -> list[tuple[str, str]]:
    links = page.locator("#error-summary a")
    return [(links.nth(i).get_attribute("href"), links.nth(i).inner_text()) for i in range(links.count())]


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_binding_reports_every_error_at_once_and_keeps_the_chosen_file(page: Any) -> None:
    me, spouse = initiator("13900006201"), adult("13900006202")
    sign_in(page, me.phone)
    page.goto("/family/sharing/bind")
    relation = page.get_by_label("与您的关系")
    assert relation.input_value() == "" and relation.locator("option:checked").inner_text() == "请选择"
    # The resident types a name, mistypes the number, chooses the file, and forgets the relationship.
    page.get_by_label("亲属姓名").fill(spouse.name)
    page.get_by_label("亲属身份证号").fill(wrong_last_character(person_id_number(spouse)))
    page.get_by_label("关系证明").set_input_files({"name": "hukou.png", "mimeType": "image/png", "buffer": PNG})
    page.get_by_role("button", name="提交申请").click()

    page.wait_for_selector("#error-summary")
    assert page.title().startswith("有错误：")
    assert focused_id(page) == "error-summary"  # read first by a screen reader
    assert summary_links(page) == [
        ("#relation", "请选择这位亲属与您的关系"),
        ("#id_number", "身份证号最后一位不对，请核对"),
    ]
    assert page.locator("#relation-error").inner_text() == "请选择这位亲属与您的关系"
    assert page.locator("#id_number-error").inner_text() == "身份证号最后一位不对，请核对"
    assert relation.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("亲属姓名").input_value() == spouse.name  # what was typed is kept
    assert page.get_by_test_id("proof-kept").inner_text() == "已上传：hukou.png（可重新选择）"
    assert "校验" not in page.content() and "格式不正确" not in page.content()
    shot(page, "family-bind-errors")
    page.locator("#error-summary").get_by_role("link", name="身份证号最后一位不对，请核对").click()
    assert page.url.endswith("#id_number")

    # Both corrected, the file not chosen again: the binding is made with the kept file.
    relation.select_option("spouse")
    page.get_by_label("亲属身份证号").fill(person_id_number(spouse))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(BINDING_PAGE)
    binding = FamilyBinding.objects.get()
    assert (binding.bound, binding.relation, binding.proof_content_type) == (spouse, "spouse", "image/png")
    assert binding.proof.read() == PNG

    # Post/redirect/get: a reload shows the page again and sends nothing.
    page.reload()
    assert page.get_by_test_id("binding-status").inner_text() == "等待同意"
    assert FamilyBinding.objects.count() == 1 and len(LocmemSmsBackend.outbox) == 2  # sign-in code, consent code


def test_an_empty_bind_form_lists_every_field_in_english(page: Any, live_server: Any) -> None:
    me = initiator("13900006211")
    sign_in(page, me.phone)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/family/sharing/bind")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_selector("#error-summary")
    assert page.locator("#error-summary h2").inner_text() == "There is a problem"
    assert summary_links(page) == [
        ("#relation", "Choose how this relative is related to you"),
        ("#name", "Enter the relative's name"),
        ("#id_number", "Enter the relative's identity number"),
        ("#proof", "Choose a file that proves the relationship"),
    ]
    assert page.locator(".field-error").count() == 4
    assert not CJK.search(page.locator("main").inner_text())
    shot(page, "family-bind-errors-en")


def test_a_file_that_is_not_a_picture_is_refused_and_not_kept(page: Any) -> None:
    me, spouse = initiator("13900006221"), adult("13900006222")
    sign_in(page, me.phone)
    page.goto("/family/sharing/bind")
    page.get_by_label("与您的关系").select_option("spouse")
    page.get_by_label("亲属姓名").fill(spouse.name)
    page.get_by_label("亲属身份证号").fill(person_id_number(spouse))
    page.get_by_label("关系证明").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": NOT_AN_IMAGE}
    )
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector("#error-summary")
    assert summary_links(page) == [("#proof", "关系证明须为 JPEG、PNG 或 PDF 文件，且不超过 5 MB")]
    assert page.get_by_test_id("proof-kept").count() == 0
    assert page.get_by_label("与您的关系").input_value() == "spouse"  # the choice made is kept
    assert not FamilyBinding.objects.exists()
    shot(page, "family-bind-bad-file")


def test_a_double_tap_and_a_second_tab_bind_once(page: Any) -> None:
    me, spouse = initiator("13900006231"), adult("13900006232")
    sign_in(page, me.phone)
    second = page.context.new_page()  # the same phone, another tab, the same form filled in
    for tab in (page, second):
        tab.goto("/family/sharing/bind")
        tab.get_by_label("与您的关系").select_option("spouse")
        tab.get_by_label("亲属姓名").fill(spouse.name)
        tab.get_by_label("亲属身份证号").fill(person_id_number(spouse))
        tab.get_by_label("关系证明").set_input_files({"name": "hukou.png", "mimeType": "image/png", "buffer": PNG})
    page.get_by_role("button", name="提交申请").dblclick()
    page.wait_for_url(BINDING_PAGE)
    binding = FamilyBinding.objects.get()
    second.get_by_role("button", name="提交申请").click()
    second.wait_for_url(BINDING_PAGE)
    assert second.url.endswith(f"/family/sharing/{binding.pk}")
    assert "您已经申请过和这位亲属共济，不用再提交" in second.get_by_role("status").inner_text()
    shot(second, "family-bind-sent-twice")
    second.close()
    assert FamilyBinding.objects.count() == 1


def test_adding_a_relative_reports_both_fields_at_once_then_reload_adds_nothing(page: Any) -> None:
    me, grandma = initiator("13900006241"), adult("13900006242", name="钱秀英")
    sign_in(page, me.phone)
    page.goto("/family/relatives/add")
    page.get_by_role("button", name="添加", exact=True).click()
    page.wait_for_selector("#error-summary")
    assert focused_id(page) == "error-summary"
    assert summary_links(page) == [("#name", "请输入亲属姓名"), ("#id_number", "请输入亲属身份证号")]
    shot(page, "family-relatives-add-errors")

    page.get_by_label("亲属姓名").fill(grandma.name)
    page.get_by_label("亲属身份证号").fill(person_id_number(grandma)[:17])
    page.get_by_role("button", name="添加", exact=True).click()
    assert summary_links(page) == [("#id_number", "身份证号应为 18 位，您输入了 17 位")]
    page.get_by_label("亲属身份证号").fill(person_id_number(grandma))
    page.get_by_role("button", name="添加", exact=True).click()
    page.wait_for_url(HOLDING_PAGE)
    page.reload()
    page.go_back()  # back to the form (a fresh GET), nothing sent
    page.go_forward()
    assert FamilyHolding.objects.count() == 1

    # The code typed wrongly, then rightly; a reload after success sends nothing again.
    sent = LocmemSmsBackend.outbox[-1]
    page.get_by_label("亲属收到的短信验证码").fill("")
    page.get_by_role("button", name="确认", exact=True).click()
    assert summary_links(page) == [("#sms_code", "请输入亲属收到的短信验证码")]
    page.get_by_label("亲属收到的短信验证码").fill(sent["code"])
    page.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_url("**/family/relatives/")
    page.reload()
    assert page.get_by_role("status").count() == 0  # the message was shown once; the reload did not post
    holding = FamilyHolding.objects.get()
    assert (holding.status, holding.consent) == ("active", "sms")
