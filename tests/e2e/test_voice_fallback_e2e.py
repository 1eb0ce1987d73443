"""Voice fallback through the real `smsgate serve`: a text code whose SMS fails (the sandbox's
failing numbers) or gets no receipt in time (a sandbox that reports only after ten minutes) is
read out by a call with the same code under the same msg_id, to the sandbox and to a SIP handset
(SIPp answering, the audio checked sample by sample).
"""

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.delivery.voice.sipp_peer import ESPEAK, SIPP, Phone, free_udp_port, scenario, start_phone

from .server import SmsgateServer
from .test_voice_calls import MediaSocket, expected_audio

pytestmark = pytest.mark.skipif(
    ESPEAK is None or SIPP is None,
    reason="needs espeak-ng and SIPp (apt-get install espeak-ng sip-tester; .ci/run installs both)",
)
FAILS_SMS = "+8617000004003"  # the sandbox reports its SMS 4003
SLOW_SMS = "+8613900000021"  # its SMS goes to a sandbox that reports after ten minutes
HANDSET = "+8617000004005"  # its SMS is reported 4005; its calls ring the SIPp phone
WAIT_SECONDS = 60.0


@pytest.fixture(scope="module")
def trunk_port() -> int:
    return free_udp_port()


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory, trunk_port: int) -> dict[str, str]:
    config = tmp_path_factory.mktemp("fallback-config") / "delivery.toml"
    config.write_text(
        '[[providers]]\nname = "sandbox"\ntype = "sandbox"\nreport_delay = 0.0\n\n'
        '[[providers]]\nname = "slow-sandbox"\ntype = "sandbox"\nreport_delay = 600.0\n\n'
        f'[[providers]]\nname = "handset"\ntype = "sip"\nhost = "127.0.0.1"\nport = {trunk_port}\n'
        'domain = "trunk.test"\nsetup_timeout = 3.0\n\n'
        f'[[routes]]\nmatch = "{SLOW_SMS}"\nchannel = "sms"\nproviders = ["slow-sandbox"]\n\n'
        f'[[routes]]\nmatch = "{HANDSET}"\nchannel = "voice"\nproviders = ["handset"]\n\n'
        '[[routes]]\nmatch = "*"\nproviders = ["sandbox"]\n'
    )
    return {
        "SMSGATE_CONFIG": str(config),
        "SMSGATE_VOICE_CODE_REPEATS": "1",
        "SMSGATE_VOICE_FALLBACK_POLL_SECONDS": "0.2",
    }


@pytest.fixture
def tenant(smsgate_server: SmsgateServer) -> tuple[tuple[str, str], int]:
    """An app with voice units and a code template that calls after 1 s, in English."""
    app_key, secret = smsgate_server.create_app("fallback", "--sign", "smsgate", "--voice", "3")
    temp_id = smsgate_server.create_template(
        app_key,
        1,
        "验证码{{code}}",
        "--ttl",
        "300",
        "--voice-fallback-after",
        "1",
        "--voice-fallback-lang",
        "1",
    )
    return (app_key, secret), temp_id


def send_code(server: SmsgateServer, auth: tuple[str, str], temp_id: int, mobile: str) -> str:
    body = {"mobile": mobile.removeprefix("+86"), "temp_id": temp_id}
    answer = httpx.post(f"{server.base_url}/v1/codes", json=body, auth=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    msg_id: str = answer.json()["msg_id"]
    return msg_id


def sms_and_call(server: SmsgateServer, msg_id: str, mobile: str) -> tuple[str, dict[str, Any]]:
    """The code the SMS carried and the fallback call the sandbox recorded for the number."""
    entries = server.wait_for_inbox(
        lambda found: (
            any(e["channel"] == "voice" for e in found)
            and any(e["msg_id"] == msg_id for e in found)
        ),
        f"the SMS {msg_id} and a call",
        mobile,
        timeout=WAIT_SECONDS,
    )
    [sms] = [e for e in entries if e["msg_id"] == msg_id]
    [call] = [e for e in entries if e["channel"] == "voice"]
    return re.findall(r"\d{6}", sms["text"])[0], call


def code_state(server: SmsgateServer, auth: tuple[str, str], msg_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.base_url}/v1/codes/{msg_id}", auth=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    state: dict[str, Any] = answer.json()
    return state


def verify(server: SmsgateServer, auth: tuple[str, str], msg_id: str, code: str) -> Any:
    url = f"{server.base_url}/v1/codes/{msg_id}/valid"
    return httpx.post(url, json={"code": code}, auth=auth, timeout=10).json()


@pytest.mark.parametrize("mobile", [FAILS_SMS, SLOW_SMS], ids=["sms-failed", "no-receipt"])
def test_the_sandbox_gets_a_call_with_the_same_code(
    smsgate_server: SmsgateServer, tenant: tuple[tuple[str, str], int], mobile: str
) -> None:
    auth, temp_id = tenant
    msg_id = send_code(smsgate_server, auth, temp_id, mobile)
    code, call = sms_and_call(smsgate_server, msg_id, mobile)
    assert call["text"] == f"Your verification code is {' '.join(code)}."
    assert code_state(smsgate_server, auth, msg_id)["channel"] == "voice"
    assert verify(smsgate_server, auth, msg_id, code) == {"is_valid": True}
    reason = "sms failed 4003" if mobile == FAILS_SMS else "no receipt"
    placed = [
        (event["decision"], event["reason"])
        for event in smsgate_server.logged_events()
        if event["event"] == "message voice_fallback" and event.get("msg_id") == msg_id
    ]
    assert placed == [("placed", reason)]
    assert code not in smsgate_server.log_tail(400)


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Callable[[str, int], Phone]]:
    started: list[Phone] = []

    def start(scenario_xml: str, port: int) -> Phone:
        started.append(start_phone(tmp_path / "sipp", scenario_xml, port=port))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def test_a_sip_handset_hears_the_code_of_the_failed_sms(
    smsgate_server: SmsgateServer,
    tenant: tuple[tuple[str, str], int],
    trunk_port: int,
    phone: Callable[[str, int], Phone],
) -> None:
    auth, temp_id = tenant
    media = MediaSocket()
    try:
        handset = phone(
            scenario("answer", user=HANDSET, payload_type=0, media_port=media.port), trunk_port
        )
        msg_id = send_code(smsgate_server, auth, temp_id, HANDSET)
        deadline = time.monotonic() + WAIT_SECONDS
        while (state := code_state(smsgate_server, auth, msg_id))["delivery_status"] != 4001:
            assert time.monotonic() < deadline, f"{state}\n{smsgate_server.log_tail()}"
            time.sleep(0.3)  # polling the outcome of a call in another process
        assert state["channel"] == "voice"
        assert handset.wait() == 0, handset.log()
    finally:
        media.close()
    [sms] = [e for e in smsgate_server.inbox(HANDSET) if e["msg_id"] == msg_id]
    code = re.findall(r"\d{6}", sms["text"])[0]
    played = b"".join(packet[12:] for packet in media.packets)
    assert played == expected_audio(smsgate_server, code, 1)
    assert verify(smsgate_server, auth, msg_id, code) == {"is_valid": True}
