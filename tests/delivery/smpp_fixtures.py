"""A recording DeliveryEvents and a running SMPP provider for the SMPP tests."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from smsgate.delivery.providers.smpp.config import SmppConfig
from smsgate.delivery.providers.smpp.provider import SmppProvider
from smsgate.provider_answers import InboundSms, ProviderReport
from tests.delivery.smpp_peer import SmscSimulator

WAIT_SECONDS = 30.0


class RecordingEvents:
    """Keeps what the provider reports, and lets a test await it."""

    def __init__(self) -> None:
        self.received: list[ProviderReport] = []
        self.report_batches: list[int] = []  # how many reports each call brought
        self.replies: list[InboundSms] = []
        self._changed = asyncio.Condition()

    async def reports(self, provider: str, reports: Sequence[ProviderReport]) -> None:
        async with self._changed:
            self.received.extend(reports)
            self.report_batches.append(len(reports))
            self._changed.notify_all()

    async def inbound(self, provider: str, messages: Sequence[InboundSms]) -> None:
        async with self._changed:
            self.replies.extend(messages)
            self._changed.notify_all()

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_SECONDS), self._changed:
            await self._changed.wait_for(condition)


def smpp_config(simulator: SmscSimulator, **overrides: Any) -> SmppConfig:
    keys: dict[str, Any] = {
        "name": "carrier-a",
        "host": "127.0.0.1",
        "port": simulator.port,
        "system_id": "smsgate",
        "password": "secret",
        "source_addr": "1069",
        "reconnect_min_seconds": 0.1,
        "reconnect_max_seconds": 0.5,
        "throttle_backoff_seconds": 0.05,
    }
    return SmppConfig(**(keys | overrides))


@contextlib.asynccontextmanager
async def running(provider: SmppProvider) -> AsyncIterator[SmppProvider]:
    """The provider with its binds up, unbound again at the end."""
    task = asyncio.create_task(provider.run())
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await asyncio.gather(*(bind.ready.wait() for bind in provider.binds))
        yield provider
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
