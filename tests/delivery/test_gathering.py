"""Delivery gathers: a worker woken by a send, and the sandbox's reports, wait
`delivery_gather_seconds` for more, so that one pass (a claim and an outcome transaction) or
one report batch carries what arrived meanwhile instead of one message each."""

import asyncio
from collections.abc import Sequence

import pytest
from httpx import AsyncClient

from smsgate.context import Context
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import Link
from smsgate.delivery.providers.sandbox import SandboxProvider
from smsgate.delivery.worker import HEARTBEAT, DeliveryWorker
from smsgate.provider_answers import Accepted, SubmitResult
from tests.delivery.test_worker import send
from tests.support.tenants import Tenant

GATHER = 1.0  # far longer than the test's sends take, even on a busy machine
SENDS = 3


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": "", "delivery_gather_seconds": GATHER}


class Carrier:
    """Keeps each pass's messages and when it came."""

    name = "carrier"

    def __init__(self) -> None:
        self.link = Link()
        self.passes: list[tuple[float, list[str]]] = []
        self.done = asyncio.Event()

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        self.passes.append((asyncio.get_running_loop().time(), [m.msg_id for m in messages]))
        if sum(len(ids) for _, ids in self.passes) >= SENDS:
            self.done.set()
        return [Accepted(f"c-{m.msg_id}") for m in messages]

    async def run(self) -> None:
        await asyncio.Event().wait()


async def until_idle(ctx: Context) -> None:
    """Until the worker has made its first (empty) pass and waits to be woken."""
    async with asyncio.timeout(30):
        while HEARTBEAT not in ctx.process.heartbeats.ages():
            await asyncio.sleep(0.01)


async def test_a_woken_worker_takes_the_sends_of_its_gather_time_in_one_pass(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    carrier = Carrier()
    worker = asyncio.create_task(DeliveryWorker(ctx, carrier).run())
    try:
        await until_idle(ctx)
        started = asyncio.get_running_loop().time()
        accepted = [await send(api, tenant, order=str(i)) for i in range(SENDS)]
        async with asyncio.timeout(30):
            await carrier.done.wait()
    finally:
        ctx.request_stop()
        await worker
    [(at, ids)] = carrier.passes
    assert sorted(ids) == sorted(accepted)
    assert at - started >= GATHER  # woken by the first send, it waited before claiming


async def test_the_sandbox_waits_the_gather_time_for_reports_falling_due(ctx: Context) -> None:
    # Under a second: the wait is at most one second when no report is due at all.
    sandbox = SandboxProvider(ctx.db, 0.05, gather_seconds=0.5)
    message = OutboundMessage(msg_id="m1", channel="sms", mobile="+8613800138000", text="hi")
    [result] = await sandbox.submit_many([message])
    assert isinstance(result, Accepted)
    assert await sandbox.send_due_reports() == 0.5  # not the 0.05 s until its report is due
