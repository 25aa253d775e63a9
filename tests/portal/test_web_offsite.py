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


def test_a_resident_files_with_the_commitment_and_sees_it_active_at_once(page: Any) -> None:
    person = factories.person(name="李娜", insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005001")
    page.goto("/offsite/")
    assert "/signin?next=/offsite/" in page.url  # signed out: sign in first, then come back
    sign_in(page, "13900005001")
    page.get_by_role("link", name="异地就医备案").click()
    page.wait_for_url("**/offsite/")
    assert page.get_by_text("暂无备案").is_visible()
    page.get_by_role("link", name="新增备案").click()
    page.wait_for_url("**/offsite/new")

    # Only the kinds this employee may file in their region, each saying who may file.
    for label in ("异地长期居住人员", "常驻异地工作人员", "异地转诊人员", "临时外出就医人员"):
        assert page.get_by_label(label).count() == 1, label
    assert page.get_by_label("异地安置退休人员").count() == 0  # retired employees only
    assert "可办理：职工（退休）" not in page.content()
    assert "可办理：职工（在职）" in page.locator("#category-stationed_worker-facts").inner_text()
    assert "须上传证明材料" in page.locator("#category-referral-facts").inner_text()
    # The exact wording to accept, and today as the default start.
    wording = current_commitment()
    assert page.get_by_test_id("commitment-text").inner_text() == wording.text_zh
    assert page.get_by_label("开始日期").input_value() == today().isoformat()

    page.get_by_label("异地长期居住人员").check()
    page.get_by_label("就医地代码").fill("310100")
    page.get_by_label("就医地联系地址").fill("上海市浦东新区某路1号")
    page.get_by_label("本人承诺以上内容属实").check()
    shot(page, "offsite-new")
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url("**/offsite/#filing-*")

    filing = OffsiteFiling.objects.get(person=person)
    assert (filing.status, filing.basis, filing.filed_by_id) == ("active", "commitment", person.pk)
    assert filing.commitment is not None and filing.commitment.version == wording.version
    assert filing.commitment_accepted_at is not None
    assert (filing.destination_code, filing.start_date, filing.end_date) == ("310100", today(), None)
    assert page.get_by_role("status").inner_text() == "备案成功，已即时生效"
    card = page.get_by_test_id(f"filing-{filing.pk}")
    assert card.get_by_test_id("status").inner_text() == "已生效"
    assert card.get_by_role("heading").inner_text() == "异地长期居住人员"
    assert card.get_by_test_id("destination").inner_text() == "310100"
    assert card.get_by_test_id("start").inner_text() == today().isoformat()
    assert card.get_by_test_id("end").inner_text() == "长期（至取消）"
    assert card.get_by_test_id("verification").inner_text() == "未抽中"
    assert f"承诺书 {wording.version}" in card.inner_text()
    card.get_by_text("办理记录").click()
    history = card.locator("ol.history").inner_text()
    assert "已生效" in history and "参保人本人" in history and f"承诺书 {wording.version}" in history
    shot(page, "offsite")


def test_refusals_appear_next_to_their_field_in_chinese_and_in_english(page: Any, live_server: Any) -> None:
    factories.person(insurance_type=Person.InsuranceType.EMPLOYEE, phone="13900005002")
    sign_in(page, "13900005002")
    page.goto("/offsite/new")
    page.get_by_role("button", name="提交备案").click()
    # Nothing filled in: each missing field says so next to itself.
    assert page.locator("#category-error").inner_text() == "请选择备案类别"
    assert page.locator("#destination_code-error").inner_text() == "请填写此项"
    assert page.locator("#contact_address-error").inner_text() == "请填写此项"

    # The destination is the home region (淮北市 340600): refused by the service, shown by the field.
    page.get_by_label("异地长期居住人员").check()
    page.get_by_label("就医地代码").fill("340600")
    page.get_by_label("就医地联系地址").fill("淮北市相山区")
    page.get_by_label("本人承诺以上内容属实").check()
    page.get_by_role("button", name="提交备案").click()
    error = page.locator("#destination_code-error")
    assert error.get_attribute("role") == "alert"
    assert error.inner_text() == "就医地不能是参保地"
    assert "destination_code-error" in page.get_by_label("就医地代码").get_attribute("aria-describedby")
    assert page.locator("[role=alert]").count() == 1
    # What was typed is kept.
    assert page.get_by_label("就医地代码").input_value() == "340600"
    assert page.get_by_label("异地长期居住人员").is_checked()
    assert page.get_by_label("本人承诺以上内容属实").is_checked()
    shot(page, "offsite-error")

    page.get_by_label("就医地代码").fill("310000")  # province level, not a city
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#destination_code-error").inner_text() == "就医地代码 310000 不是有效的地市级行政区划代码"

    # Dates: a temporary trip ending before it starts; the refusal goes to the end date.
    page.get_by_label("临时外出就医人员").check()
    page.get_by_label("就医地代码").fill("440100")
    page.get_by_label("结束日期").fill((today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#end_date-error").inner_text() == "备案日期有误：结束日期早于开始日期"
    assert page.locator("#start_date-error").count() == 0

    # Without the commitment (and no documents) the filing has no basis.
    page.get_by_label("结束日期").fill((today() + timedelta(days=20)).isoformat())
    page.get_by_label("本人承诺以上内容属实").uncheck()
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#commitment-error").inner_text() == "请确认承诺书或上传证明材料"

    # The same refusals in English, with the language cookie.
    in_english(page, live_server)
    page.goto("/offsite/new")
    assert page.get_by_role("heading", name="New off-site filing").is_visible()
    assert page.get_by_test_id("commitment-text").inner_text() == current_commitment().text_en
    page.get_by_label("Long-term resident elsewhere").check()
    page.get_by_label("Destination code").fill("340600")
    page.get_by_label("Contact address there").fill("Xiangshan district")
    page.get_by_label("I promise the above is true").check()
    page.get_by_role("button", name="Submit filing").click()
    assert page.locator("#destination_code-error").inner_text() == "The destination cannot be your own pooling region"
    page.get_by_label("Destination code").fill("310100")
    page.get_by_label("Start date").fill((today() - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Submit filing").click()
    assert (
        page.locator("#start_date-error")
        .inner_text()
        .startswith("The filing dates are wrong: the start cannot be before today")
    )
    shot(page, "offsite-error-en")
    assert not OffsiteFiling.objects.exists()


def test_a_referral_needs_documents_and_waits_for_review(page: Any, monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setattr(OffsiteFiling._meta.get_field("materials"), "storage", PrivateStorage(location=tmp_path))
    person = factories.person(insurance_type=Person.InsuranceType.RESIDENT, phone="13900005003")
    sign_in(page, "13900005003")
    page.goto("/offsite/new")
    assert not page.locator("#documents-note").is_visible()
    page.get_by_label("异地转诊人员").check()
    assert page.locator("#documents-note").is_visible()  # the kind says it needs documents
    page.get_by_label("就医地代码").fill("320100")
    page.get_by_label("结束日期").fill((today() + timedelta(days=30)).isoformat())
    page.get_by_label("就医地联系地址").fill("南京市鼓楼区")
    page.get_by_label("本人承诺以上内容属实").check()
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#commitment-error").inner_text() == "该类别须上传证明材料"

    page.get_by_label("本人承诺以上内容属实").uncheck()
    page.get_by_label("证明材料（须提供材料的类别）").set_input_files(
        files=[{"name": "referral.txt", "mimeType": "text/plain", "buffer": b"not a document"}]
    )
    page.get_by_role("button", name="提交备案").click()
    assert page.locator("#materials-error").inner_text() == "证明材料须为 JPEG、PNG 或 PDF 文件，且不超过 5 MB"

    page.get_by_label("证明材料（须提供材料的类别）").set_input_files(
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
    assert page.get_by_test_id(f"filing-{long_term.pk}").get_by_test_id("destination").inner_text() == "340500 马鞍山市"

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

    # A long-term filing cannot be cancelled in its first 180 days: the service's refusal, localized.
    page.get_by_test_id(f"filing-{long_term.pk}").get_by_role("link", name="取消备案").click()
    page.get_by_role("button", name="确认取消备案").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().startswith("备案生效 180 天后方可变更或取消")
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
    assert page.get_by_label("异地安置退休人员").count() == 0  # not for the guardian himself
    page.get_by_label("为谁办理").select_option(label="赵母")
    page.wait_for_url(f"**/offsite/new?person={mother.pk}")
    assert page.get_by_text("代办：赵母").is_visible()
    page.get_by_label("异地安置退休人员").check()  # the mother is retired: she may
    page.get_by_label("就医地代码").fill("460200")
    page.get_by_label("就医地联系地址").fill("三亚市吉阳区")
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
