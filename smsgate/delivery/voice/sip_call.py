"""One outgoing call as a SIP user agent client (RFC 3261): INVITE, ACK, play, BYE.

The call goes to one trunk (an outbound proxy or a carrier's SIP trunk) over UDP. Retransmission
follows RFC 3261 §17.1 (T1 = 500 ms, doubling); digest challenges (401 / 407) are answered once;
on the ring timeout the INVITE is cancelled.
"""

import asyncio
import contextlib
import secrets
from dataclasses import dataclass

from smsgate.delivery.voice.digest import UnsupportedChallenge, authorization, parse_challenge
from smsgate.delivery.voice.g711 import PAYLOAD_TYPES
from smsgate.delivery.voice.outcomes import (
    DELIVERED,
    NOT_ANSWERED,
    UNREACHABLE,
    status_for_final_response,
)
from smsgate.delivery.voice.rtp import RtpSender, packetise
from smsgate.delivery.voice.sdp import MediaTarget, SdpError, build_offer, parse_answer
from smsgate.delivery.voice.sip_message import (
    Dialog,
    SipMessage,
    build_request,
    build_response,
    new_branch,
    new_token,
    tag_of,
    uri_of,
)
from smsgate.delivery.voice.sip_transport import SipSocket, TransportFailure, open_rtp

T1 = 0.5
T2 = 4.0
CANCEL_WAIT_SECONDS = 5.0  # for the 487 after our CANCEL
BYE_WAIT_SECONDS = 8.0
USER_AGENT = "smsgate"


@dataclass(frozen=True, slots=True)
class Trunk:
    """Where and how calls are placed (built from the provider's configuration)."""

    host: str
    port: int
    domain: str
    username: str | None
    password: str | None
    caller_id: str
    codec: str
    ring_timeout: float
    setup_timeout: float
    rtp_ports: tuple[int, int]


@dataclass(frozen=True, slots=True)
class CallOutcome:
    status: int  # JSMS report status
    reason: str
    packets_sent: int = 0


class SetupFailed(Exception):
    """The trunk never took the call: the message may go to another trunk."""


class OutgoingCall:
    """`run()` places the call and returns its outcome; `reached` resolves as soon as the trunk
    answered the INVITE (any response but a challenge), which is when the call counts as
    accepted. Until then a failure raises SetupFailed."""

    def __init__(self, trunk: Trunk, user: str, audio: bytes) -> None:
        self.trunk = trunk
        self.reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._audio = audio
        domain = trunk.domain
        self._dialog = Dialog(
            call_id=f"{new_token()}@{domain}",
            local_uri=f"sip:{trunk.caller_id}@{domain}",
            local_tag=new_token(),
            remote_uri=f"sip:{user}@{domain}",
            request_uri=f"sip:{user}@{domain}",
        )
        self._sip: SipSocket | None = None
        self._rtp: RtpSender | None = None
        self._rtp_port = 0
        self._branch = ""

    async def run(self) -> CallOutcome:
        try:
            self._sip = await SipSocket.open(self.trunk.host, self.trunk.port)
            local_ip = self._sip.local_address[0]
            self._rtp, self._rtp_port = await open_rtp(local_ip, self.trunk.rtp_ports)
            return await self._call()
        except TransportFailure as error:
            if not self.reached.done():
                raise SetupFailed(str(error)) from error
            return CallOutcome(UNREACHABLE, str(error))
        finally:
            if self._sip is not None:
                self._sip.close()
            if self._rtp is not None and self._rtp.transport is not None:
                self._rtp.transport.close()

    async def _call(self) -> CallOutcome:
        credentials: tuple[str, str] | None = None
        while True:
            response = await self._invite(credentials)
            if response is None:
                return CallOutcome(NOT_ANSWERED, "cancelled at the ring timeout, no final answer")
            status = response.status or 0
            if 200 <= status < 300:
                return await self._answered(response)
            self._send_ack_for_failure(response)
            if status in (401, 407) and credentials is None:
                credentials = self._credentials(response)
                continue
            if status in (401, 407):
                return self._setup_or_report(UNREACHABLE, "the trunk refused our credentials")
            if not self.reached.done():
                self.reached.set_result(None)
            return CallOutcome(status_for_final_response(status), f"{status} {response.reason}")

    def _credentials(self, challenge: SipMessage) -> tuple[str, str]:
        """The header answering a 401 / 407 (name, value); SetupFailed when we cannot."""
        header = "WWW-Authenticate" if challenge.status == 401 else "Proxy-Authenticate"
        value = challenge.header(header)
        if value is None or not self.trunk.username or self.trunk.password is None:
            raise SetupFailed(f"the trunk asks for authentication ({challenge.status})")
        try:
            parsed = parse_challenge(value)
        except UnsupportedChallenge as error:
            raise SetupFailed(f"cannot answer the trunk's challenge: {error}") from error
        answer = authorization(
            parsed,
            username=self.trunk.username,
            password=self.trunk.password,
            method="INVITE",
            uri=self._dialog.request_uri,
        )
        return ("Authorization" if challenge.status == 401 else "Proxy-Authorization", answer)

    def _setup_or_report(self, status: int, reason: str) -> CallOutcome:
        if not self.reached.done():
            raise SetupFailed(reason)
        return CallOutcome(status, reason)

    # --- the INVITE client transaction ------------------------------------------------------

    async def _invite(self, credentials: tuple[str, str] | None) -> SipMessage | None:
        """Send the INVITE and wait for its final response; None when the ring timeout
        cancelled it and no final response followed."""
        assert self._sip is not None
        if credentials is not None:
            self._dialog.cseq += 1
        self._branch = new_branch()
        local_ip = self._sip.local_address[0]
        offer = build_offer(secrets.randbelow(2**31), local_ip, self._rtp_port, self.trunk.codec)
        extra = [("Content-Type", "application/sdp")]
        if credentials is not None:
            extra.append(credentials)
        invite = self._request("INVITE", self._branch, extra, offer)
        loop = asyncio.get_running_loop()
        started = loop.time()
        ring_deadline = started + self.trunk.ring_timeout
        retransmit_at, interval = started + T1, T1
        answered_at_all = False
        cancelled_at: float | None = None
        self._sip.send(invite)
        while True:
            now = loop.time()
            if cancelled_at is None and now >= ring_deadline:
                if not answered_at_all:  # silence all along: the trunk is not there
                    raise TransportFailure("no answer from the trunk")
                self._sip.send(self._cancel())
                cancelled_at = now
            if cancelled_at is not None and now >= cancelled_at + CANCEL_WAIT_SECONDS:
                return None
            if not answered_at_all and now >= started + self.trunk.setup_timeout:
                raise TransportFailure(f"no answer from the trunk in {self.trunk.setup_timeout} s")
            if not answered_at_all and now >= retransmit_at:
                self._sip.send(invite)
                interval = min(interval * 2, T2)
                retransmit_at = now + interval
            waits = [ring_deadline if cancelled_at is None else cancelled_at + CANCEL_WAIT_SECONDS]
            if not answered_at_all:
                waits += [retransmit_at, started + self.trunk.setup_timeout]
            message = await self._sip.receive(min(waits) - now)
            if message is None or message.status is None:
                if message is not None:
                    self._answer_request(message)
                continue
            number, method = message.cseq
            if method != "INVITE" or number != self._dialog.cseq:
                continue  # the 200 to our CANCEL, a stray retransmission
            answered_at_all = True
            if message.status not in (401, 407) and not self.reached.done():
                self.reached.set_result(None)
            if message.status >= 200:
                return message

    def _cancel(self) -> bytes:
        """CANCEL matches the INVITE: same branch, Call-ID, From, To, CSeq number (§9.1)."""
        dialog = self._dialog
        return build_request(
            "CANCEL",
            dialog.request_uri,
            [
                ("Via", self._via(self._branch)),
                ("Max-Forwards", "70"),
                ("From", f"<{dialog.local_uri}>;tag={dialog.local_tag}"),
                ("To", f"<{dialog.remote_uri}>"),
                ("Call-ID", dialog.call_id),
                ("CSeq", f"{dialog.cseq} CANCEL"),
            ],
        )

    def _send_ack_for_failure(self, response: SipMessage) -> None:
        """ACK of a non-2xx final response: part of the INVITE transaction (§17.1.1.3)."""
        assert self._sip is not None
        dialog = self._dialog
        headers = [
            ("Via", self._via(self._branch)),
            ("Max-Forwards", "70"),
            ("From", f"<{dialog.local_uri}>;tag={dialog.local_tag}"),
            ("To", response.header("To") or f"<{dialog.remote_uri}>"),
            ("Call-ID", dialog.call_id),
            ("CSeq", f"{dialog.cseq} ACK"),
        ]
        self._sip.send(build_request("ACK", dialog.request_uri, headers))

    # --- the answered call -------------------------------------------------------------------

    async def _answered(self, ok: SipMessage) -> CallOutcome:
        assert self._sip is not None and self._rtp is not None
        dialog = self._dialog
        dialog.remote_tag = tag_of(ok.header("To"))
        contact = ok.header("Contact")
        if contact:
            dialog.request_uri = uri_of(contact)
        dialog.route_set = list(reversed(ok.all("Record-Route")))
        ack = self._in_dialog("ACK", dialog.cseq)
        self._sip.send(ack)
        try:
            media = parse_answer(ok.body)
        except (SdpError, ValueError) as error:
            await self._hang_up()
            return CallOutcome(UNREACHABLE, f"unusable SDP answer: {error}")
        if PAYLOAD_TYPES[self.trunk.codec] not in media.payload_types:
            await self._hang_up()
            return CallOutcome(UNREACHABLE, f"the callee does not accept {self.trunk.codec}")
        sent = await self._play(media, ack)
        if sent is None:
            return CallOutcome(DELIVERED, "answered; the callee hung up during the message")
        await self._hang_up()
        return CallOutcome(DELIVERED, "answered and played", sent)

    async def _play(self, media: MediaTarget, ack: bytes) -> int | None:
        """Stream the audio; meanwhile re-ACK retransmitted 200s and take a BYE from the
        callee. Returns the packets sent, or None when the callee hung up first."""
        assert self._sip is not None and self._rtp is not None
        hung_up = asyncio.Event()
        listener = asyncio.create_task(self._listen_while_playing(ack, hung_up))
        packets = packetise(self._audio, PAYLOAD_TYPES[self.trunk.codec])
        try:
            sent = await self._rtp.play(packets, (media.host, media.port), hung_up)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, TransportFailure):
                await listener
        return None if hung_up.is_set() else sent

    async def _listen_while_playing(self, ack: bytes, hung_up: asyncio.Event) -> None:
        assert self._sip is not None
        while True:
            message = await self._sip.receive(3600)
            if message is None:
                continue
            if message.status is not None:
                if message.cseq[1] == "INVITE" and 200 <= message.status < 300:
                    self._sip.send(ack)  # our ACK was lost (§13.2.2.4)
                continue
            self._answer_request(message)
            if message.method == "BYE":
                hung_up.set()
                return

    def _answer_request(self, request: SipMessage) -> None:
        """Requests from the far end: BYE and OPTIONS get a 200; anything else is refused."""
        assert self._sip is not None
        if request.method == "ACK":
            return
        if request.method in ("BYE", "OPTIONS"):
            self._sip.send(build_response(request, 200, "OK"))
        else:
            self._sip.send(build_response(request, 501, "Not Implemented"))

    async def _hang_up(self) -> None:
        """BYE, retransmitted until answered (§17.1.2); the call is over either way."""
        assert self._sip is not None
        self._dialog.cseq += 1
        bye = self._in_dialog("BYE", self._dialog.cseq)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BYE_WAIT_SECONDS
        interval = T1
        self._sip.send(bye)
        while (now := loop.time()) < deadline:
            message = await self._sip.receive(min(interval, deadline - now))
            if message is None:
                self._sip.send(bye)
                interval = min(interval * 2, T2)
                continue
            if message.status is None:
                self._answer_request(message)
            elif message.cseq == (self._dialog.cseq, "BYE") and message.status >= 200:
                return

    # --- building requests --------------------------------------------------------------------

    def _via(self, branch: str) -> str:
        assert self._sip is not None
        host, port = self._sip.local_address
        return f"SIP/2.0/UDP {host}:{port};branch={branch};rport"

    def _request(
        self, method: str, branch: str, extra: list[tuple[str, str]], body: bytes = b""
    ) -> bytes:
        """An INVITE (outside the dialog: no To tag yet)."""
        assert self._sip is not None
        dialog = self._dialog
        host, port = self._sip.local_address
        headers = [
            ("Via", self._via(branch)),
            ("Max-Forwards", "70"),
            ("From", f"<{dialog.local_uri}>;tag={dialog.local_tag}"),
            ("To", f"<{dialog.remote_uri}>"),
            ("Call-ID", dialog.call_id),
            ("CSeq", f"{dialog.cseq} {method}"),
            ("Contact", f"<sip:{self.trunk.caller_id}@{host}:{port}>"),
            ("User-Agent", USER_AGENT),
            *extra,
        ]
        return build_request(method, dialog.request_uri, headers, body)

    def _in_dialog(self, method: str, cseq: int) -> bytes:
        """ACK of a 2xx or BYE: a new transaction inside the dialog (§12.2.1.1)."""
        dialog = self._dialog
        to = f"<{dialog.remote_uri}>"
        if dialog.remote_tag:
            to += f";tag={dialog.remote_tag}"
        headers = [
            ("Via", self._via(new_branch())),
            ("Max-Forwards", "70"),
            *[("Route", route) for route in dialog.route_set],
            ("From", f"<{dialog.local_uri}>;tag={dialog.local_tag}"),
            ("To", to),
            ("Call-ID", dialog.call_id),
            ("CSeq", f"{cseq} {method}"),
            ("User-Agent", USER_AGENT),
        ]
        return build_request(method, dialog.request_uri, headers)
