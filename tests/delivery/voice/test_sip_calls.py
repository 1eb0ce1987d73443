"""The SIP provider calling SIPp on 127.0.0.1: answered, busy, no answer, digest auth, no trunk.

Each outcome arrives as a report through DeliveryEvents; the answered calls also check every RTP
packet against the audio smsgate renders for the code.
"""

import asyncio
from array import array
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.voice import g711
from smsgate.delivery.voice.resample import TELEPHONE_RATE
from smsgate.delivery.voice.rtp import SAMPLES_PER_PACKET
from smsgate.delivery.voice.sip_call import Trunk
from smsgate.delivery.voice.sip_message import parse_message
from smsgate.delivery.voice.sip_provider import SipProvider
from smsgate.delivery.voice.speech import SpeechRenderer
from smsgate.provider_answers import Accepted, InboundSms, ProviderReport, Rejected, TryLater
from tests.delivery.voice.sipp_peer import (
    PASSWORD,
    USERNAME,
    free_udp_port,
    media_sink,
    require_voice_peers,
    scenario,
    start_phone,
)

NUMBER = "+8613800138000"
REPORT_TIMEOUT_SECONDS = 60.0
SHORT_AUDIO_SAMPLES = TELEPHONE_RATE // 2


class ShortSpeech(SpeechRenderer):
    """The real spoken message cut to its first half second. A call streams its audio in real
    time, and what these tests check (every packet of the message, in order, with its headers)
    needs no more than that; the whole message is played to SIPp by the e2e voice tests."""

    async def render(self, code: str, voice_lang: int) -> "array[int]":
        return (await super().render(code, voice_lang))[:SHORT_AUDIO_SAMPLES]


class RecordingEvents:
    """DeliveryEvents that keep what a provider reports."""

    def __init__(self) -> None:
        self.by_msg_id: list[tuple[str, int]] = []
        self.arrived = asyncio.Event()

    async def reports(self, provider: str, reports: Sequence[ProviderReport]) -> None:
        assert provider == "trunk-a" and all(not r.aliases for r in reports)  # by msg_id
        self.by_msg_id.extend((r.provider_message_id, r.report_status) for r in reports)
        self.arrived.set()

    async def inbound(self, provider: str, messages: Sequence[InboundSms]) -> None:
        raise AssertionError("a SIP provider receives no SMS")

    async def next_report(self) -> tuple[str, int]:
        await asyncio.wait_for(self.arrived.wait(), REPORT_TIMEOUT_SECONDS)
        assert len(self.by_msg_id) == 1, self.by_msg_id
        return self.by_msg_id[0]


@pytest.fixture(autouse=True)
def _peers() -> None:
    require_voice_peers()


@pytest.fixture(scope="module")
def voice_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voice-cache")


def provider(
    port: int,
    events: RecordingEvents,
    cache: Path,
    *,
    codec: str = "PCMU",
    max_calls: int = 30,
    whole_message: bool = False,
    **trunk: object,
) -> SipProvider:
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "domain": "trunk.test",
        "username": None,
        "password": None,
        "caller_id": "1069000",
        "codec": codec,
        "ring_timeout": 30.0,
        "setup_timeout": 5.0,
        "rtp_ports": (40000, 40100),
    }
    settings.update(trunk)
    renderer = (SpeechRenderer if whole_message else ShortSpeech)(cache, repeats=1)
    trunk_settings = Trunk(**settings)  # type: ignore[arg-type]
    return SipProvider("trunk-a", trunk_settings, renderer, events, max_calls=max_calls)


def voice(msg_id: str, code: str = "4721", lang: int = 1) -> OutboundMessage:
    return OutboundMessage(msg_id, "voice", NUMBER, "spoken", code=code, voice_lang=lang)


async def expected_audio(
    cache: Path, code: str, lang: int, codec: str, *, whole_message: bool = False
) -> bytes:
    pcm = await (SpeechRenderer if whole_message else ShortSpeech)(cache, repeats=1).render(
        code, lang
    )
    audio = g711.encode(pcm, codec)
    padding = -len(audio) % SAMPLES_PER_PACKET
    return audio + audio[-1:] * padding


@pytest.mark.parametrize(("codec", "lang"), [("PCMU", 1), ("PCMA", 0)])
async def test_answered_call_plays_the_code_then_hangs_up(
    tmp_path: Path, voice_cache: Path, codec: str, lang: int
) -> None:
    events = RecordingEvents()
    async with media_sink() as (sink, media_port):
        payload_type = g711.PAYLOAD_TYPES[codec]
        xml = scenario("answer", user=NUMBER, payload_type=payload_type, media_port=media_port)
        phone = start_phone(tmp_path / "sipp", xml)
        try:
            sip = provider(phone.port, events, voice_cache, codec=codec)
            result = await sip.submit_many([voice("m-answered", lang=lang)])
            assert result == [Accepted("m-answered")]
            assert await events.next_report() == ("m-answered", 4001)
            assert await asyncio.to_thread(phone.wait) == 0, phone.log()
        finally:
            phone.stop()
        audio = await expected_audio(voice_cache, "4721", lang, codec)
        headers = sink.headers
        assert len(headers) == len(audio) // SAMPLES_PER_PACKET  # 20 ms each, the whole message
        assert sink.payload == audio
        assert {h.payload_type for h in headers} == {payload_type}
        assert len({h.ssrc for h in headers}) == 1
        assert [h.marker for h in headers] == [True] + [False] * (len(headers) - 1)
        first = headers[0]
        assert [h.sequence for h in headers] == [
            (first.sequence + i) & 0xFFFF for i in range(len(headers))
        ]
        assert [h.timestamp for h in headers] == [
            (first.timestamp + i * SAMPLES_PER_PACKET) & 0xFFFFFFFF for i in range(len(headers))
        ]


async def test_a_callee_who_hangs_up_during_the_message_is_answered(
    tmp_path: Path, voice_cache: Path
) -> None:
    events = RecordingEvents()
    async with media_sink() as (sink, media_port):
        xml = scenario("hang_up", user=NUMBER, payload_type=0, media_port=media_port)
        phone = start_phone(tmp_path / "sipp", xml)
        try:
            # the callee hangs up a second in: the message must last longer than that
            sip = provider(phone.port, events, voice_cache, whole_message=True)
            assert await sip.submit_many([voice("m-hung-up")]) == [Accepted("m-hung-up")]
            assert await events.next_report() == ("m-hung-up", 4001)
            assert await asyncio.to_thread(phone.wait) == 0, phone.log()  # our 200 for its BYE
        finally:
            phone.stop()
        full = await expected_audio(voice_cache, "4721", 1, "PCMU", whole_message=True)
        # The stream stopped with the BYE: a prefix of the message, not all of it.
        assert 0 < len(sink.payload) < len(full)
        assert full.startswith(sink.payload)


async def test_busy_callee_reports_4008(tmp_path: Path, voice_cache: Path) -> None:
    events = RecordingEvents()
    phone = start_phone(tmp_path / "sipp", scenario("busy", user=NUMBER, payload_type=0))
    try:
        sip = provider(phone.port, events, voice_cache)
        assert await sip.submit_many([voice("m-busy")]) == [Accepted("m-busy")]
        assert await events.next_report() == ("m-busy", 4008)
        assert await asyncio.to_thread(phone.wait) == 0, phone.log()
    finally:
        phone.stop()


async def test_unanswered_call_is_cancelled_at_the_ring_timeout_and_reports_4007(
    tmp_path: Path, voice_cache: Path
) -> None:
    events = RecordingEvents()
    phone = start_phone(tmp_path / "sipp", scenario("no_answer", user=NUMBER, payload_type=0))
    try:
        sip = provider(phone.port, events, voice_cache, ring_timeout=1.0)
        assert await sip.submit_many([voice("m-ringing")]) == [Accepted("m-ringing")]
        assert await events.next_report() == ("m-ringing", 4007)
        assert await asyncio.to_thread(phone.wait) == 0, phone.log()  # CANCEL, 487, ACK came
    finally:
        phone.stop()


@pytest.mark.parametrize("challenge", ["auth401", "auth407"])
async def test_digest_challenge_is_answered_and_the_call_goes_through(
    tmp_path: Path, voice_cache: Path, challenge: str
) -> None:
    events = RecordingEvents()
    async with media_sink() as (sink, media_port):
        xml = scenario(challenge, user=NUMBER, payload_type=0, media_port=media_port)
        phone = start_phone(tmp_path / "sipp", xml)
        try:
            sip = provider(phone.port, events, voice_cache, username=USERNAME, password=PASSWORD)
            assert await sip.submit_many([voice("m-auth")]) == [Accepted("m-auth")]
            assert await events.next_report() == ("m-auth", 4001)
            assert await asyncio.to_thread(phone.wait) == 0, phone.log()  # verifyauth passed
        finally:
            phone.stop()
        assert sink.payload == await expected_audio(voice_cache, "4721", 1, "PCMU")


async def test_wrong_password_is_refused_by_the_phone(tmp_path: Path, voice_cache: Path) -> None:
    events = RecordingEvents()
    phone = start_phone(tmp_path / "sipp", scenario("auth401", user=NUMBER, payload_type=0))
    try:
        sip = provider(phone.port, events, voice_cache, username=USERNAME, password="wrong")
        [result] = await sip.submit_many([voice("m-wrong")])
        assert await asyncio.to_thread(phone.wait) != 0  # SIPp's verifyauth rejected it
    finally:
        phone.stop()
    assert isinstance(result, TryLater), result  # never reached the phone: try another trunk
    assert events.by_msg_id == []


async def test_nobody_listening_on_the_trunk_is_try_later(voice_cache: Path) -> None:
    events = RecordingEvents()
    sip = provider(free_udp_port(), events, voice_cache)  # ICMP port unreachable
    [result] = await sip.submit_many([voice("m-nowhere")])
    assert isinstance(result, TryLater), result
    assert events.by_msg_id == []


class BlackHole(asyncio.DatagramProtocol):
    """A trunk that takes every datagram and never answers."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.seen.append(data)

    def invites(self) -> list[bytes]:
        return [d for d in self.seen if d.startswith(b"INVITE sip:+8613800138000@trunk.test ")]


@pytest.fixture
async def black_hole() -> AsyncIterator[tuple[BlackHole, int]]:
    loop = asyncio.get_running_loop()
    transport, hole = await loop.create_datagram_endpoint(BlackHole, local_addr=("127.0.0.1", 0))
    try:
        yield hole, transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


async def test_a_silent_trunk_is_try_later_after_the_setup_timeout(
    voice_cache: Path, black_hole: tuple[BlackHole, int]
) -> None:
    hole, port = black_hole
    sip = provider(port, RecordingEvents(), voice_cache, setup_timeout=1.2)
    [result] = await sip.submit_many([voice("m-silent")])
    assert isinstance(result, TryLater), result
    # The INVITE went out at 0 s and was retransmitted at T1 = 0.5 s, not again by 1.2 s.
    assert len(hole.invites()) == 2, [d[:40] for d in hole.seen]


async def test_calls_beyond_max_calls_wait_in_the_outbox(
    voice_cache: Path, black_hole: tuple[BlackHole, int]
) -> None:
    hole, port = black_hole
    sip = provider(port, RecordingEvents(), voice_cache, setup_timeout=0.4, max_calls=1)
    first, second = await sip.submit_many([voice("m-1"), voice("m-2")])
    assert isinstance(second, TryLater) and "lines are in use" in second.reason
    assert isinstance(first, TryLater) and "no answer" in first.reason
    assert len({parse_message(d).header("Call-ID") for d in hole.invites()}) == 1
    [third] = await sip.submit_many([voice("m-3")])  # the line is free again
    assert isinstance(third, TryLater) and "no answer" in third.reason
    assert len({parse_message(d).header("Call-ID") for d in hole.invites()}) == 2


async def test_only_voice_codes_go_over_sip(voice_cache: Path) -> None:
    sip = provider(free_udp_port(), RecordingEvents(), voice_cache)
    sms = OutboundMessage("m-sms", "sms", NUMBER, "hello")
    [result] = await sip.submit_many([sms])
    assert isinstance(result, Rejected)
