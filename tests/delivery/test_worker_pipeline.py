"""The worker keeps a pipelining provider full: it claims the next batch while earlier ones are
still with the provider, and every message still goes out exactly once."""

import asyncio
from collections.abc import Sequence

import pytest
from httpx import AsyncClient

from smsgate.context import Context
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import Link
from smsgate.delivery.worker import DeliveryWorker
from smsgate.provider_answers import Accepted, SubmitResult
from tests.delivery.test_worker import send, statuses
from tests.support.tenants import Tenant

BATCH, MESSAGES = 4, 20


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": "", "outbox_batch": BATCH}


class Carrier:
    """Holds every batch until two are in its hands at once (which only a worker that does
    not wait for a batch's answers before claiming the next can bring about)."""

    name = "carrier"
    concurrency = 3 * BATCH

    def __init__(self) -> None:
        self.link = Link()
        self.submitted: list[str] = []
        self.in_hand = 0
        self.most_in_hand = 0
        self.overlapped = asyncio.Event()
        self.done = asyncio.Event()

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        self.in_hand += 1
        self.most_in_hand = max(self.most_in_hand, self.in_hand)
        if self.in_hand >= 2:
            self.overlapped.set()
        if len(self.submitted) + len(messages) < MESSAGES:  # the last batch may be alone
            await self.overlapped.wait()
        self.in_hand -= 1
        self.submitted += [m.msg_id for m in messages]
        if len(self.submitted) >= MESSAGES:
            self.done.set()
        return [Accepted(f"c-{m.msg_id}") for m in messages]

    async def run(self) -> None:
        await asyncio.Event().wait()


async def test_batches_overlap_and_every_message_goes_out_once(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    accepted = [await send(api, tenant, order=str(i)) for i in range(MESSAGES)]
    carrier = Carrier()
    worker = asyncio.create_task(DeliveryWorker(ctx, carrier).run())
    try:
        async with asyncio.timeout(30):
            await carrier.done.wait()
    finally:
        ctx.request_stop()
        await worker
    assert carrier.most_in_hand >= 2
    assert sorted(carrier.submitted) == sorted(accepted)
    assert {status for status, _ in (await statuses(ctx)).values()} == {"submitted"}
