"""What every delivery provider offers the worker."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    msg_id: str
    channel: str  # sms or voice
    mobile: str  # E.164
    text: str
    code: str | None = None
    voice_lang: int | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """The provider took the message; its final status comes later as a delivery report."""

    provider_message_id: str | None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The provider refused this message for good; `report_status` is its JSMS status."""

    report_status: int
    reason: str


@dataclass(frozen=True, slots=True)
class TryLater:
    """A transport problem: the message may go through on another try or another provider."""

    reason: str


SubmitResult = Accepted | Rejected | TryLater


class Provider(Protocol):
    name: str

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        """Hand over a batch (a carrier link pipelines it); one result per message, in order."""
        ...

    async def run(self) -> None:
        """Background work (binds, report polling) for as long as the worker runs."""
        ...


async def submit_each(
    submit: Callable[[OutboundMessage], Awaitable[SubmitResult]],
    messages: Sequence[OutboundMessage],
) -> list[SubmitResult]:
    """submit_many for providers that take one message at a time: all concurrently, and an
    exception becomes a TryLater for its message only."""
    outcomes = await asyncio.gather(*(submit(m) for m in messages), return_exceptions=True)
    return [
        TryLater(f"{type(o).__name__}: {o}") if isinstance(o, BaseException) else o
        for o in outcomes
    ]
