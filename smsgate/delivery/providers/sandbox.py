"""The sandbox provider: a pretend carrier that keeps what a handset would receive.

Each delivered message lands in the sandbox inbox and, after `sandbox_report_delay`, produces a
delivery report. Magic numbers fail in each documented way:

  +86 170 0000 4000          refused at submit (the message fails and its quota is given back)
  +86 170 0000 40NN (02-10)  accepted, then reported with status 40NN
  +86 170 0000 4100          accepted, then reported with status 4100 (other error)
"""

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import structlog

from smsgate import clock
from smsgate.db.engine import Database
from smsgate.delivery import repository
from smsgate.delivery.events import DatabaseEvents
from smsgate.delivery.providers.base import (
    DeliveryEvents,
    OutboundMessage,
    ProviderConfig,
    ProviderEnv,
)
from smsgate.delivery.providers.link import UP, Link
from smsgate.delivery.repository import InboxEntry
from smsgate.provider_answers import Accepted, ProviderReport, Rejected, SubmitResult
from smsgate.report_status import ReportStatus
from smsgate.settings import Settings

if TYPE_CHECKING:
    from smsgate.delivery.voice.sandbox_audio import SandboxAudio

log = structlog.get_logger(__name__)
MAGIC_PREFIX = "+861700000"
REFUSED_AT_SUBMIT = "+8617000004000"


def magic_report_status(mobile: str) -> int:
    if mobile.startswith(MAGIC_PREFIX):
        tail = int(mobile[len(MAGIC_PREFIX) :])
        if (
            ReportStatus.BLACKLISTED <= tail <= ReportStatus.SENSITIVE_WORDS
            or tail == ReportStatus.OTHER_ERROR
        ):
            return tail
    return ReportStatus.DELIVERED


class SandboxConfig(ProviderConfig):
    type: Literal["sandbox"] = "sandbox"
    channels: tuple[str, ...] = ("sms", "voice")
    report_delay: float | None = None  # seconds; default SMSGATE_SANDBOX_REPORT_DELAY


def build_sandbox(config: SandboxConfig, env: ProviderEnv) -> "SandboxProvider":
    delay = config.report_delay
    if delay is None:
        delay = env.settings.sandbox_report_delay
    audio = sandbox_audio(env.settings)
    return SandboxProvider(
        env.db,
        delay,
        name=config.name,
        audio=audio,
        events=env.events,
        gather_seconds=env.settings.delivery_gather_seconds,
    )


def sandbox_audio(settings: Settings) -> "SandboxAudio":
    """What records voice codes as WAV files (loaded here: SMS-only tests skip the audio code)."""
    from smsgate.delivery.voice.sandbox_audio import SandboxAudio

    return SandboxAudio.from_settings(settings)


class SandboxProvider:
    def __init__(
        self,
        db: Database,
        report_delay_seconds: float,
        name: str = "sandbox",
        audio: "SandboxAudio | None" = None,
        events: DeliveryEvents | None = None,
        gather_seconds: float = 0.0,
    ) -> None:
        self.name = name
        self.link = Link(UP)  # nothing to reach: the inbox is smsgate's own database
        self._audio = audio
        self._db = db
        self._events = events or DatabaseEvents(db)
        self._report_delay_ms = int(report_delay_seconds * 1000)
        self._report_due = asyncio.Event()
        self._gather_seconds = gather_seconds

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        """Every message lands in the inbox in one transaction, except the refused number."""
        now = clock.now_ms()
        results: list[SubmitResult] = []
        rows = []
        for message in messages:
            if message.mobile == REFUSED_AT_SUBMIT:
                results.append(
                    Rejected(ReportStatus.NO_SUCH_NUMBER, "sandbox: number refused at submit")
                )
                continue
            rows.append(
                {
                    "msg_id": message.msg_id,
                    "mobile": message.mobile,
                    "channel": message.channel,
                    "text": message.text,
                    "report_status": magic_report_status(message.mobile),
                    "report_due_at": now + self._report_delay_ms,
                    "delivered_at": now,
                    "audio_path": await self._audio.record(message) if self._audio else None,
                }
            )
            results.append(Accepted(message.msg_id))
        if rows:
            await self._db.write(lambda conn: repository.deliver_to_inbox(conn, rows))
            self._report_due.set()
        return results

    async def run(self) -> None:
        """Send due delivery reports, waking when a message arrives or the next report is due."""
        while True:
            try:
                wait = await self.send_due_reports()
            except Exception:  # a database hiccup must not end the reports for good
                log.exception("sandbox reports failed")
                wait = 1.0
            self._report_due.clear()
            with contextlib.suppress(TimeoutError):
                # not wait_for: on Python 3.11 it drops a cancel that comes as the event is set,
                # and this loop ends only when cancelled
                async with asyncio.timeout(wait):
                    await self._report_due.wait()

    async def send_due_reports(self) -> float:
        """Report what is due, through the events as any carrier's reports go; returns seconds
        until the next report (at most one), or until `gather_seconds` have passed, so that the
        reports falling due meanwhile go in the same batch. A report is marked sent only once
        the events have it: a crash in between sends it again, which a final message ignores."""
        due = await self._db.read(lambda conn: repository.due_inbox_reports(conn, clock.now_ms()))
        if due:
            await self._events.reports(self.name, [ProviderReport(m, s) for m, s in due])
            sent = [msg_id for msg_id, _ in due]
            await self._db.write(lambda conn: repository.mark_inbox_reported(conn, sent))
        upcoming = await self._db.read(repository.next_inbox_report)
        if upcoming is None:
            return 1.0
        return min(max((upcoming - clock.now_ms()) / 1000, self._gather_seconds), 1.0)


async def sandbox_inbox(db: Database, mobile: str | None = None) -> list[InboxEntry]:
    """What the sandbox delivered, oldest first, optionally for one number (E.164)."""
    return await db.read(lambda conn: repository.inbox_entries(conn, mobile))
