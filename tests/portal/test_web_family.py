"""The family pages in a real browser: family sharing (家庭共济) and family codes (亲情账户), at 360 px.

Fixtures (``browser``, ``page``) are in tests/portal/conftest.py, helpers in tests/portal/browser.py;
screenshots go to artifacts/screenshots/family*.png.
"""

from __future__ import annotations

import datetime as dt
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

NOT_AN_IMAGE = b"MZ\x90\x00 this is a program, not a picture"


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
    page.goto("/family/bind")
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
    page.get_by_role("link", name="家庭共济").click()
    page.wait_for_url("**/family/")
    assert page.get_by_text("还没有绑定亲属").is_visible()
    page.get_by_role("link", name="绑定亲属").click()
    page.wait_for_url("**/family/bind")
    assert page.get_by_label("关系证明").get_attribute("accept") == (
        "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"
    )
    fill_bind_form(page, spouse, "spouse")
    shot(page, "family-bind")
    page.get_by_role("button", name="提交绑定申请").click()

    # The next step: the relative consents (in the app, or by the SMS code sent to their phone).
    page.wait_for_url("**/family/bindings/*")
    assert "绑定申请已提交" in status_message(page)
    assert page.get_by_test_id("binding-status").inner_text() == "待被绑定人确认"
    assert page.get_by_role("heading", name="下一步：亲属确认").is_visible()
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

    # The spouse signs in on her own phone and finds the request on /family/.
    sign_in(other_page, spouse.phone)
    other_page.goto("/family/")
    request = other_page.get_by_test_id(f"consent-binding-{binding.pk}")
    assert "王建国" in request.inner_text() and "配偶" in request.inner_text()
    shot(other_page, "family-consent-request")
    request.get_by_role("button", name="同意绑定").click()
    other_page.wait_for_url("**/family/")
    assert "绑定已生效" in status_message(other_page)
    mine = other_page.get_by_test_id(f"binding-{binding.pk}")
    assert "王建国" in mine.inner_text() and "已生效" in mine.inner_text()
    binding.refresh_from_db()
    assert (binding.status, binding.consent_method) == ("active", "app")

    # She pays at a pharmacy; she has no account of her own, so it comes from mine.
    pharmacy = institution_account(institution=factories.institution())
    family_deduct(payer=spouse, amount_fen=2_345, to_account_id=pharmacy.pk, reference="WEB-FAMILY-1")
    page.goto("/family/")
    row = page.get_by_test_id(f"binding-{binding.pk}")
    assert "李梅" in row.inner_text() and "已生效" in row.inner_text() and "配偶" in row.inner_text()
    assert page.get_by_test_id(f"spent-{spouse.pk}").inner_text() == "¥23.45"
    assert person_id_number(spouse) not in page.content()  # masked identity only
    assert spouse.id_number_masked in row.inner_text()
    account = personal_account(person=me)
    assert account is not None and account_balance(account_id=account.pk) == 100_000 - 2_345
    shot(page, "family")


def test_the_initiator_types_in_the_sms_code_the_relative_received(page: Any) -> None:
    me, mother = initiator("13900005511"), adult("13900005512", name="赵桂兰")
    sign_in(page, me.phone)
    fill_bind_form(page, mother, "parent")
    page.get_by_role("button", name="提交绑定申请").click()
    page.wait_for_url("**/family/bindings/*")
    sent = LocmemSmsBackend.outbox[-1]
    assert sent["phone"] == mother.phone and sent["purpose"] == "family_binding"

    wrong = "000000" if sent["code"] != "000000" else "111111"
    page.get_by_label("亲属收到的短信验证码").fill(wrong)
    page.get_by_role("button", name="确认绑定").click()
    error = page.locator("#sms_code + #sms_code-error")
    assert error.get_attribute("role") == "alert"
    assert "验证码不正确" in error.inner_text()
    assert page.get_by_label("亲属收到的短信验证码").get_attribute("aria-describedby") == "sms_code-error"
    shot(page, "family-sms-error")

    page.get_by_label("亲属收到的短信验证码").fill(sent["code"])
    page.get_by_role("button", name="确认绑定").click()
    page.wait_for_url("**/family/")
    assert "绑定已生效" in status_message(page)
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
    page.get_by_role("button", name="提交绑定申请").click()
    page.wait_for_url("**/family/")
    assert "绑定已生效" in status_message(page)
    binding = FamilyBinding.objects.get()
    assert (binding.status, binding.consent_method) == ("active", "guardian")
    row = page.get_by_test_id(f"binding-{binding.pk}")
    assert "王小宝" in row.inner_text() and "子女" in row.inner_text() and "已生效" in row.inner_text()


def test_a_bad_identity_number_and_a_bad_proof_show_field_errors_in_chinese_and_english(
    page: Any, live_server: Any
) -> None:
    me, spouse = initiator("13900005521"), adult("13900005522")
    number = person_id_number(spouse)
    bad_number = number[:-1] + ("0" if number[-1] != "0" else "1")  # wrong check digit
    sign_in(page, me.phone)
    fill_bind_form(page, spouse, "spouse", id_number=bad_number)
    page.get_by_role("button", name="提交绑定申请").click()
    error = page.locator("#id_number + #id_number-error")  # right next to its field
    assert error.get_attribute("role") == "alert"
    assert error.inner_text() == "身份证号码格式不正确：校验位不正确"
    assert page.get_by_label("亲属身份证号").get_attribute("aria-describedby") == "id_number-error"
    assert page.get_by_label("亲属姓名").input_value() == spouse.name  # what was typed is kept
    assert page.locator(".field-error").count() == 1
    shot(page, "family-bind-error")

    # A file that is not really a picture is refused by its content, next to the file input.
    fill_bind_form(page, spouse, "spouse")
    page.get_by_label("关系证明").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": NOT_AN_IMAGE}
    )
    page.get_by_role("button", name="提交绑定申请").click()
    assert "关系证明须为 JPEG、PNG 或 PDF 文件" in page.locator("#proof + #proof-error").inner_text()
    assert not FamilyBinding.objects.exists()

    # The same mistakes in English when the language cookie says so.
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/family/bind")
    assert page.get_by_role("heading", name="Bind a relative").is_visible()
    page.get_by_label("Relation to you").select_option("spouse")
    page.get_by_label("Relative's name").fill(spouse.name)
    page.get_by_label("Relative's identity number").fill(bad_number)
    page.get_by_label("Proof of relationship").set_input_files(
        {"name": "hukou.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Send the request").click()
    error = page.locator("#id_number + #id_number-error")
    assert error.inner_text() == "The identity number is not valid: the check digit does not match"
    shot(page, "family-bind-error-en")
    page.get_by_label("Relative's identity number").fill(number)
    page.get_by_role("button", name="Send the request").click()
    # The file has to be chosen again after an error (browsers do not keep it).
    assert page.locator("#proof + #proof-error").inner_text() == "Upload a proof of relationship"
    assert not FamilyBinding.objects.exists()


def test_a_relative_in_another_region_is_refused_next_to_the_identity_number(page: Any) -> None:
    me = initiator("13900005531")
    cousin = factories.person(name="孙丽", region_code="340500", phone="13900005532")
    sign_in(page, me.phone)
    fill_bind_form(page, cousin, "spouse")
    page.get_by_role("button", name="提交绑定申请").click()
    assert page.locator("#id_number + #id_number-error").inner_text() == "被绑定人须与您在同一统筹区参保"
    assert not FamilyBinding.objects.exists()


def test_unbinding_asks_first_then_ends_the_binding(page: Any) -> None:
    me, spouse = initiator("13900005541"), adult("13900005542")
    binding = bound_directly(me, spouse)
    sign_in(page, me.phone)
    page.goto("/family/")
    row = page.get_by_test_id(f"binding-{binding.pk}")
    row.get_by_role("link", name="解绑").click()
    page.wait_for_url(f"**/family/bindings/{binding.pk}/unbind")
    assert page.get_by_role("heading", name="确定解除绑定？").is_visible()
    assert "已发生的支付和退款不受影响" in page.content()
    shot(page, "family-unbind")
    # Changing one's mind leaves it as it was.
    page.get_by_role("link", name="取消").click()
    page.wait_for_url("**/family/")
    binding.refresh_from_db()
    assert binding.status == "active"

    page.get_by_test_id(f"binding-{binding.pk}").get_by_role("link", name="解绑").click()
    page.get_by_role("button", name="确定解绑").click()
    page.wait_for_url("**/family/")
    assert "已解除绑定" in status_message(page)
    binding.refresh_from_db()
    assert (binding.status, binding.ended_by) == ("unbound", "initiator")
    assert page.get_by_text("还没有绑定亲属").is_visible()
    page.get_by_text("已结束的绑定").click()
    assert "已解绑" in page.get_by_test_id(f"binding-{binding.pk}").inner_text()
    shot(page, "family-after-unbind")


def test_the_bound_person_can_decline_a_request(page: Any) -> None:
    me, spouse = initiator("13900005551"), adult("13900005552")
    proof = SimpleUploadedFile("hukou.png", PNG, content_type="image/png")
    binding = binding_request(
        initiator=me, name=spouse.name, id_number=person_id_number(spouse), relation="spouse", proof=proof
    )
    sign_in(page, spouse.phone)
    page.goto("/family/")
    page.get_by_test_id(f"consent-binding-{binding.pk}").get_by_role("link", name="不同意").click()
    assert page.get_by_role("heading", name="不同意这项绑定？").is_visible()
    page.get_by_role("button", name="确定解绑").click()
    page.wait_for_url("**/family/")
    binding.refresh_from_db()
    assert (binding.status, binding.ended_by) == ("unbound", "bound")
    assert page.get_by_text("待我确认").count() == 0


def test_an_outsider_can_neither_see_nor_end_someone_elses_binding(page: Any) -> None:
    me, spouse, outsider = initiator("13900005561"), adult("13900005562"), adult("13900005563", name="周强")
    binding = bound_directly(me, spouse)
    sign_in(page, outsider.phone)
    for path in (f"/family/bindings/{binding.pk}", f"/family/bindings/{binding.pk}/unbind"):
        page.goto(path)
        page.wait_for_url("**/family/")
        assert "未找到该绑定" in page.locator(".messages").inner_text()
        assert "李梅" not in page.content()
    # A forged POST (with a valid CSRF token from the outsider's own page) changes nothing either.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"/family/bindings/{binding.pk}/unbind", form={"csrfmiddlewaretoken": token}, max_redirects=0
    )
    assert response.status == 302
    binding.refresh_from_db()
    assert binding.status == "active"


def test_showing_a_relatives_code_add_consent_by_sms_then_remove(page: Any) -> None:
    me, grandma = initiator("13900005571"), adult("13900005572", name="钱秀英")
    sign_in(page, me.phone)
    page.goto("/family/")
    page.get_by_role("link", name="添加", exact=False).click()
    page.wait_for_url("**/family/holdings/add")
    page.get_by_label("亲属姓名").fill(grandma.name)
    page.get_by_label("亲属身份证号").fill(person_id_number(grandma))
    page.get_by_role("button", name="添加").click()
    page.wait_for_url("**/family/holdings/*")
    assert "已添加，请亲属确认" in status_message(page)
    holding = FamilyHolding.objects.get()
    assert (holding.holder, holding.relative, holding.status) == (me, grandma, "pending")
    sent = LocmemSmsBackend.outbox[-1]
    assert sent["phone"] == grandma.phone and sent["purpose"] == "family_consent"
    shot(page, "family-holding")
    page.get_by_label("亲属收到的短信验证码").fill(sent["code"])
    page.get_by_role("button", name="确认").click()
    page.wait_for_url("**/family/")
    row = page.get_by_test_id(f"holding-{holding.pk}")
    assert "钱秀英" in row.inner_text() and "有效" in row.inner_text()
    assert row.get_by_role("link", name="出示医保码").get_attribute("href") == f"/voucher?person={grandma.pk}"
    holding.refresh_from_db()
    assert (holding.status, holding.consent) == ("active", "sms")
    shot(page, "family-with-holding")

    row.get_by_role("link", name="解除").click()
    assert page.get_by_role("heading", name="确定解除？").is_visible()
    page.get_by_role("button", name="确定解除").click()
    page.wait_for_url("**/family/")
    assert "已解除" in status_message(page)
    holding.refresh_from_db()
    assert (holding.status, holding.removed_by) == ("removed", "holder")
    assert page.get_by_test_id(f"holding-{holding.pk}").count() == 0


def test_a_relative_agrees_in_the_app_to_have_their_code_shown(page: Any, other_page: Any) -> None:
    me, father = initiator("13900005581"), adult("13900005582", name="吴国栋")
    sign_in(page, me.phone)
    page.goto("/family/holdings/add")
    page.get_by_label("亲属姓名").fill(father.name)
    page.get_by_label("亲属身份证号").fill(person_id_number(father))
    page.get_by_role("button", name="添加").click()
    page.wait_for_url("**/family/holdings/*")
    holding = FamilyHolding.objects.get()
    sign_in(other_page, father.phone)
    other_page.goto("/family/")
    request = other_page.get_by_test_id(f"consent-holding-{holding.pk}")
    assert "王建国" in request.inner_text()
    request.get_by_role("button", name="同意出示").click()
    other_page.wait_for_url("**/family/")
    assert "已确认" in status_message(other_page)
    assert "王建国" in other_page.get_by_test_id(f"holding-{holding.pk}").inner_text()
    holding.refresh_from_db()
    assert (holding.status, holding.consent) == ("active", "app")
