"""The family pages in a real browser: family sharing (家庭共济, /family/sharing/) and relatives' codes
(亲情账户, /family/relatives/), at 360 px. The forms' errors are in test_web_family_forms.py, each page alone in
test_web_family_pages.py.

Fixtures (``browser``, ``page``) are in tests/portal/conftest.py, helpers in tests/portal/browser.py;
screenshots go to artifacts/screenshots/family*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.family.deduction import family_deduct
from portal.family.models import FamilyBinding
from portal.family.services import binding_consent_in_app, binding_request
from portal.ledger.selectors import account_balance, personal_account
from portal.ledger.services import institution_account
from portal.people.models import Person
from portal.people.services import person_id_number
from portal.signin.sms import LocmemSmsBackend
from tests import factories
from tests.portal.browser import BROWSER_TESTS, shot, sign_in
from tests.uploads import PNG
from vouchers.models import FamilyHolding

pytestmark = BROWSER_TESTS

BINDING_PAGE = re.compile(r".*/family/sharing/\d+$")
HOLDING_PAGE = re.compile(r".*/family/relatives/\d+$")


@pytest.fixture(autouse=True)
def _remove_uploaded_proofs(page: Any) -> Iterator[None]:
    """Proofs are stored under MEDIA_ROOT/private; delete the ones this test uploaded (before ``page`` ends)."""
    yield
    for binding in FamilyBinding.objects.exclude(proof=""):
        binding.proof.delete(save=False)


@pytest.fixture
def other_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A second phone: another resident's own browser, signed out."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, base_url=live_server.url, locale="zh-CN")
    yield context.new_page()
    context.close()


def initiator(phone: str, name: str = "王建国") -> Person:
    return factories.person(name=name, insurance_type="employee", balance_fen=100_000, phone=phone)


def adult(phone: str, name: str = "李梅") -> Person:
    number = factories.id_number(birth=dt.date(1962, 3, 4))
    return factories.person(name=name, insurance_type="resident", phone=phone, number=number)


def fill_bind_form(page: Any, relative: Person, relation: str, id_number: str | None = None) -> None:
    page.goto("/family/sharing/bind")
    page.get_by_label("与您的关系").select_option(relation)
    page.get_by_label("亲属姓名").fill(relative.name)
    page.get_by_label("亲属身份证号").fill(id_number or person_id_number(relative))
    page.get_by_label("关系证明").set_input_files({"name": "hukou.png", "mimeType": "image/png", "buffer": PNG})


def status_message(page: Any) -> str:
    return str(page.get_by_role("status").inner_text())


def bound_directly(me: Person, relative: Person, relation: str = "spouse") -> FamilyBinding:
    """An active binding made through the services, for tests about what comes after."""
    proof = SimpleUploadedFile("hukou.png", PNG, content_type="image/png")
    binding = binding_request(
        initiator=me, name=relative.name, id_number=person_id_number(relative), relation=relation, proof=proof
    )
    return binding_consent_in_app(binding_id=binding.pk, bound=relative)


def test_signed_out_visitors_are_sent_to_sign_in_and_come_back(page: Any) -> None:
    initiator("13900005500")
    page.goto("/family/")
    assert page.url.endswith("/signin?next=/family/")
    assert page.get_by_label("手机号").is_visible()


def test_binding_a_spouse_who_consents_in_the_app_then_spends_from_my_account(page: Any, other_page: Any) -> None:
    me, spouse = initiator("13900005501"), adult("13900005502")
    sign_in(page, me.phone)
    page.get_by_role("link", name="家庭共济").click()  # home links to each family page directly
    page.wait_for_url("**/family/sharing/")
    assert page.get_by_text("还没有家人用我的账户").is_visible()
    page.get_by_role("link", name="添加家人").click()
    page.wait_for_url("**/family/sharing/bind")
    assert page.get_by_label("关系证明").get_attribute("accept") == (
        "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"
    )
    fill_bind_form(page, spouse, "spouse")
    shot(page, "family-bind")
    page.get_by_role("button", name="提交申请").click()

    # The next step: the relative agrees (in the app, or by the SMS code sent to their phone).
    page.wait_for_url(BINDING_PAGE)
    assert "已提交，请亲属同意" in status_message(page)
    assert page.get_by_test_id("binding-status").inner_text() == "等待同意"
    assert page.get_by_role("heading", name="下一步：家人同意").is_visible()
    assert page.get_by_label("亲属收到的短信验证码").is_visible()
    assert spouse.masked_phone in page.content()
    shot(page, "family-bind-next-step")
    binding = FamilyBinding.objects.get()
    assert (binding.initiator, binding.bound, binding.relation, binding.status) == (
        me,
        spouse,
        "spouse",
        "awaiting_consent",
    )
    assert binding.proof_content_type == "image/png"

    # The spouse signs in on her own phone; the chooser says something waits for her.
    sign_in(other_page, spouse.phone)
    other_page.goto("/family/")
    assert "有 1 项等您同意" in other_page.get_by_test_id("choose-sharing").inner_text()
    other_page.get_by_test_id("choose-sharing").click()
    other_page.wait_for_url("**/family/sharing/")
    request = other_page.get_by_test_id(f"consent-binding-{binding.pk}")
    assert "王建国" in request.inner_text() and "配偶" in request.inner_text()
    shot(other_page, "family-consent-request")
    request.get_by_role("button", name="同意", exact=True).click()
    other_page.wait_for_url("**/family/sharing/")
    assert "共济已生效" in status_message(other_page)
    mine = other_page.get_by_test_id(f"binding-{binding.pk}")
    assert "王建国" in mine.inner_text() and "已生效" in mine.inner_text()
    binding.refresh_from_db()
    assert (binding.status, binding.consent_method) == ("active", "app")

    # She pays at a pharmacy; she has no account of her own, so it comes from mine.
    pharmacy = institution_account(institution=factories.institution())
    family_deduct(payer=spouse, amount_fen=2_345, to_account_id=pharmacy.pk, reference="WEB-FAMILY-1")
    page.goto("/family/sharing/")
    row = page.get_by_test_id(f"binding-{binding.pk}")
    assert "李梅" in row.inner_text() and "已生效" in row.inner_text() and "配偶" in row.inner_text()
    assert page.get_by_test_id(f"spent-{spouse.pk}").inner_text() == "¥23.45"
    assert person_id_number(spouse) not in page.content()  # masked identity only
    assert spouse.id_number_masked in row.inner_text()
    account = personal_account(person=me)
    assert account is not None and account_balance(account_id=account.pk) == 100_000 - 2_345
    shot(page, "family-sharing-with-binding")


def test_the_initiator_types_in_the_sms_code_the_relative_received(page: Any) -> None:
    me, mother = initiator("13900005511"), adult("13900005512", name="赵桂兰")
    sign_in(page, me.phone)
    fill_bind_form(page, mother, "parent")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(BINDING_PAGE)
    sent = LocmemSmsBackend.outbox[-1]
    assert sent["phone"] == mother.phone and sent["purpose"] == "family_binding"

    wrong = "000000" if sent["code"] != "000000" else "111111"
    page.get_by_label("亲属收到的短信验证码").fill(wrong)
    page.get_by_role("button", name="确认", exact=True).click()
    error = page.locator("#sms_code-error + #sms_code")  # the message sits above its field
    assert error.count() == 1
    assert "验证码不正确" in page.locator("#sms_code-error").inner_text()
    assert "验证码不正确" in page.locator("#error-summary").inner_text()
    assert page.get_by_label("亲属收到的短信验证码").get_attribute("aria-describedby") == "sms_code-error"
    shot(page, "family-sms-error")

    page.get_by_label("亲属收到的短信验证码").fill(sent["code"])
    page.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_url("**/family/sharing/")
    assert "共济已生效" in status_message(page)
    binding = FamilyBinding.objects.get()
    assert (binding.status, binding.consent_method, binding.relation) == ("active", "sms", "parent")
    assert "已生效" in page.get_by_test_id(f"binding-{binding.pk}").inner_text()


def test_a_parent_binding_a_minor_child_consents_as_guardian_at_once(page: Any) -> None:
    me = initiator("13900005515")
    child = factories.person(
        name="王小宝", insurance_type="resident", phone="", number=factories.id_number(birth=dt.date(2016, 8, 1))
    )
    sign_in(page, me.phone)
    fill_bind_form(page, child, "child")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/family/sharing/")
    assert "已生效：王小宝现在可以用您的个人账户付医药费" in status_message(page)
    binding = FamilyBinding.objects.get()
    assert (binding.status, binding.consent_method) == ("active", "guardian")
    row = page.get_by_test_id(f"binding-{binding.pk}")
    assert "王小宝" in row.inner_text() and "子女" in row.inner_text() and "已生效" in row.inner_text()


def test_a_relative_in_another_region_is_refused_next_to_the_identity_number(page: Any) -> None:
    me = initiator("13900005531")
    cousin = factories.person(name="孙丽", region_code="340500", phone="13900005532")
    sign_in(page, me.phone)
    fill_bind_form(page, cousin, "spouse")
    page.get_by_role("button", name="提交申请").click()
    words = "这位亲属要和您在同一个地区参保，才能用您的账户"
    assert page.locator("#id_number-error").inner_text() == words
    assert page.locator("#error-summary").get_by_role("link", name=words).get_attribute("href") == "#id_number"
    assert page.get_by_test_id("proof-kept").inner_text() == "已上传：hukou.png（可重新选择）"
    assert not FamilyBinding.objects.exists()


def test_stopping_sharing_asks_first_then_ends_it(page: Any) -> None:
    me, spouse = initiator("13900005541"), adult("13900005542")
    binding = bound_directly(me, spouse)
    sign_in(page, me.phone)
    page.goto("/family/sharing/")
    row = page.get_by_test_id(f"binding-{binding.pk}")
    row.get_by_role("link", name="解除共济").click()
    page.wait_for_url(f"**/family/sharing/{binding.pk}/stop")
    assert page.get_by_role("heading", name="确定解除共济？").is_visible()
    assert "已经付过的钱和退款不受影响" in page.content()
    shot(page, "family-sharing-stop")
    # Changing one's mind leaves it as it was.
    page.get_by_role("link", name="取消").click()
    page.wait_for_url("**/family/sharing/")
    binding.refresh_from_db()
    assert binding.status == "active"

    page.get_by_test_id(f"binding-{binding.pk}").get_by_role("link", name="解除共济").click()
    page.get_by_role("button", name="确定解除共济").click()
    page.wait_for_url("**/family/sharing/")
    assert "已解除共济" in status_message(page)
    binding.refresh_from_db()
    assert (binding.status, binding.ended_by) == ("unbound", "initiator")
    assert page.get_by_text("还没有家人用我的账户").is_visible()
    page.get_by_text("已结束").click()
    assert "已解除共济" in page.get_by_test_id(f"binding-{binding.pk}").inner_text()
    shot(page, "family-sharing-after-stop")


def test_the_bound_person_can_decline_a_request(page: Any) -> None:
    me, spouse = initiator("13900005551"), adult("13900005552")
    proof = SimpleUploadedFile("hukou.png", PNG, content_type="image/png")
    binding = binding_request(
        initiator=me, name=spouse.name, id_number=person_id_number(spouse), relation="spouse", proof=proof
    )
    sign_in(page, spouse.phone)
    page.goto("/family/sharing/")
    page.get_by_test_id(f"consent-binding-{binding.pk}").get_by_role("link", name="不同意").click()
    assert page.get_by_role("heading", name="不同意这项申请？").is_visible()
    page.get_by_role("button", name="确定不同意").click()
    page.wait_for_url("**/family/sharing/")
    assert "已拒绝这项申请" in status_message(page)
    binding.refresh_from_db()
    assert (binding.status, binding.ended_by) == ("unbound", "bound")
    assert page.get_by_text("等我同意").count() == 0


def test_an_outsider_can_neither_see_nor_end_someone_elses_binding(page: Any) -> None:
    me, spouse, outsider = initiator("13900005561"), adult("13900005562"), adult("13900005563", name="周强")
    binding = bound_directly(me, spouse)
    sign_in(page, outsider.phone)
    for path in (f"/family/sharing/{binding.pk}", f"/family/sharing/{binding.pk}/stop"):
        page.goto(path)
        page.wait_for_url("**/family/sharing/")
        assert "未找到该绑定" in page.locator(".messages").inner_text()
        assert "李梅" not in page.content()
    # A forged POST (with a valid CSRF token from the outsider's own page) changes nothing either.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"/family/sharing/{binding.pk}/stop", form={"csrfmiddlewaretoken": token}, max_redirects=0
    )
    assert response.status == 302
    binding.refresh_from_db()
    assert binding.status == "active"


def test_showing_a_relatives_code_add_consent_by_sms_then_remove(page: Any) -> None:
    me, grandma = initiator("13900005571"), adult("13900005572", name="钱秀英")
    sign_in(page, me.phone)
    page.goto("/family/")
    page.get_by_role("link", name="亲情账户").click()
    page.wait_for_url("**/family/relatives/")
    page.get_by_role("link", name="添加亲属").click()
    page.wait_for_url("**/family/relatives/add")
    page.get_by_label("亲属姓名").fill(grandma.name)
    page.get_by_label("亲属身份证号").fill(person_id_number(grandma))
    page.get_by_role("button", name="添加", exact=True).click()
    page.wait_for_url(HOLDING_PAGE)
    assert "已添加，请亲属同意" in status_message(page)
    holding = FamilyHolding.objects.get()
    assert (holding.holder, holding.relative, holding.status) == (me, grandma, "pending")
    sent = LocmemSmsBackend.outbox[-1]
    assert sent["phone"] == grandma.phone and sent["purpose"] == "family_consent"
    shot(page, "family-holding")
    page.get_by_label("亲属收到的短信验证码").fill(sent["code"])
    page.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_url("**/family/relatives/")
    row = page.get_by_test_id(f"holding-{holding.pk}")
    assert "钱秀英" in row.inner_text() and "可以出示" in row.inner_text()
    assert row.get_by_role("link", name="出示医保码").get_attribute("href") == f"/voucher?person={grandma.pk}"
    holding.refresh_from_db()
    assert (holding.status, holding.consent) == ("active", "sms")
    shot(page, "family-with-holding")

    row.get_by_role("link", name="移除").click()
    assert page.get_by_role("heading", name="确定移除？").is_visible()
    shot(page, "family-relatives-remove")
    page.get_by_role("button", name="确定移除").click()
    page.wait_for_url("**/family/relatives/")
    assert "已移除" in status_message(page)
    holding.refresh_from_db()
    assert (holding.status, holding.removed_by) == ("removed", "holder")
    assert page.get_by_test_id(f"holding-{holding.pk}").count() == 0


def test_a_relative_agrees_in_the_app_to_have_their_code_shown(page: Any, other_page: Any) -> None:
    me, father = initiator("13900005581"), adult("13900005582", name="吴国栋")
    sign_in(page, me.phone)
    page.goto("/family/relatives/add")
    page.get_by_label("亲属姓名").fill(father.name)
    page.get_by_label("亲属身份证号").fill(person_id_number(father))
    page.get_by_role("button", name="添加", exact=True).click()
    page.wait_for_url(HOLDING_PAGE)
    holding = FamilyHolding.objects.get()
    sign_in(other_page, father.phone)
    other_page.goto("/family/")
    assert "有 1 项等您同意" in other_page.get_by_test_id("choose-relatives").inner_text()
    other_page.get_by_test_id("choose-relatives").click()
    request = other_page.get_by_test_id(f"consent-holding-{holding.pk}")
    assert "王建国" in request.inner_text()
    request.get_by_role("button", name="同意", exact=True).click()
    other_page.wait_for_url("**/family/relatives/")
    assert "已同意" in status_message(other_page)
    assert "王建国" in other_page.get_by_test_id(f"holding-{holding.pk}").inner_text()
    holding.refresh_from_db()
    assert (holding.status, holding.consent) == ("active", "app")
