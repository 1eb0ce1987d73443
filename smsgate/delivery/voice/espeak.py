"""Text to speech with espeak-ng (a Debian package), one phrase at a time."""

import asyncio
import shutil
import tempfile
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "install it with `apt-get install espeak-ng` (Debian / Ubuntu) or `make serve`"
WORDS_PER_MINUTE = 150  # a little slower than espeak-ng's 175: codes are written down as heard


class SpeechUnavailable(RuntimeError):
    """espeak-ng is not installed, or failed on a phrase."""


@dataclass(frozen=True, slots=True)
class Speech:
    samples: "array[int]"  # 16-bit signed, mono
    rate: int


def espeak_binary(configured: str) -> str:
    """The espeak-ng executable, or SpeechUnavailable saying how to install it."""
    found = shutil.which(configured)
    if found is None:
        raise SpeechUnavailable(f"espeak-ng not found ({configured!r}): {INSTALL_HINT}")
    return found


async def synthesise(binary: str, voice: str, text: str) -> Speech:
    """One phrase as mono 16-bit samples at espeak-ng's own rate (22050 Hz)."""
    with tempfile.TemporaryDirectory(prefix="smsgate-espeak-") as folder:
        target = Path(folder) / "out.wav"
        process = await asyncio.create_subprocess_exec(
            binary,
            "-v",
            voice,
            "-s",
            str(WORDS_PER_MINUTE),
            "-w",
            str(target),
            "--",
            text,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await process.communicate()
        if process.returncode != 0 or not target.exists():
            message = errors.decode(errors="replace").strip()
            raise SpeechUnavailable(f"espeak-ng failed (voice {voice}): {message}")
        return _read_wav(target)


def _read_wav(path: Path) -> Speech:
    with wave.open(str(path), "rb") as source:
        if source.getsampwidth() != 2 or source.getnchannels() != 1:
            raise SpeechUnavailable("espeak-ng wrote audio that is not 16-bit mono")
        samples = array("h", source.readframes(source.getnframes()))
        return Speech(samples, source.getframerate())
