"""The family forms without a browser: every error at once, the proof kept behind a token, a form sent twice
binds once, post/redirect/get, the earlier addresses, and plain words in both languages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portal.family.models import FamilyBinding
from portal.people.models import Person
from portal.people.services import person_id_number, person_user
from tests import factories
from tests.uploads import PNG
from vouchers.models import FamilyHolding

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def initiator(phone: str = "13900006001") -> Person:
    return factories.person(name="王建国", insurance_type="employee", balance_fen=100_000, phone=phone)


def adult(name: str = "李梅", phone: str = "13900006002") -> Person:
    number = factories.id_number(birth=dt.date(1962, 3, 4))
    return factories.person(name=name, insurance_type="resident", phone=phone, number=number)


def signed_in(person: Person, language: str = "") -> Client:
    client = Client()
    client.force_login(person_user(person=person))
    if language:
        client.cookies["django_language"] = language
    return client


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("户口本.png", PNG, content_type="image/png")


def form_token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the bind form carries its own token"
    return found.group(1)


def proof_token(html: str) -> str:
    found = re.search(r'name="proof_token" value="([^"]+)"', html)
    assert found, "the kept proof's token is in the form"
    return found.group(1)


def pending_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "private" / "family-proofs" / "pending"
    return sorted(folder.iterdir()) if folder.exists() else []


def main_text(html: str) -> str:
    """The page's own words: <main> without tags (the header has the language switch, 中文)."""
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)


def test_an_empty_bind_form_reports_every_field_at_once_in_plain_words() -> None:
    client = signed_in(initiator())
    page = client.get("/family/sharing/bind").content.decode()
    # No relationship is chosen for the resident.
    assert '<option value="" selected>请选择</option>' in page
    assert re.search(r'<option value="spouse"[^>]*selected', page) is None
    answer = client.post("/family/sharing/bind", {"relation": "", "name": "", "id_number": ""})
    html = answer.content.decode()
    assert answer.status_code == 200
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    links = re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary)
    assert [field for field, _ in links] == ["relation", "name", "id_number", "proof"]
    assert dict(links) == {
        "relation": "请选择这位亲属与您的关系",
        "name": "请输入亲属姓名",
        "id_number": "请输入亲属身份证号",
        "proof": "请选择关系证明文件",
    }
    assert html.count('class="field-error"') == 4
    assert "格式不正确" not in html and not FamilyBinding.objects.exists()


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("34060219800517", "身份证号应为 18 位，您输入了 14 位"),
        ("34060219800517001A", "身份证号只能有数字，最后一位可以是 X，请核对"),
        ("99060219800517001X", "身份证号的前两位不对，请核对"),
        ("34060219801317001X", "身份证号中的出生日期（第 7 到 14 位）不对，请核对"),
    ],
)
def test_a_mistyped_identity_number_is_explained_without_jargon(typed: str, words: str) -> None:
    client = signed_in(initiator())
    html = client.post("/family/relatives/add", {"name": "钱秀英", "id_number": typed}).content.decode()
    assert f'<p id="id_number-error" class="field-error">{words}</p>' in html
    assert "校验" not in html and not FamilyHolding.objects.exists()


def test_a_wrong_last_character_says_so_in_chinese_and_english() -> None:
    me, spouse = initiator(), adult()
    number = person_id_number(spouse)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    data = {"relation": "spouse", "name": spouse.name, "id_number": wrong, "proof": proof()}
    html = signed_in(me).post("/family/sharing/bind", data).content.decode()
    assert '<a href="#id_number">身份证号最后一位不对，请核对</a>' in html
    data["proof"] = proof()
    html = signed_in(me, "en").post("/family/sharing/bind", data).content.decode()
    assert '<a href="#id_number">The last character of the identity number is wrong; check it</a>' in html
    assert not CJK.search(main_text(html).replace(spouse.name, "").replace("户口本.png", ""))


def test_the_proof_is_kept_behind_a_token_across_errors_and_used_once(tmp_path: Path) -> None:
    me, spouse = initiator(), adult()
    client = signed_in(me)
    token = form_token(client.get("/family/sharing/bind").content.decode())
    first = client.post(
        "/family/sharing/bind",
        {"form_token": token, "relation": "", "name": spouse.name, "id_number": "", "proof": proof()},
    ).content.decode()
    assert "已上传：户口本.png（可重新选择）" in first
    assert 'id="proof-error"' not in first and len(pending_files(tmp_path)) == 1
    kept = proof_token(first)
    # Another resident cannot use the token (it belongs to this session and person).
    other = signed_in(initiator("13900006009"))
    stolen = other.post(
        "/family/sharing/bind",
        {"relation": "spouse", "name": spouse.name, "id_number": person_id_number(spouse), "proof_token": kept},
    ).content.decode()
    assert 'id="proof-error"' in stolen and not FamilyBinding.objects.exists()

    answer = client.post(
        "/family/sharing/bind",
        {
            "form_token": token,
            "relation": "spouse",
            "name": spouse.name,
            "id_number": person_id_number(spouse),
            "proof_token": kept,
        },
    )
    binding = FamilyBinding.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/family/sharing/{binding.pk}"
    assert binding.proof_content_type == "image/png" and binding.proof.read() == PNG
    assert pending_files(tmp_path) == []  # the kept copy is gone once used
    binding.proof.delete(save=False)


def test_the_same_form_sent_twice_binds_once_and_leads_to_the_binding() -> None:
    me, spouse = initiator(), adult()
    client = signed_in(me)
    token = form_token(client.get("/family/sharing/bind").content.decode())

    def send(c: Client, with_token: bool = True) -> Any:
        data = {"relation": "spouse", "name": spouse.name, "id_number": person_id_number(spouse), "proof": proof()}
        return c.post("/family/sharing/bind", {**data, "form_token": token} if with_token else data)

    first = send(client)
    binding = FamilyBinding.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/family/sharing/{binding.pk}"
    again = send(client)  # back, then send again
    assert again.status_code == 302 and again["Location"] == f"/family/sharing/{binding.pk}"
    second_tab = send(client, with_token=False)  # another tab, its own form
    assert second_tab.status_code == 302 and second_tab["Location"] == f"/family/sharing/{binding.pk}"
    page = client.get(second_tab["Location"]).content.decode()
    assert "您已经申请过和这位亲属共济，不用再提交" in page
    assert FamilyBinding.objects.count() == 1


def test_adding_a_relatives_code_twice_adds_it_once() -> None:
    me, grandma = initiator(), adult("钱秀英")
    client = signed_in(me)
    data = {"name": grandma.name, "id_number": person_id_number(grandma)}
    first = client.post("/family/relatives/add", data)
    holding = FamilyHolding.objects.get()
    assert first["Location"] == f"/family/relatives/{holding.pk}"
    again = client.post("/family/relatives/add", data)
    assert again.status_code == 302 and again["Location"] == f"/family/relatives/{holding.pk}"
    assert "您已经添加过这位亲属" in client.get(again["Location"]).content.decode()
    assert FamilyHolding.objects.count() == 1


def test_an_empty_sms_code_asks_for_it_without_spending_an_attempt(sms_outbox: list) -> None:
    me, spouse = initiator(), adult()
    client = signed_in(me)
    client.post(
        "/family/sharing/bind",
        {"relation": "spouse", "name": spouse.name, "id_number": person_id_number(spouse), "proof": proof()},
    )
    binding = FamilyBinding.objects.get()
    html = client.post(f"/family/sharing/{binding.pk}/consent", {"sms_code": ""}).content.decode()
    assert '<a href="#sms_code">请输入亲属收到的短信验证码</a>' in html
    done = client.post(f"/family/sharing/{binding.pk}/consent", {"sms_code": sms_outbox[-1]["code"]})
    assert done.status_code == 302 and done["Location"] == "/family/sharing/"
    binding.refresh_from_db()
    assert binding.status == "active"
    # Sent again (a double tap): no error page, no 500, the binding is shown.
    again = client.post(f"/family/sharing/{binding.pk}/consent", {"sms_code": sms_outbox[-1]["code"]})
    assert again.status_code == 302 and again["Location"] == f"/family/sharing/{binding.pk}"
    binding.proof.delete(save=False)


def test_stopping_sharing_twice_is_harmless_and_each_page_uses_its_own_verb() -> None:
    me, spouse = initiator(), adult()
    client = signed_in(me)
    client.post(
        "/family/sharing/bind",
        {"relation": "spouse", "name": spouse.name, "id_number": person_id_number(spouse), "proof": proof()},
    )
    binding = FamilyBinding.objects.get()
    sharing = client.get("/family/sharing/").content.decode()
    assert "解除共济" in sharing and "移除" not in sharing and "解绑" not in sharing
    for _ in range(2):
        answer = client.post(f"/family/sharing/{binding.pk}/stop")
        assert answer.status_code == 302 and answer["Location"] == "/family/sharing/"
    binding.refresh_from_db()
    assert binding.status == "unbound"
    assert "已解除共济" in client.get("/family/sharing/").content.decode()
    added = client.post("/family/relatives/add", {"name": "钱秀英", "id_number": factories.id_number()})
    assert "已添加，请亲属同意" in client.get(added["Location"]).content.decode()
    relatives = client.get("/family/relatives/").content.decode()
    assert "移除" in relatives and "解除" not in relatives and "解绑" not in relatives
    binding.proof.delete(save=False)


def test_the_earlier_addresses_still_work() -> None:
    me, spouse = initiator(), adult()
    client = signed_in(me)
    assert client.get("/family/").status_code == 200
    assert "添加共济家人" in client.get("/family/bind").content.decode()
    answer = client.post(
        "/family/bind",
        {"relation": "spouse", "name": spouse.name, "id_number": person_id_number(spouse), "proof": proof()},
    )
    binding = FamilyBinding.objects.get()
    assert answer["Location"] == f"/family/sharing/{binding.pk}"
    assert client.get(f"/family/bindings/{binding.pk}").status_code == 200
    assert client.get(f"/family/bindings/{binding.pk}/unbind").status_code == 200
    assert client.get("/family/holdings/add").status_code == 200
    binding.proof.delete(save=False)


def test_a_resident_who_cannot_share_is_told_why_instead_of_a_form() -> None:
    resident = factories.person(name="赵桂兰", insurance_type="resident", phone="13900006010")
    client = signed_in(resident)
    sharing = client.get("/family/sharing/").content.decode()
    assert "只有有个人账户的职工参保人才能让家人用自己的账户" in sharing
    assert 'href="/family/sharing/bind"' not in sharing
    bind = client.get("/family/sharing/bind").content.decode()
    assert 'data-testid="cannot-bind"' in bind and '<form class="card"' not in bind


def test_english_family_pages_show_no_chinese() -> None:
    me = initiator()
    client = signed_in(me, "en")
    for path in ("/family/", "/family/sharing/", "/family/relatives/", "/family/sharing/bind", "/family/relatives/add"):
        html = client.get(path).content.decode()
        assert not CJK.search(main_text(html)), path
