"""A voice code as 8 kHz mono 16-bit audio, built from cached prompt pieces.

Every phrase and digit is synthesised once per voice, converted to 8 kHz and kept in memory and
on disk (`<data_dir>/voice-cache/`), so placing a call never waits for espeak-ng after the first
calls, and a restart does not re-synthesise either.
"""

import asyncio
import hashlib
import os
from array import array
from pathlib import Path

from smsgate.delivery.voice.espeak import espeak_binary, synthesise
from smsgate.delivery.voice.resample import TELEPHONE_RATE, resample
from smsgate.delivery.voice.script import Pause, Phrase, call_script

TRAILING_SILENCE_MS = 300  # the last digit is not cut by the hang-up
# espeak-ng pads each phrase with ~0.4 s of silence; the script's own pauses replace it.
QUIET_LEVEL = 200
EDGE_MARGIN_MS = 20


class SpeechRenderer:
    def __init__(self, cache_dir: Path, espeak: str = "espeak-ng", repeats: int = 2) -> None:
        self._cache_dir = cache_dir
        self._espeak = espeak
        self._repeats = repeats
        self._pieces: dict[tuple[str, str], array[int]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def render(self, code: str, voice_lang: int) -> "array[int]":
        """The whole spoken message for a code, at 8 kHz."""
        audio = array("h")
        for piece in call_script(code, voice_lang, self._repeats):
            if isinstance(piece, Pause):
                audio.extend(silence(piece.milliseconds))
            else:
                audio.extend(await self.phrase(piece))
        audio.extend(silence(TRAILING_SILENCE_MS))
        return audio

    async def phrase(self, phrase: Phrase) -> "array[int]":
        """One piece at 8 kHz: from memory, else from disk, else synthesised now."""
        key = (phrase.voice, phrase.text)
        cached = self._pieces.get(key)
        if cached is not None:
            return cached
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._pieces.get(key)
            if cached is None:
                cached = await self._load_or_synthesise(phrase)
                self._pieces[key] = cached
        return cached

    async def _load_or_synthesise(self, phrase: Phrase) -> "array[int]":
        path = self._cache_path(phrase)
        if path.exists():
            samples = array("h")
            samples.frombytes(path.read_bytes())
            return samples
        speech = await synthesise(espeak_binary(self._espeak), phrase.voice, phrase.text)
        samples = trim_silence(await asyncio.to_thread(resample, speech.samples, speech.rate))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(samples.tobytes())
        partial.replace(path)  # atomic: another process never reads half a piece
        return samples

    def _cache_path(self, phrase: Phrase) -> Path:
        digest = hashlib.sha256(f"{phrase.voice}\n{phrase.text}".encode()).hexdigest()[:24]
        return self._cache_dir / f"{phrase.voice}-{digest}.pcm"


def trim_silence(samples: "array[int]") -> "array[int]":
    """The samples without the quiet before and after the speech (a short margin is kept)."""
    loud = [index for index, value in enumerate(samples) if abs(value) > QUIET_LEVEL]
    if not loud:
        return samples
    margin = TELEPHONE_RATE * EDGE_MARGIN_MS // 1000
    return samples[max(0, loud[0] - margin) : loud[-1] + margin + 1]


def silence(milliseconds: int) -> "array[int]":
    return array("h", bytes(2 * TELEPHONE_RATE * milliseconds // 1000))
