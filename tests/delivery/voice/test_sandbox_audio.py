"""The sandbox keeps a recording of each voice code, listed by `smsgate sandbox inbox`."""

import asyncio
import shutil
import wave
from pathlib import Path

import httpx
import pytest

from smsgate.context import Context
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.sandbox import SandboxProvider, sandbox_audio, sandbox_inbox
from smsgate.delivery.voice.sandbox_audio import SandboxAudio
from smsgate.delivery.voice.speech import SpeechRenderer
from smsgate.provider_answers import Accepted
from smsgate.settings import Settings
from tests.delivery.voice.sipp_peer import ESPEAK
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant

NUMBER = "+8613800138000"


def voice(msg_id: str, code: str = "3904", lang: int = 2) -> OutboundMessage:
    return OutboundMessage(msg_id, "voice", NUMBER, "spoken text", code=code, voice_lang=lang)


@pytest.fixture(scope="module")
def spoken_pieces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The speech cache of the message the test records, synthesised once for the module:
    each backend's run then renders from it, as a server does after its first calls."""
    cache = tmp_path_factory.mktemp("voice-cache")
    repeats = Settings.model_fields["voice_code_repeats"].default  # what the tests' ctx uses
    asyncio.run(SpeechRenderer(cache, repeats=repeats).render("3904", 2))
    return cache


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
async def test_a_voice_code_is_recorded_as_an_8_khz_wav(ctx: Context, spoken_pieces: Path) -> None:
    shutil.copytree(spoken_pieces, ctx.settings.data_dir / "voice-cache")
    sandbox = SandboxProvider(ctx.db, 0.0, audio=sandbox_audio(ctx.settings))
    sms = OutboundMessage("m-sms", "sms", NUMBER, "hello")
    assert await sandbox.submit_many([voice("m-voice"), sms]) == [
        Accepted("m-voice"),
        Accepted("m-sms"),
    ]
    entries = {e.msg_id: e for e in await sandbox_inbox(ctx.db)}
    assert entries["m-sms"].audio_path is None
    path = Path(entries["m-voice"].audio_path or "")
    assert path == (ctx.settings.data_dir / "sandbox-audio" / "m-voice.wav").resolve()
    with wave.open(str(path)) as recording:
        assert (recording.getframerate(), recording.getnchannels(), recording.getsampwidth()) == (
            8000,
            1,
            2,
        )
        frames = recording.getnframes()
    repeats = ctx.settings.voice_code_repeats
    renderer = SpeechRenderer(ctx.settings.data_dir / "voice-cache", repeats=repeats)
    assert frames == len(
        await renderer.render("3904", 2)
    )  # the whole message: both languages, every repeat


async def test_without_espeak_the_sandbox_still_takes_voice_codes(ctx: Context) -> None:
    renderer = SpeechRenderer(ctx.settings.data_dir / "cache", espeak="/nonexistent/espeak-ng")
    sandbox = SandboxProvider(ctx.db, 0.0, audio=SandboxAudio(ctx.settings.data_dir, renderer))
    assert await sandbox.submit_many([voice("m-quiet")]) == [Accepted("m-quiet")]
    [entry] = await sandbox_inbox(ctx.db)
    assert (entry.msg_id, entry.channel, entry.audio_path) == ("m-quiet", "voice", None)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"voice_code_repeats": 3}


async def test_the_repeat_setting_shapes_the_recorded_text(
    api: httpx.AsyncClient, tenant: Tenant, worker: Delivery, ctx: Context
) -> None:
    answer = await api.post(
        "/v1/voice_codes",
        json={"mobile": "13800138000", "code": "8051", "voice_lang": 1},
        auth=tenant.auth,
    )
    assert answer.status_code == 200, answer.text
    await worker.run_until_idle()
    [entry] = await sandbox_inbox(ctx.db)
    assert entry.text.count("8 0 5 1") == 3
