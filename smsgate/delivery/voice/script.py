"""What the callee hears for a voice code, as the pieces the audio is built from.

The same words as smsgate.text.voice (which is what a message's text records), cut into
fixed phrases and single digits. Each piece is rendered once and cached; a call only puts the
cached pieces in order. Mandarin is given to espeak-ng as pinyin with tone numbers: Debian's
espeak-ng ships the small Mandarin dictionary, which reads many characters wrongly, while its
`cmn-latn-pinyin` voice reads pinyin exactly.
"""

from dataclasses import dataclass

from smsgate.text.voice import ENGLISH, MANDARIN

MANDARIN_VOICE = "cmn-latn-pinyin"
ENGLISH_VOICE = "en-us"
DIGIT_PAUSE_MS = 250
PHRASE_PAUSE_MS = 500

# Telephone Mandarin reads 1 as "yao" so it cannot be mistaken for 7 ("qi").
_MANDARIN_DIGITS = ("ling2", "yao1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
_MANDARIN_INTRO = "nin2 de5 yan4 zheng4 ma3 shi4"  # 您的验证码是
_MANDARIN_AGAIN = "chong2 fu4 yi2 bian4"  # 重复一遍
_ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ENGLISH_INTRO = "Your verification code is"
_ENGLISH_AGAIN = "Again"


@dataclass(frozen=True, slots=True)
class Phrase:
    voice: str
    text: str


@dataclass(frozen=True, slots=True)
class Pause:
    milliseconds: int


Piece = Phrase | Pause


def call_script(code: str, voice_lang: int, repeats: int) -> list[Piece]:
    """The pieces of the whole message: 0 Mandarin, 1 English, 2 Mandarin then English."""
    if voice_lang == MANDARIN:
        return _language_script(code, repeats, MANDARIN_VOICE)
    if voice_lang == ENGLISH:
        return _language_script(code, repeats, ENGLISH_VOICE)
    mandarin = _language_script(code, repeats, MANDARIN_VOICE)
    return [*mandarin, Pause(PHRASE_PAUSE_MS), *_language_script(code, repeats, ENGLISH_VOICE)]


def _language_script(code: str, repeats: int, voice: str) -> list[Piece]:
    mandarin = voice == MANDARIN_VOICE
    digits = _MANDARIN_DIGITS if mandarin else _ENGLISH_DIGITS
    intro, again = (
        (_MANDARIN_INTRO, _MANDARIN_AGAIN) if mandarin else (_ENGLISH_INTRO, _ENGLISH_AGAIN)
    )
    pieces: list[Piece] = [Phrase(voice, intro), Pause(PHRASE_PAUSE_MS)]
    for round_number in range(repeats):
        if round_number:
            pieces += [Pause(PHRASE_PAUSE_MS), Phrase(voice, again), Pause(PHRASE_PAUSE_MS)]
        for index, digit in enumerate(code):
            if index:
                pieces.append(Pause(DIGIT_PAUSE_MS))
            pieces.append(Phrase(voice, digits[int(digit)]))
    return pieces
