"""SIPp (Debian package sip-tester) as the called phone, and a UDP socket as its media endpoint.

Each scenario is written for one test: the SDP answer names the test's own RTP socket, so the
test sees exactly the packets smsgate sent. SIPp exits 0 only when the call went as scripted
(every `check_it` regexp matched, every expected message came).
"""

import asyncio
import contextlib
import errno
import re
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smsgate.delivery.voice.rtp import RtpHeader, parse_header
from tests.support.ports import free_udp_port

SIPP = shutil.which("sipp")
ESPEAK = shutil.which("espeak-ng")
READY_TIMEOUT_SECONDS = 10.0
USERNAME, PASSWORD, REALM = "alice", "wonderland-7", "smsgate.test"


def require_voice_peers() -> None:
    if ESPEAK is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)")
    if SIPP is None:
        pytest.skip("SIPp is not installed (apt-get install sip-tester; .ci/run installs it)")


_RESPONSE_HEAD = """
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:phone@[local_ip]:[local_port]>
"""

_INVITE_CHECKS = """
  <recv request="INVITE">
    <action>
      <ereg regexp="INVITE sip:{user}@" search_in="msg" check_it="true" assign_to="uri"/>
      <ereg regexp="m=audio [0-9]+ RTP/AVP {payload_type}" search_in="body" check_it="true"
            assign_to="media"/>
    </action>
  </recv>
"""

_ANSWER = """
  <send>
    <![CDATA[
SIP/2.0 180 Ringing{head}Content-Length: 0
]]>
  </send>
  <send retrans="500">
    <![CDATA[
SIP/2.0 200 OK{head}Content-Type: application/sdp
Content-Length: [len]

v=0
o=phone 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio {media_port} RTP/AVP 0 8
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
]]>
  </send>
  <recv request="ACK"/>
  <recv request="BYE" timeout="120000"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]>
  </send>
"""

# Answers, then hangs up itself a second into the message.
_HANG_UP = """
  <pause milliseconds="1000"/>
  <send retrans="500">
    <![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:phone@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
To: <sip:caller@trunk.test>[peer_tag_param]
Call-ID: [call_id]
CSeq: 101 BYE
Max-Forwards: 70
Content-Length: 0
]]>
  </send>
  <recv response="200"/>
"""

_BUSY = """
  <send>
    <![CDATA[
SIP/2.0 100 Trying
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]>
  </send>
  <send retrans="500">
    <![CDATA[
SIP/2.0 486 Busy Here{head}Content-Length: 0
]]>
  </send>
  <recv request="ACK"/>
"""

# Rings until smsgate gives up: CANCEL, 200 for it, 487 for the INVITE, ACK.
_NO_ANSWER = """
  <send>
    <![CDATA[
SIP/2.0 180 Ringing{head}Content-Length: 0
]]>
  </send>
  <recv request="CANCEL" timeout="60000"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]>
  </send>
  <send retrans="500">
    <![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag[call_number]
[last_Call-ID:]
CSeq: [$invite_cseq] INVITE
Content-Length: 0
]]>
  </send>
  <recv request="ACK"/>
"""

_CHALLENGE = """
  <recv request="INVITE"/>
  <send>
    <![CDATA[
SIP/2.0 {status} {reason}{head}{header}: Digest realm="{realm}", nonce="4f1a9c2b7d3e", {params}
Content-Length: 0
]]>
  </send>
  <recv request="ACK"/>
  <recv request="INVITE">
    <action>
      {verify}
      <ereg regexp="INVITE sip:{user}@" search_in="msg" check_it="true" assign_to="uri"/>
    </action>
  </recv>
  {branch}
  <label id="authorised"/>
"""


# SIPp's verifyauth checks the Authorization header only; for a proxy's challenge the test
# checks that the answer is there (the digest itself is checked against the 401 scenario).
_VERIFY_401 = f'<verifyauth assign_to="authvalid" username="{USERNAME}" password="{PASSWORD}"/>'
_BRANCH_401 = (  # a wrong digest waits for a request that never comes: the call fails
    '<nop hide="true" test="authvalid" next="authorised"/>\n  <recv request="NEVER" timeout="100"/>'
)
_VERIFY_407 = (
    f'<ereg regexp="Proxy-Authorization: Digest username=.{USERNAME}., realm=.{REALM}."'
    ' search_in="msg" check_it="true" assign_to="authvalid"/>'
)


@dataclass
class Phone:
    """A running SIPp and what it was told to do."""

    port: int
    process: subprocess.Popen[bytes]
    folder: Path

    def wait(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout=timeout)

    def log(self) -> str:
        texts = [p.read_text(errors="replace")[-4000:] for p in sorted(self.folder.glob("*.log"))]
        return "\n".join(texts) or "(no SIPp logs)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def scenario(kind: str, *, user: str, payload_type: int, media_port: int = 0) -> str:
    """The SIPp UAS scenario: "answer", "hang_up", "busy", "no_answer", "auth401", "auth407"."""
    head = _RESPONSE_HEAD.rstrip("\n") + "\n"
    checks = _INVITE_CHECKS.format(user=user.replace("+", "\\+"), payload_type=payload_type)
    if kind == "answer":
        body = checks + _ANSWER.format(head=head, media_port=media_port)
    elif kind == "hang_up":
        answer = _ANSWER.format(head=head, media_port=media_port)
        body = checks + answer[: answer.index('  <recv request="BYE"')] + _HANG_UP
    elif kind == "busy":
        body = checks + _BUSY.format(head=head)
    elif kind == "no_answer":
        capture = (
            '<ereg regexp="CSeq: ([0-9]+) INVITE" search_in="msg" assign_to="all,invite_cseq"/>'
        )
        body = checks.replace("</action>", capture + "\n    </action>") + _NO_ANSWER.format(
            head=head
        )
    else:
        status, reason, header = (
            (401, "Unauthorized", "WWW-Authenticate")
            if kind == "auth401"
            else (407, "Proxy Authentication Required", "Proxy-Authenticate")
        )
        challenge = _CHALLENGE.format(
            status=status,
            reason=reason,
            head=head,
            header=header,
            realm=REALM,
            params='qop="auth", algorithm=MD5',
            user=user.replace("+", "\\+"),
            branch=_BRANCH_401 if kind == "auth401" else "",
            verify=_VERIFY_401 if kind == "auth401" else _VERIFY_407,
        )
        body = challenge + _ANSWER.format(head=head, media_port=media_port)
    used = ",".join(re.findall(r'assign_to="([a-z_,]+)"', body))  # SIPp refuses unused ones
    body += f'  <Reference variables="{used}"/>\n'
    return (
        f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{kind}">{body}</scenario>\n'
    )


def start_phone(folder: Path, scenario_xml: str, port: int | None = None) -> Phone:
    """SIPp answering one call on 127.0.0.1 (on `port`, else a free one); returns once it
    listens."""
    assert SIPP is not None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scenario.xml"
    path.write_text(scenario_xml)
    port = port or free_udp_port()
    command = [SIPP, "-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-m", "1"]
    command += ["-timeout", "120s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg"]
    process = subprocess.Popen(
        command,
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    phone = Phone(port, process, folder)
    _wait_until_bound(phone)
    return phone


def _wait_until_bound(phone: Phone) -> None:
    """SIPp is ready when its UDP port is taken; a call sent earlier would meet ICMP errors."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if phone.process.poll() is not None:
            raise RuntimeError(f"SIPp exited {phone.process.returncode}:\n{phone.log()}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", phone.port))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return
                raise
        time.sleep(0.02)
    phone.stop()
    raise RuntimeError("SIPp did not bind its port")


class MediaSink(asyncio.DatagramProtocol):
    """The RTP endpoint the SIPp scenario announces: keeps every packet."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.packets.append(data)

    @property
    def headers(self) -> list[RtpHeader]:
        return [parse_header(packet) for packet in self.packets]

    @property
    def payload(self) -> bytes:
        return b"".join(packet[12:] for packet in self.packets)


@contextlib.asynccontextmanager
async def media_sink() -> AsyncIterator[tuple[MediaSink, int]]:
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(MediaSink, local_addr=("127.0.0.1", 0))
    try:
        yield sink, transport.get_extra_info("sockname")[1]
    finally:
        transport.close()
