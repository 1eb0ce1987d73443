"""What the callee hears for a voice code (jsms-api.md §2.2: voice_lang 0 zh, 1 en, 2 mixed)."""

import re

import pytest

from smsgate.text.voice import ENGLISH, MANDARIN, MIXED, spoken_code_text

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_language_constants_match_jsms_voice_lang() -> None:
    assert (MANDARIN, ENGLISH, MIXED) == (0, 1, 2)


@pytest.mark.parametrize("code", ["0042", "123456", "00000000", "9081"])
@pytest.mark.parametrize("voice_lang", [0, 1])
def test_digits_are_spoken_one_by_one_and_repeated_twice(code: str, voice_lang: int) -> None:
    text = spoken_code_text(code, voice_lang)
    spelled = " ".join(code)
    assert text.count(spelled) == 2
    # The whole code never appears as one number (it would be read as "forty-two").
    assert re.search(r"\d{2}", text) is None


@pytest.mark.parametrize("voice_lang", [0, 1, 2])
def test_leading_zeros_are_kept(voice_lang: int) -> None:
    text = spoken_code_text("0042", voice_lang)
    assert "0 0 4 2" in text
    digits = re.findall(r"\d", text)
    assert digits == list("0042") * (len(digits) // 4)


def test_mandarin_is_chinese_only() -> None:
    text = spoken_code_text("123456", 0)
    assert CJK.search(text)
    assert re.search(r"[A-Za-z]", text) is None


def test_english_has_no_chinese() -> None:
    text = spoken_code_text("123456", 1)
    assert CJK.search(text) is None
    assert re.search(r"[A-Za-z]{3,}", text)


def test_mixed_is_the_mandarin_then_the_english_text() -> None:
    text = spoken_code_text("123456", 2)
    mandarin = spoken_code_text("123456", 0)
    english = spoken_code_text("123456", 1)
    assert mandarin in text
    assert english in text
    assert text.index(mandarin) < text.index(english)
    assert text.count("1 2 3 4 5 6") == 4


@pytest.mark.parametrize("voice_lang", [0, 1, 2])
def test_languages_differ(voice_lang: int) -> None:
    others = {spoken_code_text("5678", lang) for lang in (0, 1, 2) if lang != voice_lang}
    assert spoken_code_text("5678", voice_lang) not in others
