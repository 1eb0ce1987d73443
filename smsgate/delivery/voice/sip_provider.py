"""The `sip` provider: a voice code is a phone call through a SIP trunk that reads it out.

`submit_many` answers Accepted once the trunk has answered the INVITE (any response but an
authentication challenge), TryLater when the trunk cannot be reached at all (so routing tries the
next trunk), and the call's outcome later through `DeliveryEvents.reports`, by the msg_id its
submit returned (table in outcomes.py). A call in progress lives in this process: if it dies
mid-call, that message gets no final report.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any, Literal

import structlog
from pydantic import Field, SecretStr

from smsgate.delivery.providers.base import (
    DeliveryEvents,
    OutboundMessage,
    ProviderConfig,
    ProviderEnv,
    submit_each,
)
from smsgate.delivery.providers.link import UP, Link
from smsgate.delivery.voice import g711
from smsgate.delivery.voice.espeak import espeak_binary
from smsgate.delivery.voice.outcomes import UNREACHABLE
from smsgate.delivery.voice.sip_call import CallOutcome, OutgoingCall, SetupFailed, Trunk
from smsgate.delivery.voice.speech import SpeechRenderer
from smsgate.mobiles import mask_mobile
from smsgate.provider_answers import Accepted, ProviderReport, Rejected, SubmitResult, TryLater
from smsgate.report_status import ReportStatus

log = structlog.get_logger(__name__)
OTHER_ERROR = ReportStatus.OTHER_ERROR


class SipConfig(ProviderConfig):
    type: Literal["sip"] = "sip"
    channels: tuple[str, ...] = ("voice",)
    host: str  # the outbound proxy / registrar, or the carrier's trunk
    port: int = Field(default=5060, ge=1, le=65535)
    transport: Literal["udp"] = "udp"
    domain: str | None = None  # the SIP domain of request URIs; default host (and port)
    username: str | None = None  # for digest challenges (401 / 407)
    password: SecretStr | None = None
    caller_id: str = "smsgate"
    codec: Literal["PCMU", "PCMA"] = "PCMU"
    ring_timeout: float = Field(default=45.0, gt=0)  # then CANCEL: not answered (4007)
    setup_timeout: float = Field(default=8.0, gt=0)  # no response at all: try another trunk
    rtp_ports: tuple[int, int] = (16384, 32767)
    dial_plus: bool = True  # the number as +E.164 in the request URI, else digits only
    max_calls: int = Field(default=30, ge=1)  # calls at once; more wait in the outbox

    def trunk(self) -> Trunk:
        domain = self.domain or (self.host if self.port == 5060 else f"{self.host}:{self.port}")
        return Trunk(
            host=self.host,
            port=self.port,
            domain=domain,
            username=self.username,
            password=self.password.get_secret_value() if self.password is not None else None,
            caller_id=self.caller_id,
            codec=self.codec,
            ring_timeout=self.ring_timeout,
            setup_timeout=self.setup_timeout,
            rtp_ports=self.rtp_ports,
        )


def build_sip(config: SipConfig, env: ProviderEnv) -> "SipProvider":
    espeak_binary(env.settings.espeak_ng)  # no espeak-ng: stop at start, saying how to install
    renderer = SpeechRenderer(
        env.settings.data_dir / "voice-cache",
        env.settings.espeak_ng,
        env.settings.voice_code_repeats,
    )
    return SipProvider(
        config.name, config.trunk(), renderer, env.events, config.dial_plus, config.max_calls
    )


class SipProvider:
    def __init__(
        self,
        name: str,
        trunk: Trunk,
        renderer: SpeechRenderer,
        events: DeliveryEvents,
        dial_plus: bool = True,
        max_calls: int = 30,
    ) -> None:
        self.name = name
        # SIP over UDP keeps no connection to watch: an unreachable trunk shows in its calls
        # (setup failures), which the router's breaker counts.
        self.link = Link(UP)
        self._trunk = trunk
        self._renderer = renderer
        self._events = events
        self._dial_plus = dial_plus
        self._max_calls = max_calls
        self._calls: set[asyncio.Task[None]] = set()
        self._lines_in_use = 0

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        return await submit_each(self._submit, messages)

    async def _submit(self, message: OutboundMessage) -> SubmitResult:
        if message.channel != "voice" or not message.code:
            return Rejected(OTHER_ERROR, f"{self.name}: a SIP trunk carries voice codes only")
        if self._lines_in_use >= self._max_calls:
            return TryLater(f"{self.name}: all {self._max_calls} lines are in use")
        self._lines_in_use += 1  # taken before any await: a batch's calls count each other
        followed = False
        try:
            result, placing = await self._place(message)
            if placing is not None:
                follow = asyncio.create_task(self._follow(message, placing))
                self._calls.add(follow)
                follow.add_done_callback(self._call_ended)
                followed = True
            return result
        finally:
            if not followed:
                self._lines_in_use -= 1

    async def _place(
        self, message: OutboundMessage
    ) -> tuple[SubmitResult, "asyncio.Task[CallOutcome] | None"]:
        """Start the call and wait until the trunk has it; the task to follow, if it goes on."""
        assert message.code is not None
        pcm = await self._renderer.render(message.code, message.voice_lang or 0)
        audio = g711.encode(pcm, self._trunk.codec)
        user = message.mobile if self._dial_plus else message.mobile.lstrip("+")
        call = OutgoingCall(self._trunk, user, audio)
        placing = asyncio.create_task(call.run())
        waiting: set[asyncio.Future[Any]] = {call.reached, placing}
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the router gave up on this submit: so does the call
            placing.cancel()
            raise
        if call.reached.done():
            return Accepted(message.msg_id), placing
        try:
            outcome = placing.result()
        except SetupFailed as error:
            log.warning("call not placed", provider=self.name, reason=str(error))
            return TryLater(f"{self.name}: {error}"), None
        await self._report(message, outcome)
        return Accepted(message.msg_id), None

    def _call_ended(self, task: "asyncio.Task[None]") -> None:
        self._calls.discard(task)
        self._lines_in_use -= 1

    async def _follow(self, message: OutboundMessage, placing: "asyncio.Task[CallOutcome]") -> None:
        try:
            outcome = await placing
        except asyncio.CancelledError:
            placing.cancel()
            raise
        except SetupFailed as error:  # e.g. a challenge after 100 Trying that we cannot answer
            outcome = CallOutcome(UNREACHABLE, str(error))
        except Exception as error:  # the call is accepted: any later failure is its outcome
            log.exception("call failed", provider=self.name, msg_id=message.msg_id)
            outcome = CallOutcome(UNREACHABLE, f"{type(error).__name__}: {error}")
        await self._report(message, outcome)

    async def _report(self, message: OutboundMessage, outcome: CallOutcome) -> None:
        log.info(
            "call ended",
            provider=self.name,
            msg_id=message.msg_id,
            mobile=mask_mobile(message.mobile),
            status=outcome.status,
            reason=outcome.reason,
            rtp_packets=outcome.packets_sent,
        )
        try:
            await self._events.reports(self.name, [ProviderReport(message.msg_id, outcome.status)])
        except Exception:
            log.exception("call report not recorded", provider=self.name, msg_id=message.msg_id)

    async def run(self) -> None:
        """Calls run as tasks of their own; when the worker stops, calls in progress end."""
        try:
            await asyncio.Event().wait()
        finally:
            for task in list(self._calls):
                task.cancel()
            for task in list(self._calls):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
