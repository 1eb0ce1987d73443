"""The sandbox's recording of a voice code: the speech a call would play, as a WAV file.

Written to `<data_dir>/sandbox-audio/<msg_id>.wav` (8 kHz mono 16-bit, after the G.711 round
trip, so it sounds as the phone line would). Without espeak-ng the sandbox still takes voice
codes; they just have no recording, and a warning says how to install it.
"""

import asyncio
import re
import wave
from pathlib import Path

import structlog

from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.voice import g711
from smsgate.delivery.voice.espeak import SpeechUnavailable
from smsgate.delivery.voice.resample import TELEPHONE_RATE
from smsgate.delivery.voice.speech import SpeechRenderer
from smsgate.settings import Settings

log = structlog.get_logger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class SandboxAudio:
    def __init__(self, data_dir: Path, renderer: SpeechRenderer) -> None:
        self._folder = data_dir / "sandbox-audio"
        self._renderer = renderer
        self._warned = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "SandboxAudio":
        renderer = SpeechRenderer(
            settings.data_dir / "voice-cache", settings.espeak_ng, settings.voice_code_repeats
        )
        return cls(settings.data_dir, renderer)

    async def record(self, message: OutboundMessage) -> str | None:
        """The WAV's absolute path for a voice code; None for anything else or without speech."""
        if message.channel != "voice" or not message.code:
            return None
        try:
            pcm = await self._renderer.render(message.code, message.voice_lang or 0)
        except SpeechUnavailable as error:
            if not self._warned:
                log.warning("sandbox voice codes have no recording", reason=str(error))
                self._warned = True
            return None
        line = g711.decode(g711.encode(pcm, "PCMA"), "PCMA")
        path = (self._folder / f"{_UNSAFE.sub('_', message.msg_id)}.wav").resolve()
        await asyncio.to_thread(_write_wav, path, line.tobytes())
        return str(path)


def _write_wav(path: Path, frames: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(TELEPHONE_RATE)
        target.writeframes(frames)
