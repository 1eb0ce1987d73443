"""The loop that posts the callback outbox (JSMS reference §4) with retries and a dead list.

A callback is a form POST of nonce, timestamp, signature, type and data (a JSON string), signed
in smsgate/callbacks/signing.py. Any 2xx answer delivers it; anything else (or no answer within the
timeout) is retried after each delay of `callback_retry_delays` (3 min, 1 h, 12 h), then the
entry is dead until replayed (`smsgate callbacks replay`).
"""

import asyncio
import json
from dataclasses import dataclass

import httpx
import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.callbacks import repository
from smsgate.callbacks.repository import DueCallback
from smsgate.callbacks.sealing import UnreadableSecret, open_secret
from smsgate.callbacks.signing import signed_form
from smsgate.context import Context
from smsgate.settings import Settings
from smsgate.story.recording import CallbackTry, record_callback_tries
from smsgate.telemetry import metrics

log = structlog.get_logger(__name__)
HEARTBEAT = "callbacks"


def retry_delays(settings: Settings) -> tuple[int, ...]:
    """Seconds to wait after the 1st, 2nd, ... failed try; one more failure makes it dead."""
    return tuple(int(part) for part in settings.callback_retry_delays.split(",") if part.strip())


# --- the sender --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    entry_id: int
    attempts: int
    error: str | None  # None: delivered
    final: bool = False  # no try can succeed (no URL, no secret): dead at once
    answer: str | None = None  # the HTTP status of an answer, for the message's story


class CallbackSender:
    """Posts due callbacks; safe to run in several processes (leases + SKIP LOCKED)."""

    def __init__(self, ctx: Context, client: httpx.AsyncClient | None = None) -> None:
        self._ctx = ctx
        self._client = client

    async def run(self) -> None:
        """Post until the process stops (the pass in progress finishes) or until cancelled."""
        settings, process = self._ctx.settings, self._ctx.process
        timeout = httpx.Timeout(settings.callback_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            self._client = client
            while not process.stopping.is_set():
                try:
                    sent = await self.send_due()
                except Exception:
                    log.exception("callback pass failed")
                    sent = 0
                process.heartbeats.beat(HEARTBEAT)
                if sent < settings.callback_batch:
                    await process.pause(settings.callback_poll_seconds)

    async def send_due(self) -> int:
        """One pass: lease due entries, post them concurrently, record every outcome."""
        settings = self._ctx.settings
        now = clock.now_ms()
        lease_until = now + int(settings.callback_lease_seconds * 1000)
        entries = await self._ctx.db.write(
            lambda conn: repository.claim_due(conn, now, settings.callback_batch, lease_until)
        )
        if not entries:
            return 0
        outcomes = await asyncio.gather(*(self._post(entry) for entry in entries))
        delays = retry_delays(settings)

        def record(conn: Connection) -> list[str]:
            results = _record_outcomes(conn, outcomes, delays)
            record_callback_tries(conn, _report_tries(entries, outcomes, results))
            return results

        results = await self._ctx.db.write(record)
        for entry, result in zip(entries, results, strict=True):
            metrics.callback_posted(entry.event, result)
        return len(entries)

    async def _post(self, entry: DueCallback) -> Outcome:
        if not entry.url:
            return Outcome(entry.id, entry.attempts, "the app has no callback URL", final=True)
        try:
            secret = open_secret(self._ctx.server_key, entry.app_id, entry.sealed_secret or "")
        except (UnreadableSecret, ValueError):
            return Outcome(entry.id, entry.attempts, "no usable signing secret", final=True)
        form = signed_form(entry.app_key, secret, entry.event, entry.data)
        assert self._client is not None, "run() or a client given to the constructor"
        try:
            answer = await self._client.post(entry.url, data=form)
        except httpx.HTTPError as error:
            return Outcome(entry.id, entry.attempts, f"{type(error).__name__}: {error}"[:500])
        status = f"HTTP {answer.status_code}"
        if answer.is_success:
            return Outcome(entry.id, entry.attempts, None, answer=status)
        return Outcome(entry.id, entry.attempts, status, answer=status)


def _report_tries(
    entries: list[DueCallback], outcomes: list[Outcome], results: list[str]
) -> list[CallbackTry]:
    """The SMS_REPORT posts of a pass, for the stories of the messages they report."""
    return [
        CallbackTry(
            json.loads(entry.data)["msgId"],
            outcome.attempts,
            result,
            outcome.answer or outcome.error or "",
        )
        for entry, outcome, result in zip(entries, outcomes, results, strict=True)
        if entry.event == "SMS_REPORT"
    ]


def _record_outcomes(
    conn: Connection, outcomes: list[Outcome], delays: tuple[int, ...]
) -> list[str]:
    """Each outcome stored; returns what became of each: sent, failed (tried again) or dead."""
    now = clock.now_ms()
    results: list[str] = []
    for outcome in outcomes:
        if outcome.error is None:
            repository.remove_entry(conn, outcome.entry_id)
            results.append("sent")
        elif outcome.final or outcome.attempts > len(delays):
            repository.bury(conn, outcome.entry_id, now, outcome.error)
            log.warning("callback dead", entry=outcome.entry_id, error=outcome.error)
            results.append("dead")
        else:
            due = now + delays[outcome.attempts - 1] * 1000
            repository.reschedule(conn, outcome.entry_id, due, outcome.error)
            results.append("failed")
    return results
