"""Voice-code audio: the script per voice_lang, espeak-ng speech at 8 kHz, G.711, the cache."""

import asyncio
import math
import re
import shutil
from array import array
from pathlib import Path

import pytest

from smsgate.delivery.voice import g711
from smsgate.delivery.voice.espeak import SpeechUnavailable
from smsgate.delivery.voice.resample import resample
from smsgate.delivery.voice.script import (
    ENGLISH_VOICE,
    MANDARIN_VOICE,
    Pause,
    Phrase,
    call_script,
)
from smsgate.delivery.voice.speech import SpeechRenderer
from smsgate.text.voice import spoken_code_text

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(
    ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
ENGLISH_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
MANDARIN_DIGITS = ["ling2", "yao1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"]


def phrases(code: str, lang: int, repeats: int) -> list[Phrase]:
    return [p for p in call_script(code, lang, repeats) if isinstance(p, Phrase)]


def test_english_reads_each_digit_as_a_word_and_repeats_the_code() -> None:
    spoken = [p.text for p in phrases("0470", 1, 2)]
    assert spoken == [
        "Your verification code is",
        *["zero", "four", "seven", "zero"],
        "Again",
        *["zero", "four", "seven", "zero"],
    ]
    assert {p.voice for p in phrases("0470", 1, 2)} == {ENGLISH_VOICE}


def test_mandarin_reads_each_digit_in_pinyin() -> None:
    spoken = [p.text for p in phrases("1907", 0, 2)]
    digits = ["yao1", "jiu3", "ling2", "qi1"]
    assert spoken == ["nin2 de5 yan4 zheng4 ma3 shi4", *digits, "chong2 fu4 yi2 bian4", *digits]
    assert {p.voice for p in phrases("1907", 0, 2)} == {MANDARIN_VOICE}


def test_mixed_is_mandarin_then_english() -> None:
    script = phrases("25", 2, 1)
    assert [p.voice for p in script] == [MANDARIN_VOICE] * 3 + [ENGLISH_VOICE] * 3
    assert [p.text for p in script] == [
        "nin2 de5 yan4 zheng4 ma3 shi4",
        "er4",
        "wu3",
        "Your verification code is",
        "two",
        "five",
    ]


@pytest.mark.parametrize("repeats", [1, 2, 3])
def test_the_code_is_repeated_as_configured(repeats: int) -> None:
    script = phrases("123456", 1, repeats)
    assert sum(p.text == "one" for p in script) == repeats
    assert sum(p.text == "Again" for p in script) == repeats - 1


def test_digits_are_separated_by_pauses() -> None:
    script = call_script("99", 1, 1)
    nine = [i for i, p in enumerate(script) if p == Phrase(ENGLISH_VOICE, "nine")]
    assert len(nine) == 2 and isinstance(script[nine[0] + 1], Pause)


def test_g711_known_values_and_round_trip() -> None:
    samples = array("h", [0, 32767, -32768, 1000, -1000])
    assert g711.encode(samples, "PCMU") == bytes([0xFF, 0x80, 0x00, 0xCE, 0x4E])
    assert g711.encode(samples, "PCMA") == bytes([0xD5, 0xAA, 0x2A, 0xFA, 0x7A])
    every = array("h", range(-32768, 32768, 7))
    for codec in ("PCMU", "PCMA"):
        decoded = g711.decode(g711.encode(every, codec), codec)
        # 8-bit logarithmic: the error grows with the level, at most ~3 % of it (plus clipping)
        assert all(
            abs(a - b) <= max(16, abs(a) // 30) + 700 * (abs(a) > 32000)
            for a, b in zip(every, decoded, strict=True)
        )
        codes = bytes(range(256))
        assert g711.encode(g711.decode(codes, codec), codec) == bytes(
            c if g711.decode(bytes([c]), codec)[0] != 0 else g711.encode(array("h", [0]), codec)[0]
            for c in codes
        )


def test_resampling_keeps_a_tone_and_removes_what_8_khz_cannot_carry() -> None:
    rate = 22050
    tone = array("h", (int(8000 * math.sin(2 * math.pi * 1000 * i / rate)) for i in range(rate)))
    high = array("h", (int(8000 * math.sin(2 * math.pi * 6000 * i / rate)) for i in range(rate)))
    kept = resample(tone, rate)
    assert len(kept) == 8000
    assert 7500 < max(kept[100:-100]) <= 8100
    assert max(abs(v) for v in resample(high, rate)[100:-100]) < 200  # would alias to 2 kHz


@needs_espeak
@pytest.mark.parametrize("lang", [0, 1, 2])
async def test_rendered_audio_is_8_khz_speech_of_plausible_length(
    tmp_path: Path, lang: int
) -> None:
    renderer = SpeechRenderer(tmp_path, repeats=2)
    pcm = await renderer.render("482913", lang)
    seconds = len(pcm) / 8000
    # 6 digits twice plus the words: several seconds per language, not a blip nor a minute.
    per_language = (6.0, 20.0)
    low, high = per_language if lang != 2 else (2 * per_language[0], 2 * per_language[1])
    assert low < seconds < high
    loud = sum(1 for v in pcm if abs(v) > 1000)
    assert loud > len(pcm) // 10  # speech, not silence
    for codec in ("PCMU", "PCMA"):
        assert len(g711.encode(pcm, codec)) == len(pcm)  # one byte per 8 kHz sample


@needs_espeak
async def test_two_repeats_last_longer_than_one(tmp_path: Path) -> None:
    once = await SpeechRenderer(tmp_path, repeats=1).render("1234", 1)
    twice = await SpeechRenderer(tmp_path, repeats=2).render("1234", 1)
    assert 1.3 * len(once) < len(twice) < 2.2 * len(once)


@needs_espeak
async def test_pieces_come_from_the_disk_cache_without_espeak(tmp_path: Path) -> None:
    first = await SpeechRenderer(tmp_path).render("5831", 2)
    cached = list(tmp_path.iterdir())
    # Every distinct phrase once: 2 languages x (intro, again, 4 digits).
    assert len(cached) == 12
    offline = SpeechRenderer(tmp_path, espeak="/nonexistent/espeak-ng")
    assert await offline.render("5831", 2) == first


async def test_missing_espeak_says_how_to_install_it(tmp_path: Path) -> None:
    renderer = SpeechRenderer(tmp_path, espeak="/nonexistent/espeak-ng")
    with pytest.raises(SpeechUnavailable, match="apt-get install espeak-ng"):
        await renderer.render("1234", 1)


@needs_espeak
async def test_concurrent_calls_synthesise_a_piece_once(tmp_path: Path) -> None:
    renderer = SpeechRenderer(tmp_path)
    results = await asyncio.gather(*(renderer.render("7777", 1) for _ in range(5)))
    assert all(r == results[0] for r in results)
    assert len(list(tmp_path.iterdir())) == 3  # intro, "Again", "seven"


@pytest.mark.parametrize("lang", [0, 1, 2])
@pytest.mark.parametrize("repeats", [1, 2, 3])
def test_the_call_says_the_digits_the_message_text_records(lang: int, repeats: int) -> None:
    code = "01947"
    recorded = re.findall(r"\d", spoken_code_text(code, lang, repeats))
    words = {w: str(i) for i, w in enumerate(ENGLISH_DIGITS)}
    words |= {w: str(i) for i, w in enumerate(MANDARIN_DIGITS)}
    spoken = [words[p.text] for p in phrases(code, lang, repeats) if p.text in words]
    assert spoken == recorded
