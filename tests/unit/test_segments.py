"""SMS part counting: GSM 03.38 7-bit 160 / 153, otherwise UCS-2 70 / 67 (DESIGN.md §4)."""

import pytest

from smsgate.text.segments import count_segments, gsm7_length, split_parts

# GSM 03.38 default alphabet (escape 0x1B left out) and its extension table.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"
NOT_GSM = ["`", "ç", "á", "Ő", "中", "😀", "\t", "…", "“", "\u00a0"]


def test_reference_alphabet_has_the_right_size() -> None:
    assert len(set(GSM_BASIC)) == 127
    assert len(set(GSM_EXTENSION)) == 10


@pytest.mark.parametrize("char", list(GSM_BASIC))
def test_every_basic_character_is_one_septet(char: str) -> None:
    assert gsm7_length(char) == 1
    assert count_segments(char * 160) == 1
    assert count_segments(char * 161) == 2


@pytest.mark.parametrize("char", list(GSM_EXTENSION))
def test_every_extension_character_is_two_septets(char: str) -> None:
    assert gsm7_length(char) == 2
    assert count_segments(char * 80) == 1
    assert count_segments(char * 81) == 2
    assert count_segments("a" + char * 80) == 2


@pytest.mark.parametrize("char", NOT_GSM)
def test_characters_outside_gsm_force_ucs2(char: str) -> None:
    assert gsm7_length(char) is None
    assert gsm7_length("hello " + char) is None
    # 70 GSM letters alone fit one part; one foreign character turns the text into UCS-2.
    assert count_segments("a" * 69 + char) == (1 if len(char.encode("utf-16-le")) == 2 else 2)
    assert count_segments("a" * 70 + char) == 2


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (159, 1), (160, 1), (161, 2), (305, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_boundaries(length: int, parts: int) -> None:
    assert count_segments("a" * length) == parts


@pytest.mark.parametrize(
    ("septets", "parts"),
    [(160, 1), (162, 2), (304, 2), (306, 3)],  # 76 whole pairs a part
)
def test_gsm7_boundaries_with_extension_characters(septets: int, parts: int) -> None:
    assert count_segments("€" * (septets // 2)) == parts


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 158 + "€", 1),
        ("a" * 159 + "€", 2),
        ("[" + "a" * 158, 1),
        ("[" + "a" * 159, 2),
        ("a" * 304 + "]", 2),
        ("a" * 305 + "]", 3),
    ],
)
def test_extension_characters_count_double_at_the_boundary(text: str, parts: int) -> None:
    assert count_segments(text) == parts


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (69, 1), (70, 1), (71, 2), (133, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_boundaries_with_chinese(length: int, parts: int) -> None:
    assert count_segments("验" * length) == parts


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("😀" * 35, 1),
        ("😀" * 35 + "a", 2),
        ("验" * 69 + "😀", 2),
        ("验" * 68 + "😀", 1),
        ("😀" * 67, 3),  # 67 units, but a part holds 33 whole emoji (66 units)
        ("😀" * 67 + "验", 3),
    ],
)
def test_emoji_take_two_utf16_units(text: str, parts: int) -> None:
    assert count_segments(text) == parts


def test_mixed_chinese_and_latin_is_ucs2() -> None:
    text = "您的验证码是123456，5分钟内有效。【smsgate】"
    assert len(text) <= 70
    assert count_segments(text) == 1
    assert count_segments(text + "x" * (71 - len(text))) == 2


def test_typical_signed_code_sms_is_one_part() -> None:
    assert count_segments("【极光推送】您的验证码是012345，5分钟内有效。") == 1


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 152 + "€" + "a" * 151, 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but the escape pair moves whole
        ("验" * 65 + "😀" + "验" * 66, 2),
        ("验" * 66 + "😀" + "验" * 66, 3),  # the surrogate pair is never cut
    ],
)
def test_parts_are_never_cut_inside_a_character(text: str, parts: int) -> None:
    fits_gsm, cut = split_parts(text)
    assert "".join(cut) == text
    assert len(cut) == parts == count_segments(text)
    assert fits_gsm == (gsm7_length(text) is not None)
