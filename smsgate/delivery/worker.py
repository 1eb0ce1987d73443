"""The delivery worker: takes due outbox rows to a provider and records what became of them.

Runs inside `smsgate serve` (the default) or as `smsgate worker` processes sharing PostgreSQL.
Delivery is at-least-once: a row leaves the outbox only after its provider accepted or refused it.
"""

import asyncio
import contextlib
from typing import Any

import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import longest_limit_window
from smsgate.context import Context
from smsgate.delivery.provider_ids import (
    prune_provider_ids,
    remember_provider_ids,
    serialise_with_reports,
)
from smsgate.delivery.providers.base import OutboundMessage, Provider
from smsgate.delivery.routing import Router
from smsgate.idempotency.service import prune_expired
from smsgate.limits import repository as limit_hits
from smsgate.messages.status import fail_before_provider, mark_submitted
from smsgate.mobiles import mask_mobile
from smsgate.outbox import repository as outbox
from smsgate.outbox.repository import ClaimedEntry
from smsgate.provider_answers import Accepted, Rejected, SubmitResult, TryLater, fails_for_good
from smsgate.report_status import ReportStatus
from smsgate.story.recording import record_delivery_pass
from smsgate.telemetry import metrics
from smsgate.telemetry.metrics import Receipt

log = structlog.get_logger(__name__)
OTHER_ERROR = ReportStatus.OTHER_ERROR
PRUNE_EVERY_MS = 600_000
MAX_BACKOFF_SECONDS = 300
REPORT_WAIT_MS = 3 * 86_400_000  # carriers give up on a message within 72 hours
EARLY_REPORT_KEEP_MS = 86_400_000
HEARTBEAT = "delivery"


class DeliveryWorker:
    def __init__(self, ctx: Context, provider: Provider) -> None:
        self._ctx = ctx
        self.provider = provider
        self._last_prune = 0
        self._claimed: set[int] = set()  # outbox rows of the passes in progress
        self._passes: set[asyncio.Task[int]] = set()

    @property
    def capacity(self) -> int:
        """Messages worth having in flight at once: what the provider can pipeline (an SMPP
        provider's binds times window), at least one batch."""
        batch = self._ctx.settings.outbox_batch
        return max(getattr(self.provider, "concurrency", batch), batch)

    async def run(self) -> None:
        """Deliver until the process stops (the passes in progress finish) or until cancelled
        (rows claimed by interrupted passes go back to the outbox), waking on new sends or
        every `outbox_poll_seconds`. The provider stops last (SMPP binds unbind)."""
        process = self._ctx.process
        if self._ctx.db.is_sqlite:  # SQLite runs one worker: nobody else can hold a lease
            released = await outbox.release_all_leases(self._ctx.db)
            if released:
                log.info("resuming deliveries claimed before a restart", count=released)
        provider_task = asyncio.create_task(self.provider.run())
        try:
            while not process.stopping.is_set():
                self._ctx.outbox_wakeup.clear()
                try:
                    more = await self._start_passes()
                    await self._prune_limit_hits()
                except Exception:
                    log.exception("delivery pass failed")
                    more = False
                process.heartbeats.beat(HEARTBEAT)
                await self._wait_for_work(more)
            if self._passes:
                await asyncio.wait(self._passes)
        finally:
            for task in self._passes:
                task.cancel()
            if self._passes:
                await asyncio.wait(self._passes)
            if self._claimed:
                await asyncio.shield(outbox.release_leases(self._ctx.db, list(self._claimed)))
            provider_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await provider_task

    async def _start_passes(self) -> bool:
        """Claim batches and start their passes while the provider has room, so that its
        windows stay full: the next rows are claimed while earlier submits are in flight.
        True when the outbox may hold more due rows than were claimed."""
        while len(self._claimed) < self.capacity:
            entries = await self._claim()
            if entries:
                task = asyncio.create_task(self._pass(entries))
                self._passes.add(task)
                task.add_done_callback(self._passes.discard)
            if len(entries) < self._ctx.settings.outbox_batch:
                return False
        return True

    async def _wait_for_work(self, more: bool) -> None:
        """Until a pass ends (room for the next batch) when the outbox has more, or else until
        a new send wakes the worker or the poll interval passes.

        A worker woken by a send waits `delivery_gather_seconds` more, so the sends of that
        time go in one pass: a pass costs a claim and an outcome transaction for one message
        as for a batch, and a worker in a process of its own is otherwise woken for each."""
        waits: set[asyncio.Future[Any]] = set(self._passes) if more else set()
        if not more:
            waits.add(asyncio.ensure_future(self._ctx.outbox_wakeup.wait()))
        if not waits:
            return
        try:
            await asyncio.wait(
                waits,
                timeout=self._ctx.settings.outbox_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for wait in waits - set(self._passes):
                wait.cancel()
        gather = self._ctx.settings.delivery_gather_seconds
        if not more and gather and self._ctx.outbox_wakeup.is_set():
            await asyncio.sleep(gather)

    async def deliver_due(self) -> int:
        """One pass on its own: claim a batch of due rows, hand them to the provider together,
        and record every outcome in one transaction."""
        entries = await self._claim()
        return await self._deliver(entries) if entries else 0

    async def _claim(self) -> list[ClaimedEntry]:
        settings = self._ctx.settings
        entries = await outbox.claim_due_outbox(
            self._ctx.db,
            clock.now_ms(),
            settings.outbox_batch,
            int(settings.outbox_lease_seconds * 1000),
        )
        self._claimed.update(entry.id for entry in entries)
        return entries

    async def _pass(self, entries: list[ClaimedEntry]) -> int:
        """A pass beside others: a failure is logged, and its rows wait out their lease."""
        try:
            return await self._deliver(entries)
        except Exception:
            log.exception("delivery pass failed", count=len(entries))
            self._claimed.difference_update(entry.id for entry in entries)
            return 0

    async def _deliver(self, entries: list[ClaimedEntry]) -> int:
        """Submit a claimed batch and record every outcome in one transaction."""
        results = await self._submit(entries)
        name, max_attempts = self.provider.name, self._ctx.settings.outbox_max_attempts
        receipts = await self._ctx.db.write(
            lambda conn: record_outcomes(conn, entries, results, name, max_attempts)
        )
        self._claimed.difference_update(entry.id for entry in entries)
        metrics.receipts_recorded(receipts)
        return len(entries)

    async def _submit(self, entries: list[ClaimedEntry]) -> list[SubmitResult]:
        messages = [outbound_message(entry) for entry in entries]
        try:
            results = await self.provider.submit_many(messages)
        except Exception as error:  # a provider bug must not lose the messages
            log.exception("provider raised", provider=self.provider.name, count=len(messages))
            results = [TryLater(f"{type(error).__name__}: {error}") for _ in messages]
        if not isinstance(self.provider, Router):  # the router counts per provider itself
            metrics.provider_answered(self.provider.name, results)
        return results

    async def _prune_limit_hits(self) -> None:
        now = clock.now_ms()
        if now - self._last_prune < PRUNE_EVERY_MS:
            return
        self._last_prune = now
        defaults = self._ctx.settings.rate_rules.values()
        longest = max(
            max((rule.window_seconds for rules in defaults for rule in rules), default=0),
            await longest_limit_window(self._ctx.db),  # an app's own rule may look further back
        )
        await self._ctx.db.write(lambda conn: limit_hits.prune_hits(conn, now - longest * 1000))
        await self._ctx.db.write(
            lambda conn: prune_provider_ids(conn, now - REPORT_WAIT_MS, now - EARLY_REPORT_KEEP_MS)
        )
        await prune_expired(self._ctx.db)  # idempotency keys past their keeping time


def outbound_message(entry: ClaimedEntry) -> OutboundMessage:
    return OutboundMessage(
        msg_id=entry.msg_id,
        channel=entry.channel,
        mobile=entry.payload["mobile"],
        text=entry.payload["text"],
        code=entry.payload.get("code"),
        voice_lang=entry.payload.get("voice_lang"),
    )


def record_outcomes(
    conn: Connection,
    entries: list[ClaimedEntry],
    results: list[SubmitResult],
    provider: str,
    max_attempts: int,
) -> list[Receipt]:
    """Accepted: out of the outbox, submitted. Refused or out of tries: out of the outbox, failed,
    units refunded. A transport error: back in the outbox after an exponential backoff. Returns
    the receipts of reports that had overtaken their submit answer."""
    now = clock.now_ms()
    serialise_with_reports(
        conn, (r.provider or provider for r in results if isinstance(r, Accepted))
    )
    accepted: dict[str, list[tuple[str, str | None]]] = {}
    provider_ids: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    finished: list[int] = []
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, Accepted):
            name = result.provider or provider
            accepted.setdefault(name, []).append((entry.msg_id, result.provider_message_id))
            provider_ids.setdefault(name, []).append((entry.msg_id, _report_ids(entry, result)))
            finished.append(entry.id)
        elif fails_for_good(result, entry.attempts, max_attempts):
            status, reason = (
                (result.report_status, result.reason)
                if isinstance(result, Rejected)
                else (OTHER_ERROR, f"gave up after {entry.attempts} tries: {result.reason}")
            )
            log.info("delivery failed", msg_id=entry.msg_id, status=status, reason=reason)
            finished.append(entry.id)
            fail_before_provider(conn, entry.msg_id, status)
        else:
            backoff = min(2**entry.attempts, MAX_BACKOFF_SECONDS)
            log.warning(
                "delivery deferred",
                msg_id=entry.msg_id,
                mobile=mask_mobile(entry.payload["mobile"]),
                reason=result.reason,
                retry_in=backoff,
            )
            outbox.retry_entry(conn, entry.id, now + backoff * 1000, result.reason)
    outbox.remove_entries(conn, finished)
    record_delivery_pass(conn, entries, results, provider, max_attempts, now)
    receipts: list[Receipt] = []
    for name, pairs in accepted.items():
        mark_submitted(conn, pairs, name)
        receipts += remember_provider_ids(conn, name, provider_ids[name], now)
    return receipts


def _report_ids(entry: ClaimedEntry, result: Accepted) -> tuple[str, ...]:
    """The ids reports will name (smsgate's own msg_id for providers that report by it)."""
    ids = result.part_ids or (result.provider_message_id or "",)
    return tuple(i for i in ids if i)
