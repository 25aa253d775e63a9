"""Resident identity numbers (居民身份证号), GB 11643-1999.

18 characters: a 6-digit administrative division code, an 8-digit birth date, a 3-digit
sequence (odd for men, even for women) and a check character computed with ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.errors import Bilingual, DomainError, define
from portal.parsing import ascii_digits

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

ID_NUMBER_INVALID = define("id_number_invalid", 400, "身份证号有误：{reason}", "The identity number is wrong: {reason}")

# Province-level codes of GB/T 2260 (83: residence permits for Taiwan residents).
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)

_REASONS = {
    # In the words a resident uses: never "校验位" / "check digit".
    "length": ("应为 18 位", "it must have 18 characters"),
    "characters": ("只能有数字，最后一位可以是 X", "it has only digits, and the last character may be X"),
    "region": ("前两位不对，请核对", "the first two digits are wrong; check them"),
    "birth_date": ("出生日期（第 7 到 14 位）不对", "the date of birth (characters 7 to 14) is wrong"),
    "check_digit": ("最后一位不对，请核对", "the last character is wrong; check it"),
}


@dataclass(frozen=True)
class IdentityFacts:
    number: str
    birth_date: dt.date
    gender: str  # "male" | "female"
    division_code: str


class InvalidIdNumber(DomainError):
    def __init__(self, reason: str) -> None:
        zh, en = _REASONS[reason]
        super().__init__(ID_NUMBER_INVALID, details={"reason": reason}, reason=Bilingual(zh, en))
        self.reason = reason


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize_id_number(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdentityFacts:
    """Validate and describe an identity number; raises :class:`InvalidIdNumber`."""
    number = normalize_id_number(raw)
    if len(number) != 18:
        raise InvalidIdNumber("length")
    if not ascii_digits(number[:17]) or not (ascii_digits(number[17]) or number[17] == "X"):
        raise InvalidIdNumber("characters")
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber("region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise InvalidIdNumber("birth_date")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check_digit")
    gender = "male" if int(number[16]) % 2 else "female"
    return IdentityFacts(number=number, birth_date=birth, gender=gender, division_code=number[:6])


def mask_id_number(number: str) -> str:
    """Show the first 3 and last 2 characters only: ``340*************2X``."""
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def mask_name(name: str) -> str:
    """Every character but the last hidden, as the national app shows a name on the code page: ``**国``."""
    name = name.strip()
    return "*" * (len(name) - 1) + name[-1:] if len(name) > 1 else name


def make_id_number(*, division_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid number (demo data and tests)."""
    first17 = f"{division_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
