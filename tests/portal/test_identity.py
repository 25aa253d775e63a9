import datetime as dt

import pytest

from portal.identity import InvalidIdNumber, check_character, mask_id_number, parse_id_number

# A published sample number (GB 11643 appendix-style); the last character is computed, not guessed.
VALID = "11010519491231002X"


def test_it_accepts_a_valid_number_with_an_x_check_character() -> None:
    facts = parse_id_number(VALID)
    assert facts.birth_date == dt.date(1949, 12, 31)
    assert facts.gender == "female"  # 17th digit 2 is even
    assert facts.division_code == "110105"


def test_it_accepts_a_lower_case_x_and_surrounding_spaces() -> None:
    assert parse_id_number(" 11010519491231002x ").number == VALID


def test_it_computes_the_check_character_with_iso_7064_mod_11_2() -> None:
    # 3*7+4*9+0*10+5*5+2*8+4*4+1*2+9*1+8*6+0*3+0*7+1*9+0*10+1*5+0*8+0*4+3*2 = 193;
    # 193 % 11 = 6, and "10X98765432"[6] = "6".
    assert check_character("34052419800101003") == "6"
    assert parse_id_number("340524198001010036").gender == "male"  # 17th digit 3 is odd


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check_digit"),  # X replaced by 1
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("1101051949123100AX", "characters"),
        ("X1010519491231002X", "characters"),
        ("991105194912310020", "region"),
        ("110105194913310028", "birth_date"),  # month 13
        ("110105210001010010", "birth_date"),  # born in 2100
    ],
)
def test_it_refuses_a_bad_number_with_the_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(number)
    assert caught.value.reason == reason
    assert caught.value.code == "id_number_invalid"
    assert number not in caught.value.message("en")  # the number never appears in error text


def test_error_messages_come_in_both_languages() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number("110105194912310021")
    assert "the last character is wrong" in caught.value.message("en") and "最后一位不对" in caught.value.message(
        "zh-hans"
    )
    assert "校验位" not in caught.value.message("zh-hans")  # plain words, not jargon


def test_masking_keeps_only_the_first_three_and_last_two_characters() -> None:
    assert mask_id_number(VALID) == "110*************2X"
