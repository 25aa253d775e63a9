"""The off-site filing pages (异地就医备案) in a real browser: filing with the commitment, refusals next to
their field in Chinese and English, documents for referrals, change, cancel, and filing for a relative.

Categories and the commitment wording come from the data migration (offsite 0002). Screenshots at 360x780
go to artifacts/screenshots/ (offsite, offsite-new, offsite-error, ...).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from portal.family.models import PrivateStorage
from portal.offsite.models import FilingEvent, OffsiteFiling
from portal.offsite.services import current_commitment, filing_create
from portal.people.models import Person
from portal.people.services import person_id_number
from tests import factories
from tests.portal.browser import BROWSER_TESTS, shot, sign_in
from tests.uploads import PDF
from vouchers.family import holding_register_by_staff, holding_request

pytestmark = BROWSER_TESTS


def today() -> Any:
    return timezone.localdate()


def trip(person: Person, *, days: int = 30, destination: str = "440100") -> OffsiteFiling:
    return filing_create(
        person=person,
        filed_by=person,
        category_code="temporary_trip",
        destination_code=destination,
        start_date=today(),
        end_date=today() + timedelta(days=days),
        contact_address="广州市天河区某路2号",
        commitment_version=current_commitment().version,
    )


def in_english(page: Any, live_server: Any) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def continue_(page: Any, name: str = "继续") -> None:
    """Answer a step: the page that comes back (the next step, or this one with its errors) has loaded."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_a_resident_files_in_short_steps_naming_the_city_and_sees_it_active_at_once(page: Any) -> None:
    person = factories.person(name="李娜", insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005001")
    page.goto("/offsite/")
    assert "/signin?next=/offsite/" in page.url  # signed out: sign in first, then come back
    sign_in(page, "13900005001")
    page.get_by_role("link", name="异地就医备案").click()
    page.wait_for_url("**/offsite/")
    assert page.get_by_text("暂无备案").is_visible()
    page.get_by_role("link", name="新增备案").click()

    # 1. The kind of filing: only those the person's insurance allows, nothing chosen for them.
    page.wait_for_url("**/offsite/new/category")
    assert page.get_by_test_id("progress").inner_text().endswith("第 1 步，共 5 步")
    assert page.get_by_role("heading", level=1).inner_text() == "您属于哪种情况？"
    for label in ("异地长期居住人员", "常驻异地工作人员", "临时外出就医人员"):
        assert page.get_by_label(label).count() == 1, label
    assert page.get_by_label("异地安置退休人员").count() == 0  # retired employees only
    continue_(page)
    assert page.locator("#error-summary").inner_text().endswith("请选择备案类别")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    shot(page, "offsite-step-category-error")
    page.get_by_label("异地长期居住人员").check()
    continue_(page)

    # 2. The city, by name: "上海" is Shanghai, stored as 310100.
    page.wait_for_url("**/offsite/new/destination")
    page.get_by_label("您要去哪个城市就医？").fill("上海")
    shot(page, "offsite-step-destination")
    continue_(page)

    # 3. Dates: a long-term filing asks only for the start (today by default).
    page.wait_for_url("**/offsite/new/dates")
    assert page.get_by_label("开始日期").input_value() == today().isoformat()
    assert page.get_by_label("结束日期").count() == 0
    continue_(page)

    # 4. The address: an empty one says what to type, not "格式不正确".
    page.wait_for_url("**/offsite/new/address")
    continue_(page)
    assert page.locator("#contact_address-error").inner_text() == "请输入您在就医地的联系地址"
    page.get_by_label("您在那里的联系地址是？").fill("上海市浦东新区某路1号")
    continue_(page)

    # 5. The answers with links to change them, and the commitment.
    page.wait_for_url("**/offsite/new/confirm")
    assert page.get_by_test_id("answer-destination").inner_text().startswith("上海市")
    assert page.get_by_test_id("commitment-text").inner_text() == current_commitment().text_zh
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#commitment-error").inner_text() == "请勾选“本人承诺以上内容属实”"
    page.get_by_label("本人承诺以上内容属实").check()
    shot(page, "offsite-step-confirm")
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url("**/offsite/#filing-*")
    assert page.get_by_role("status").inner_text() == "备案成功，已即时生效"

    filing = OffsiteFiling.objects.get(person=person)
    assert (filing.destination_code, filing.start_date, filing.end_date) == ("310100", today(), None)
    assert (filing.status, filing.basis) == ("active", "commitment")
    card = page.get_by_test_id(f"filing-{filing.pk}")
    assert card.get_by_test_id("destination").inner_text() == "上海市"  # the name, not 310100
    # A long-term filing cannot be changed for 180 days: no buttons to be refused by, but the date it can.
    assert card.get_by_role("link", name="变更").count() == 0
    assert card.get_by_role("link", name="取消备案").count() == 0
    assert card.get_by_test_id("changeable-from").inner_text() == (
        f"{(today() + timedelta(days=180)):%Y年%-m月%-d日}起可以变更或取消。"
    )
    shot(page, "offsite")

    # Reload and back after sending: nothing is sent again.
    page.reload()
    page.go_back()
    assert OffsiteFiling.objects.filter(person=person).count() == 1


def test_a_city_is_found_by_name_pinyin_or_province_and_refusals_send_back_to_their_step(
    page: Any, live_server: Any
) -> None:
    factories.person(insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005002")  # a Huaibei resident
    sign_in(page, "13900005002")
    page.goto("/offsite/new")
    page.get_by_label("临时外出就医人员").check()
    continue_(page)

    # Not a city: said in words, with what to type instead.
    page.get_by_label("您要去哪个城市就医？").fill("火星")
    continue_(page)
    assert page.locator("#q-error").inner_text().startswith("没有找到“火星”，请输入城市名称")
    # Several matches: choose one ("吉林" is a city and a province).
    page.get_by_label("您要去哪个城市就医？").fill("吉")
    continue_(page)
    page.wait_for_url("**/offsite/new/destination?q=*")
    assert page.get_by_label("吉林市（吉林省）").count() == 1
    # Or by province, then city.
    page.get_by_role("link", name="安徽省").click()
    shot(page, "offsite-step-province")
    page.get_by_label("淮北市").check()  # home: refused in words
    continue_(page, "选好了，继续")
    assert page.locator("#q-error").inner_text() == "就医地不能是参保地"
    page.get_by_label("您要去哪个城市就医？").fill("guangzhou")
    continue_(page)

    # Dates: both errors at once, each with its own words.
    page.wait_for_url("**/offsite/new/dates")
    page.get_by_label("开始日期").fill("")
    continue_(page)
    assert page.locator("#start_date-error").inner_text() == "请输入开始日期"
    assert page.locator("#end_date-error").inner_text() == "请输入结束日期"
    assert page.locator("#error-summary li").count() == 2
    page.get_by_role("link", name="请输入结束日期").click()
    assert page.evaluate("document.activeElement.id") == "end_date"
    page.get_by_label("开始日期").fill(today().isoformat())
    page.get_by_label("结束日期").fill((today() - timedelta(days=1)).isoformat())
    continue_(page)
    assert page.locator("#end_date-error").inner_text() == "备案日期有误：结束日期早于开始日期"
    page.get_by_label("结束日期").fill((today() + timedelta(days=20)).isoformat())
    continue_(page)
    page.get_by_label("您在那里的联系地址是？").fill("广州市天河区")
    continue_(page)
    page.wait_for_url("**/offsite/new/confirm")
    assert page.get_by_test_id("answer-destination").inner_text().startswith("广州市（广东省）")

    # Changing an answer from the last page comes back to it.
    page.get_by_role("link", name="修改 联系地址").click()
    page.get_by_label("您在那里的联系地址是？").fill("广州市越秀区")
    continue_(page)
    page.wait_for_url("**/offsite/new/confirm")
    assert page.get_by_test_id("answer-address").inner_text().startswith("广州市越秀区")

    # An overlap found only when sending goes back to the dates, in words.
    trip(Person.objects.get(phone="13900005002"), destination="320100")
    page.get_by_label("本人承诺以上内容属实").check()
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url("**/offsite/new/dates")
    assert "时间重叠" in page.locator(".messages").inner_text()
    assert OffsiteFiling.objects.count() == 1

    # In English: English words and English city names.
    in_english(page, live_server)
    page.goto("/offsite/new/destination")
    page.get_by_label("Which city will you get care in?").fill("maanshan")
    continue_(page, "Continue")
    page.wait_for_url("**/offsite/new/confirm")  # the other answers stand: straight back to the last page
    assert page.get_by_test_id("answer-destination").inner_text().startswith("Ma'anshan, Anhui")
    shot(page, "offsite-step-confirm-en")


def test_a_referral_needs_documents_and_waits_for_review(page: Any, monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setattr(OffsiteFiling._meta.get_field("materials"), "storage", PrivateStorage(location=tmp_path))
    person = factories.person(insurance_type=Person.InsuranceType.RESIDENT, phone="13900005003")
    sign_in(page, "13900005003")
    page.goto("/offsite/new")
    page.get_by_label("异地转诊人员").check()
    continue_(page)
    page.get_by_label("您要去哪个城市就医？").fill("南京")
    continue_(page)
    page.get_by_label("结束日期").fill((today() + timedelta(days=30)).isoformat())
    continue_(page)
    page.get_by_label("您在那里的联系地址是？").fill("南京市鼓楼区")
    continue_(page)
    page.wait_for_url("**/offsite/new/confirm")
    assert page.get_by_label("本人承诺以上内容属实").count() == 0  # the kind needs documents instead
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#materials-error").inner_text() == "请选择要上传的证明材料"

    page.get_by_label("上传证明材料").set_input_files(
        files=[{"name": "referral.txt", "mimeType": "text/plain", "buffer": b"not a document"}]
    )
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#materials-error").inner_text() == "证明材料须为 JPEG、PNG 或 PDF 文件，且不超过 5 MB"

    page.get_by_label("上传证明材料").set_input_files(
        files=[{"name": "referral.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url("**/offsite/#filing-*")
    filing = OffsiteFiling.objects.get(person=person)
    assert (filing.status, filing.basis, filing.commitment_id) == ("pending_review", "materials", None)
    assert filing.materials.name.endswith(".pdf") and (tmp_path / filing.materials.name).exists()
    assert page.get_by_role("status").inner_text() == "已提交证明材料，等待医保经办机构审核"
    card = page.get_by_test_id(f"filing-{filing.pk}")
    assert card.get_by_test_id("status").inner_text() == "待审核"
    assert card.get_by_test_id("verification").count() == 0  # only commitments are sampled
    shot(page, "offsite-documents")


def test_cancelling_asks_for_confirmation_and_follows_the_category_rules(page: Any) -> None:
    person = factories.person(insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005004")
    temporary = trip(person)
    long_term = filing_create(
        person=person,
        filed_by=person,
        category_code="long_term_resident",
        destination_code="340500",
        start_date=today() + timedelta(days=40),
        end_date=None,
        contact_address="马鞍山市花山区",
        commitment_version=current_commitment().version,
    )
    sign_in(page, "13900005004")
    page.goto("/offsite/")
    assert (
        page.get_by_test_id(f"filing-{long_term.pk}").get_by_test_id("destination").inner_text() == "马鞍山市（安徽省）"
    )

    page.get_by_test_id(f"filing-{temporary.pk}").get_by_role("link", name="取消备案").click()
    page.wait_for_url(f"**/offsite/{temporary.pk}/cancel")
    assert page.get_by_text("确定要取消这项备案吗").is_visible()
    temporary.refresh_from_db()
    assert temporary.status == "active"  # opening the page changes nothing
    shot(page, "offsite-cancel")
    page.get_by_role("button", name="确认取消备案").click()
    page.wait_for_url("**/offsite/#filing-*")
    assert page.get_by_role("status").inner_text() == "备案已取消"
    card = page.get_by_test_id(f"filing-{temporary.pk}")
    assert card.get_by_test_id("status").inner_text() == "已取消"
    assert card.get_by_role("link", name="取消备案").count() == 0
    temporary.refresh_from_db()
    assert (temporary.status, temporary.ended_on) == ("cancelled", today())
    assert FilingEvent.objects.filter(filing=temporary, to_status="cancelled", by="resident").exists()

    # A long-term filing cannot be cancelled in its first 180 days: the page says from when, and a
    # cancellation sent anyway (an old tab) is refused in words.
    card = page.get_by_test_id(f"filing-{long_term.pk}")
    assert card.get_by_role("link", name="取消备案").count() == 0
    assert card.get_by_test_id("changeable-from").is_visible()
    page.goto(f"/offsite/{long_term.pk}/cancel")
    page.get_by_role("button", name="确认取消备案").click()
    alert = page.get_by_role("alert")
    assert "备案生效 180 天后方可变更或取消" in alert.inner_text()
    long_term.refresh_from_db()
    assert long_term.status == "active"


def test_changing_a_temporary_trip_within_its_rules(page: Any, live_server: Any) -> None:
    person = factories.person(insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005005")
    filing = trip(person, days=60)
    sign_in(page, "13900005005")
    page.goto("/offsite/")
    page.get_by_test_id(f"filing-{filing.pk}").get_by_role("link", name="变更").click()
    page.wait_for_url(f"**/offsite/{filing.pk}/change")
    assert page.get_by_label("结束日期").input_value() == (today() + timedelta(days=60)).isoformat()

    page.get_by_role("button", name="保存变更").click()
    assert page.get_by_role("alert").inner_text() == "您没有修改任何内容"

    page.get_by_label("结束日期").fill((today() + timedelta(days=200)).isoformat())
    page.get_by_role("button", name="保存变更").click()
    assert page.locator("#end_date-error").inner_text() == "备案日期有误：超过该类别最长有效期"
    shot(page, "offsite-change-error")

    shorter = today() + timedelta(days=5)
    page.get_by_label("结束日期").fill(shorter.isoformat())
    page.get_by_label("就医地联系地址").fill("广州市越秀区新地址3号")
    page.get_by_role("button", name="保存变更").click()
    page.wait_for_url("**/offsite/#filing-*")
    assert page.get_by_role("status").inner_text() == "备案信息已变更"
    card = page.get_by_test_id(f"filing-{filing.pk}")
    assert card.get_by_test_id("end").inner_text() == shorter.isoformat()
    assert card.get_by_test_id("address").inner_text() == "广州市越秀区新地址3号"
    filing.refresh_from_db()
    assert (filing.end_date, filing.contact_address, filing.status) == (shorter, "广州市越秀区新地址3号", "active")
    assert FilingEvent.objects.filter(filing=filing, note="changed: contact_address, end_date").exists()
    card.get_by_text("办理记录").click()
    assert "变更：联系地址、结束日期" in card.locator("ol.history").inner_text()

    # In English the refusal is in English too.
    in_english(page, live_server)
    page.goto(f"/offsite/{filing.pk}/change")
    page.get_by_label("End date").fill((today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save changes").click()
    assert page.locator("#end_date-error").inner_text() == "The filing dates are wrong: the end is before the start"


def test_a_guardian_files_for_a_relative_and_an_outsider_cannot_see_it(page: Any) -> None:
    guardian = factories.person(name="赵强", insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005006")
    mother = factories.person(name="赵母", insurance_type=Person.InsuranceType.RETIRED, phone="")
    holding = holding_request(holder=guardian, name=mother.name, id_number=person_id_number(mother))
    holding_register_by_staff(holding_id=holding.pk)
    factories.person(name="路人", phone="13900005007")

    sign_in(page, "13900005006")
    page.goto("/offsite/new")
    page.wait_for_url("**/offsite/new/who")  # someone who files for a relative is asked for whom first
    assert not page.get_by_label("本人 赵强").is_checked() and not page.get_by_label("赵母").is_checked()
    page.get_by_label("本人 赵强").check()
    continue_(page)
    assert page.get_by_label("异地安置退休人员").count() == 0  # not for the guardian himself
    page.get_by_role("link", name="上一步").click()
    page.get_by_label("赵母").check()
    continue_(page)
    assert page.get_by_text("代办：赵母").is_visible()
    page.get_by_label("异地安置退休人员").check()  # the mother is retired: she may
    continue_(page)
    page.get_by_label("您要去哪个城市就医？").fill("三亚")
    continue_(page)
    continue_(page)  # from today
    page.get_by_label("您在那里的联系地址是？").fill("三亚市吉阳区")
    continue_(page)
    page.get_by_label("本人承诺以上内容属实").check()
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url("**/offsite/#filing-*")

    filing = OffsiteFiling.objects.get()
    assert (filing.person_id, filing.filed_by_id, filing.status) == (mother.pk, guardian.pk, "active")
    assert FilingEvent.objects.get(filing=filing).by == "guardian"
    section = page.locator(f"section[aria-labelledby=section-{mother.pk}]")
    assert section.get_by_role("heading", name="代办：赵母").is_visible()
    assert section.get_by_test_id(f"filing-{filing.pk}").get_by_test_id("status").inner_text() == "已生效"
    shot(page, "offsite-relative")

    # Somebody else: the filing and the relative do not exist for them.
    page.context.clear_cookies()
    sign_in(page, "13900005007")
    page.goto("/offsite/")
    assert page.get_by_test_id(f"filing-{filing.pk}").count() == 0
    for path in (f"/offsite/{filing.pk}/cancel", f"/offsite/{filing.pk}/change", f"/offsite/new?person={mother.pk}"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
    page.goto("/offsite/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"/offsite/{filing.pk}/cancel",
        form={"csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
    )
    assert response.status == 404
    filing.refresh_from_db()
    assert filing.status == "active"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_filing_list_is_bilingual(page: Any, live_server: Any, language: str) -> None:
    person = factories.person(insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005008")
    filing = trip(person)
    sign_in(page, "13900005008")
    if language == "en":
        in_english(page, live_server)
    page.goto("/offsite/")
    card = page.get_by_test_id(f"filing-{filing.pk}")
    expected = {"zh-hans": ("临时外出就医人员", "已生效"), "en": ("Temporary trip", "Active")}[language]
    assert (card.get_by_role("heading").inner_text(), card.get_by_test_id("status").inner_text()) == expected
