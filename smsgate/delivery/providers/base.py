"""What every delivery provider offers the worker."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smsgate.db.engine import Database
from smsgate.delivery.providers.link import Link
from smsgate.provider_answers import InboundSms, ProviderReport, SubmitResult, TryLater
from smsgate.settings import Settings


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    msg_id: str
    channel: str  # sms or voice
    mobile: str  # E.164
    text: str
    code: str | None = None
    voice_lang: int | None = None


class DeliveryEvents(Protocol):
    """What a provider tells smsgate after a submit: final statuses and replies.

    Reports may arrive before the provider's submit answer has been recorded (an SMPP receipt
    can overtake its submit_sm_resp); such reports are kept and applied when it is.
    """

    async def reports(self, provider: str, reports: Sequence[ProviderReport]) -> None:
        """Reports by the ids `provider`'s submits returned; they touch only its messages."""
        ...

    async def inbound(self, provider: str, messages: Sequence[InboundSms]) -> None: ...


class Provider(Protocol):
    name: str
    link: Link  # whether it can reach its carrier; the router hands a down provider nothing

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


# --- configuration (each type's keys extend these; providers/registry.py maps type names) ----


class ProviderConfig(BaseModel):
    """Keys every provider has; each type adds its own. Unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: str
    channels: tuple[str, ...] = ("sms",)  # "sms", "voice"


class LinkedProviderConfig(ProviderConfig):
    """Keys of a provider that keeps trying to reach its carrier while it cannot (SMPP rebinds,
    HTTP providers probe): the first try after this long, doubling up to the maximum."""

    reconnect_min_seconds: float = Field(1.0, gt=0, le=3600)
    reconnect_max_seconds: float = Field(60.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _backoff_bounds(self) -> Self:
        if self.reconnect_min_seconds > self.reconnect_max_seconds:
            raise ValueError("reconnect_min_seconds must not exceed reconnect_max_seconds")
        return self


@dataclass(frozen=True, slots=True)
class ProviderEnv:
    """What a provider may use besides its own configuration."""

    settings: Settings
    db: Database
    events: DeliveryEvents
