"""The SMPP provider: submit_many across the binds, receipts and replies back to the events.

A long message is several submit_sm; it counts as accepted when every part is. Parts the SMSC
already took are remembered by msg_id, so when the message comes back from the outbox after a
bind drop only the missing parts go out again, under the same concatenation reference.
"""

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import structlog

from smsgate.delivery.providers.base import (
    DeliveryEvents,
    OutboundMessage,
    ProviderEnv,
    submit_each,
)
from smsgate.delivery.providers.link import Link
from smsgate.delivery.providers.smpp.bind import Bind, BindLost, Delivered
from smsgate.delivery.providers.smpp.config import SmppConfig
from smsgate.delivery.providers.smpp.encoding import SubmitPart, submit_parts
from smsgate.delivery.providers.smpp.inbound import ReplyAssembler
from smsgate.delivery.providers.smpp.receipts import canonical_id, is_receipt, receipt_report
from smsgate.delivery.providers.smpp.statuses import (
    RETRY_HERE,
    TRANSIENT,
    rejection_status,
    status_name,
)
from smsgate.provider_answers import (
    Accepted,
    InboundSms,
    ProviderReport,
    Rejected,
    SubmitResult,
    TryLater,
)
from smsgate.report_status import ReportStatus

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_THROTTLE_BACKOFF_SECONDS = 8.0
MAX_REMEMBERED_PARTIAL = 10_000
EVENTS_BATCH = 500
EVENTS_RETRY_SECONDS = 1.0


@dataclass
class _Partial:
    """What the SMSC already accepted of a long message: part ids by part index."""

    reference: int
    part_ids: dict[int, str]


def build_smpp(config: SmppConfig, env: ProviderEnv) -> "SmppProvider":
    return SmppProvider(config, env.events, gather_seconds=env.settings.delivery_gather_seconds)


class SmppProvider:
    def __init__(
        self, config: SmppConfig, events: DeliveryEvents, *, gather_seconds: float = 0.0
    ) -> None:
        self.name = config.name
        self._config = config
        self._events = events
        self._gather_seconds = gather_seconds
        self.binds = [Bind(config, n, self._on_deliver) for n in range(1, config.binds + 1)]
        self.link = Link()  # up while any bind is, down when none is and one has failed
        for bind in self.binds:
            bind.link.listen(lambda _: self.link.follow([b.link for b in self.binds]))
        self._turn = itertools.cycle(range(config.binds))
        self._references = itertools.count(1)
        self._partial: dict[str, _Partial] = {}
        self._reports: asyncio.Queue[ProviderReport] = asyncio.Queue()
        self._replies: asyncio.Queue[InboundSms] = asyncio.Queue()
        self._assembler = ReplyAssembler()

    @property
    def concurrency(self) -> int:
        """Submits the binds can have outstanding at once: what the worker keeps in flight."""
        return self._config.binds * self._config.window

    async def run(self) -> None:
        """Keep every bind up and pass receipts and replies on; unbind all when cancelled."""
        async with asyncio.TaskGroup() as group:
            for bind in self.binds:
                group.create_task(bind.run())
            group.create_task(self._pass_on(self._reports, self._events.reports))
            group.create_task(self._pass_on(self._replies, self._events.inbound))

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        """Every message at once: the binds' windows pipeline them. An unforeseen error is a
        TryLater for its own message only."""
        return await submit_each(self._submit_message, messages)

    async def _submit_message(self, message: OutboundMessage) -> SubmitResult:
        if message.channel != "sms":
            return Rejected(ReportStatus.OTHER_ERROR, f"smpp carries sms, not {message.channel}")
        partial = self._partial.pop(message.msg_id, None)
        if partial is None:
            partial = _Partial(next(self._references) & 0xFFFF, {})
        parts = submit_parts(message.text, self._config.concatenation, partial.reference)
        destination = message.mobile.removeprefix("+")
        missing = [i for i in range(len(parts)) if i not in partial.part_ids]
        if len(missing) == 1:  # most messages: no gather to pay for
            outcomes = [await self._submit_part(destination, parts[missing[0]])]
        else:
            outcomes = await asyncio.gather(
                *(self._submit_part(destination, parts[i]) for i in missing)
            )
        for index, outcome in zip(missing, outcomes, strict=True):
            if isinstance(outcome, str):
                partial.part_ids[index] = outcome
        refusal = next((o for o in outcomes if isinstance(o, Rejected)), None)
        if refusal is not None:
            return refusal
        retry = next((o for o in outcomes if isinstance(o, TryLater)), None)
        if retry is not None:
            if partial.part_ids:
                self._remember(message.msg_id, partial)
            return retry
        ids = tuple(partial.part_ids[i] for i in range(len(parts)))
        return Accepted(ids[0] or None, part_ids=ids)

    def _remember(self, msg_id: str, partial: _Partial) -> None:
        while len(self._partial) >= MAX_REMEMBERED_PARTIAL:
            del self._partial[next(iter(self._partial))]
        self._partial[msg_id] = partial

    async def _submit_part(self, destination: str, part: SubmitPart) -> str | Rejected | TryLater:
        """The part's canonical message id, or why not. Throttling answers are waited out (on
        whichever bind comes next) for up to throttle_retry_seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._config.throttle_retry_seconds
        backoff = self._config.throttle_backoff_seconds
        while True:
            bind = await self._ready_bind()
            if bind is None:
                return TryLater(f"{self.name}: no bind up")
            try:
                response = await bind.submit(destination, part)
            except BindLost as error:
                return TryLater(str(error))
            status = response.command_status
            if status == 0:
                return canonical_id(response.message_id or "")
            reason = f"{bind.label}: submit_sm answered {status_name(status)}"
            if status in RETRY_HERE and loop.time() + backoff <= deadline:
                bind.hold(backoff)  # the whole bind slows down; the part tries the next bind
                backoff = min(backoff * 2, MAX_THROTTLE_BACKOFF_SECONDS)
                continue
            if status in RETRY_HERE or status in TRANSIENT:
                return TryLater(reason)
            return Rejected(rejection_status(status), reason)

    async def _ready_bind(self) -> Bind | None:
        """The next bound bind in turn, one not held back by throttling if there is one; waits
        up to connect_timeout_seconds for one to bind."""
        bound = []
        for _ in range(len(self.binds)):
            bind = self.binds[next(self._turn)]
            if bind.ready.is_set():
                if not bind.held():
                    return bind
                bound.append(bind)
        if bound:
            return bound[0]
        waits = [asyncio.ensure_future(bind.ready.wait()) for bind in self.binds]
        try:
            await asyncio.wait(
                waits,
                timeout=self._config.connect_timeout_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for wait in waits:
                wait.cancel()
        return next((bind for bind in self.binds if bind.ready.is_set()), None)

    async def _on_deliver(self, delivered: Delivered) -> None:
        """Runs on the bind's read loop (the library has answered deliver_sm_resp already):
        only parse and queue here."""
        if is_receipt(delivered.esm_class):
            report = receipt_report(delivered.short_message, delivered.tlvs)
            if report is not None:
                self._reports.put_nowait(report)
            return
        reply = self._assembler.add(delivered)
        if reply is not None:
            self._replies.put_nowait(reply)

    async def _pass_on(
        self, queue: "asyncio.Queue[T]", send: Callable[[str, Sequence[T]], Awaitable[None]]
    ) -> None:
        """Hand queued events over in batches; keep a batch and try again when that fails.

        A first event that finds fewer than a batch behind it waits `gather_seconds` for more:
        a batch costs the same statements for one receipt as for hundreds. Under load the
        queue holds a batch already, and nothing waits."""
        while True:
            batch = [await queue.get()]
            if queue.qsize() < EVENTS_BATCH - 1 and self._gather_seconds:
                await asyncio.sleep(self._gather_seconds)
            while len(batch) < EVENTS_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            while True:
                try:
                    await send(self.name, batch)
                    break
                except Exception:
                    log.exception("smpp events failed", provider=self.name, count=len(batch))
                    await asyncio.sleep(EVENTS_RETRY_SECONDS)
