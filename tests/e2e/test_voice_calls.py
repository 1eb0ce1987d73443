"""Voice codes through the real `smsgate serve`: a SIP trunk per SIPp phone on 127.0.0.1.

The delivery configuration names one SIP provider per scenario and routes a number to each, so
one server process serves all of them: an answered call (behind a dead first trunk, to show the
failover), a busy callee, one that never answers, and a trunk that asks for digest auth. The
outcome is read back the way an app reads it, from GET /v1/report.
"""

import asyncio
import contextlib
import socket
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.delivery.voice import g711
from smsgate.delivery.voice.rtp import SAMPLES_PER_PACKET, parse_header
from smsgate.delivery.voice.speech import SpeechRenderer
from tests.delivery.voice.sipp_peer import (
    ESPEAK,
    PASSWORD,
    SIPP,
    USERNAME,
    Phone,
    free_udp_port,
    scenario,
    start_phone,
)

from .server import ServerFactory, SmsgateServer

pytestmark = pytest.mark.skipif(
    ESPEAK is None or SIPP is None,
    reason="needs espeak-ng and SIPp (apt-get install espeak-ng sip-tester; .ci/run installs both)",
)
WAIT_SECONDS = 60.0
# Above the ports tests reserve for SIPp (tests/support/ports.py), so a call's RTP port never
# takes a trunk's port before its phone has started.
RTP_PORTS = "rtp_ports = [40000, 40999]\n"
ANSWERS, BUSY, SILENT, AUTH = "+8613900000001", "+8613900000002", "+8613900000003", "+8613900000004"


@dataclass(frozen=True)
class Trunks:
    answer: int
    busy: int
    silent: int
    auth: int
    dead: int


@pytest.fixture(scope="module")
def trunks() -> Trunks:
    return Trunks(*(free_udp_port() for _ in range(5)))


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory, trunks: Trunks) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("voice-config")
    config = folder / "delivery.toml"
    providers = [
        ("dead-trunk", trunks.dead, ""),
        ("answering", trunks.answer, ""),
        ("busy", trunks.busy, ""),
        ("silent", trunks.silent, "ring_timeout = 1.0\n"),
        ("auth", trunks.auth, f'username = "{USERNAME}"\npassword = "${{VOICE_TRUNK_PASSWORD}}"\n'),
    ]
    text = "".join(
        f'[[providers]]\nname = "{name}"\ntype = "sip"\nhost = "127.0.0.1"\nport = {port}\n'
        f'domain = "trunk.test"\nsetup_timeout = 3.0\n{RTP_PORTS}{extra}\n'
        for name, port, extra in providers
    )
    routes = [
        # weight 0: "answering" is never the first choice, only the failover
        (ANSWERS, '"dead-trunk", "answering"', "weights = [1, 0]\n"),
        (BUSY, '"busy"', ""),
        (SILENT, '"silent"', ""),
        (AUTH, '"auth"', ""),
    ]
    text += "".join(
        f'[[routes]]\nmatch = "{number}"\nchannel = "voice"\nproviders = [{names}]\n{extra}\n'
        for number, names, extra in routes
    )
    config.write_text(text)
    return {
        "SMSGATE_CONFIG": str(config),
        "SMSGATE_VOICE_CODE_REPEATS": "1",
        "SMSGATE_REPORT_PULL_INTERVAL_SECONDS": "0.2",  # JSMS allows one pull per 5 s
        "VOICE_TRUNK_PASSWORD": PASSWORD,
    }


class MediaSocket:
    """The callee's RTP port: a UDP socket read by a thread until closed.

    Closing shuts the socket down first: a close alone does not wake a thread blocked in recv
    on Linux. After the shutdown, recv still returns what is queued, then an empty read, so
    every packet that arrived is in `packets` once `close()` returns."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.packets: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = self.socket.recv(2048)
            except OSError:
                return
            if not data:  # shut down, and nothing is left queued
                return
            self.packets.append(data)

    def close(self) -> None:
        # An unconnected UDP socket reports ENOTCONN, but the shutdown is done all the same.
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self._reader.join(timeout=5)
        self.socket.close()


@pytest.fixture
def media() -> Iterator[MediaSocket]:
    sink = MediaSocket()
    try:
        yield sink
    finally:
        sink.close()


@pytest.fixture
def app_auth(smsgate_server: SmsgateServer, request: pytest.FixtureRequest) -> tuple[str, str]:
    return smsgate_server.create_app(f"voice {request.node.name}"[:60])


@pytest.fixture
def phone_on(tmp_path: Path) -> Iterator[Callable[[str, int], Phone]]:
    """Starts SIPp with a scenario on a trunk's port; every phone started is stopped after."""
    started: list[Phone] = []

    def start(scenario_xml: str, port: int) -> Phone:
        phone = start_phone(tmp_path / "sipp", scenario_xml, port=port)
        started.append(phone)
        return phone

    yield start
    for phone in started:
        phone.stop()


def send_voice_code(
    server: SmsgateServer, auth: tuple[str, str], mobile: str, code: str, lang: int
) -> str:
    body = {"mobile": mobile.removeprefix("+86"), "code": code, "voice_lang": lang, "ttl": 300}
    answer = httpx.post(f"{server.base_url}/v1/voice_codes", json=body, auth=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    msg_id: str = answer.json()["msg_id"]
    return msg_id


def wait_for_report(server: SmsgateServer, auth: tuple[str, str], msg_id: str) -> dict[str, Any]:
    """Pull /v1/report until the message's report is there (delivery is asynchronous)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        pulled = httpx.get(f"{server.base_url}/v1/report", auth=auth, timeout=10)
        assert pulled.status_code == 200, pulled.text
        for report in pulled.json():  # read once: the report must be in this answer
            if str(report["msgId"]) == msg_id:
                return dict(report)
        if time.monotonic() > deadline:
            raise AssertionError(f"no report for {msg_id}\n{server.log_tail()}")
        time.sleep(0.3)  # polling the outcome, past the pull interval


def expected_audio(server: SmsgateServer, code: str, lang: int) -> bytes:
    """What the server plays: the same pieces from its own cache, one repeat (as configured)."""
    renderer = SpeechRenderer(server.data_dir / "voice-cache", repeats=1)
    audio = g711.encode(asyncio.run(renderer.render(code, lang)), "PCMU")
    return audio + audio[-1:] * (-len(audio) % SAMPLES_PER_PACKET)


def test_an_answered_call_reads_the_code_and_reports_4001(
    smsgate_server: SmsgateServer,
    app_auth: tuple[str, str],
    trunks: Trunks,
    media: MediaSocket,
    phone_on: Callable[[str, int], Phone],
) -> None:
    xml = scenario("answer", user=ANSWERS, payload_type=0, media_port=media.port)
    phone = phone_on(xml, trunks.answer)
    msg_id = send_voice_code(smsgate_server, app_auth, ANSWERS, "4721", 1)

    report = wait_for_report(smsgate_server, app_auth, msg_id)
    assert (report["status"], report["phone"]) == (4001, ANSWERS.removeprefix("+86"))
    assert phone.wait() == 0, phone.log()  # INVITE to the number, ACK, BYE: as scripted
    media.close()
    headers = [parse_header(packet) for packet in media.packets]
    audio = expected_audio(smsgate_server, "4721", 1)
    assert len(headers) == len(audio) // SAMPLES_PER_PACKET  # 20 ms each: the whole message
    assert {h.payload_type for h in headers} == {0}
    assert b"".join(packet[12:] for packet in media.packets) == audio
    valid = httpx.post(
        f"{smsgate_server.base_url}/v1/codes/{msg_id}/valid",
        json={"code": "4721"},
        auth=app_auth,
        timeout=10,
    )
    assert valid.json() == {"is_valid": True}
    # The route's first trunk was tried and could not be reached; the second one took the call.
    events = smsgate_server.logged_events()
    not_placed = [e for e in events if e["event"] == "call not placed"]
    ended = [e for e in events if e["event"] == "call ended"]
    assert [e["provider"] for e in not_placed] == ["dead-trunk"], events
    assert [(e["provider"], e["status"]) for e in ended] == [("answering", 4001)], events


@pytest.mark.parametrize(
    ("kind", "number", "status"), [("busy", BUSY, 4008), ("no_answer", SILENT, 4007)]
)
def test_a_call_that_is_not_answered_reports_why(
    smsgate_server: SmsgateServer,
    app_auth: tuple[str, str],
    trunks: Trunks,
    phone_on: Callable[[str, int], Phone],
    kind: str,
    number: str,
    status: int,
) -> None:
    port = trunks.busy if kind == "busy" else trunks.silent
    phone = phone_on(scenario(kind, user=number, payload_type=0), port)
    msg_id = send_voice_code(smsgate_server, app_auth, number, "5566", 0)
    assert wait_for_report(smsgate_server, app_auth, msg_id)["status"] == status
    assert phone.wait() == 0, phone.log()
    valid = httpx.post(
        f"{smsgate_server.base_url}/v1/codes/{msg_id}/valid",
        json={"code": "5566"},
        auth=app_auth,
        timeout=10,
    )
    assert valid.status_code == 200  # the code was issued; checking it is the app's choice


def test_a_trunk_with_digest_auth(
    smsgate_server: SmsgateServer,
    app_auth: tuple[str, str],
    trunks: Trunks,
    media: MediaSocket,
    phone_on: Callable[[str, int], Phone],
) -> None:
    xml = scenario("auth401", user=AUTH, payload_type=0, media_port=media.port)
    phone = phone_on(xml, trunks.auth)
    msg_id = send_voice_code(smsgate_server, app_auth, AUTH, "90817", 0)
    assert wait_for_report(smsgate_server, app_auth, msg_id)["status"] == 4001
    assert phone.wait() == 0, phone.log()  # SIPp's verifyauth accepted the digest
    media.close()
    assert b"".join(p[12:] for p in media.packets) == expected_audio(smsgate_server, "90817", 0)


def test_the_sandbox_records_what_a_call_would_play(start_fresh_server: ServerFactory) -> None:
    server = start_fresh_server()  # no delivery configuration: the sandbox takes everything
    auth = server.create_app("voice sandbox")
    msg_id = send_voice_code(server, auth, "+8613800138077", "2468", 0)
    [entry] = server.wait_for_messages({msg_id}).values()
    assert entry["channel"] == "voice"
    with wave.open(entry["audio"]) as recording:
        assert (recording.getframerate(), recording.getnchannels(), recording.getsampwidth()) == (
            8000,
            1,
            2,
        )
        seconds = recording.getnframes() / 8000
    assert 6 < seconds < 20  # the Mandarin message with the code twice (the default)
    listing = subprocess.run(
        [sys.executable, "-m", "smsgate", "sandbox", "inbox"],
        cwd=server.data_dir,
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"audio: {entry['audio']}" in listing
