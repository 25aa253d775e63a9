"""Reading the family forms the GOV.UK way: every empty or malformed field at once, in plain words.

The rules (who may be bound, which relations, the proof's type) stay in the services; this module only says
what is missing or mistyped before asking them, and turns their refusals into words a resident uses.
``errors`` maps a field's id to its message, in the order the fields appear on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict

from portal.errors import Bilingual, DomainError, localized_label
from portal.family.models import Relation
from portal.identity import normalize_id_number, parse_id_number

NAME_MAX = 100

ENTER_NAME = Bilingual("请输入亲属姓名", "Enter the relative's name")
NAME_TOO_LONG = Bilingual(f"姓名最多 {NAME_MAX} 个字", f"The name has at most {NAME_MAX} characters")
ENTER_ID_NUMBER = Bilingual("请输入亲属身份证号", "Enter the relative's identity number")
CHOOSE_RELATION = Bilingual("请选择这位亲属与您的关系", "Choose how this relative is related to you")
CHOOSE_PROOF = Bilingual("请选择关系证明文件", "Choose a file that proves the relationship")
ENTER_SMS_CODE = Bilingual("请输入亲属收到的短信验证码", "Enter the code your relative received by text message")

# What is wrong with a typed identity number, in the words a resident uses (never "check digit").
ID_NUMBER_WORDS = {
    "characters": Bilingual(
        "身份证号只能有数字，最后一位可以是 X，请核对",
        "An identity number has only digits, and the last character may be X; check it",
    ),
    "region": Bilingual(
        "身份证号的前两位不对，请核对", "The first two digits of the identity number are wrong; check them"
    ),
    "birth_date": Bilingual(
        "身份证号中的出生日期（第 7 到 14 位）不对，请核对",
        "The date of birth in the identity number (characters 7 to 14) is wrong; check it",
    ),
    "check_digit": Bilingual(
        "身份证号最后一位不对，请核对", "The last character of the identity number is wrong; check it"
    ),
}

# The services' refusals, said plainly for the pages (the API keeps its own codes and texts).
PLAIN_REFUSALS = {
    "bound_person_not_found": Bilingual(
        "没有找到这个姓名和身份证号的参保人，请核对姓名和身份证号",
        "We found no insured person with this name and identity number; check both",
    ),
    "bound_not_insured": Bilingual(
        "这位亲属现在没有参保，不能用您的账户", "This relative is not insured at the moment, so cannot use your account"
    ),
    "bound_other_region": Bilingual(
        "这位亲属要和您在同一个地区参保，才能用您的账户",
        "This relative must be insured in the same region as you to use your account",
    ),
    "binding_self": Bilingual(
        "这是您自己的身份证号，请输入亲属的", "This is your own identity number; enter your relative's"
    ),
    "proof_missing": CHOOSE_PROOF,
    "holding_self": Bilingual(
        "这是您自己的身份证号，请输入亲属的", "This is your own identity number; enter your relative's"
    ),
}


def id_number_words(raw: str) -> str:
    """The plain words for what is wrong with ``raw``, or "" when it is a valid identity number."""
    number = normalize_id_number(raw)
    if not number:
        return ENTER_ID_NUMBER.localized()
    if len(number) != 18:
        return Bilingual(
            f"身份证号应为 18 位，您输入了 {len(number)} 位",
            f"An identity number has 18 characters; you entered {len(number)}",
        ).localized()
    try:
        parse_id_number(number)
    except DomainError as error:
        words = ID_NUMBER_WORDS.get(str(error.details.get("reason", "")))
        return words.localized() if words is not None else error.message()
    return ""


def refusal_words(error: DomainError) -> str:
    """A service's refusal in plain words for a page."""
    if error.code == "id_number_invalid":
        words = ID_NUMBER_WORDS.get(str(error.details.get("reason", "")))
        if words is not None:
            return words.localized()
    if error.code == "relation_not_allowed":
        relation = str(error.params.get("relation", ""))
        label = localized_label(Relation(relation).label) if relation in Relation.values else relation
        return Bilingual(
            f"本地区不能与{label}共用个人账户", f"In your region you cannot share your account with a {label.lower()}"
        ).localized()
    plain = PLAIN_REFUSALS.get(error.code)
    return plain.localized() if plain is not None else error.message()


def field_refusal(error: DomainError, fields: dict[str, str], default: str = "form") -> dict[str, str]:
    """A service's refusal as ``{field: plain words}``; codes not in ``fields`` go on top of the form."""
    return {fields.get(error.code, default): refusal_words(error)}


def _name(data: QueryDict, errors: dict[str, str]) -> str:
    name = data.get("name", "").strip()
    if not name:
        errors["name"] = ENTER_NAME.localized()
    elif len(name) > NAME_MAX:
        errors["name"] = NAME_TOO_LONG.localized()
    return name


def _id_number(data: QueryDict, errors: dict[str, str]) -> str:
    id_number = data.get("id_number", "").strip()
    words = id_number_words(id_number)
    if words:
        errors["id_number"] = words
    return id_number


@dataclass
class BindForm:
    """A request to share my account, as typed in; the proof file is checked and kept by the view."""

    relation: str = ""
    name: str = ""
    id_number: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, data: QueryDict, *, allowed: list[str]) -> BindForm:
        form = cls()
        form.relation = data.get("relation", "").strip()
        if form.relation not in allowed:
            form.errors["relation"] = CHOOSE_RELATION.localized()
        form.name = _name(data, form.errors)
        form.id_number = _id_number(data, form.errors)
        return form


@dataclass
class HoldingForm:
    """A request to show a relative's code, as typed in."""

    name: str = ""
    id_number: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, data: QueryDict) -> HoldingForm:
        form = cls()
        form.name = _name(data, form.errors)
        form.id_number = _id_number(data, form.errors)
        return form
