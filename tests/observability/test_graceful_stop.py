"""A stop request (SIGTERM) lets the delivery pass in flight finish, hands back rows a pass
could not finish by the stop timeout, and unbinds SMPP before the loops end."""

import asyncio
from collections.abc import Iterator, Sequence

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from smsgate.background import run_background, stop_background
from smsgate.context import Context, open_context
from smsgate.db.models import Message, OutboxEntry
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.worker import DeliveryWorker
from smsgate.provider_answers import Accepted, SubmitResult
from smsgate.settings import Settings
from tests.api.helpers import rows
from tests.delivery.smpp_peer import SmscSimulator
from tests.support.tenants import Tenant, make_tenant

WAIT_SECONDS = 30.0
MOBILE = "13800138000"


class GatedProvider:
    """Takes messages only once the test opens the gate; says when a submit has begun."""

    name = "gated"

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        self.entered.set()
        await self.gate.wait()
        return [Accepted(f"p-{m.msg_id}") for m in messages]

    async def run(self) -> None:
        await asyncio.Event().wait()


async def send(api: AsyncClient, tenant: Tenant) -> str:
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    answer = await api.post("/v1/codes", json=body, auth=tenant.auth)
    assert answer.status_code == 200, answer.text
    msg_id: str = answer.json()["msg_id"]
    return msg_id


async def test_the_pass_in_flight_finishes_before_the_worker_ends(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    provider = GatedProvider()
    msg_id = await send(api, tenant)
    worker = asyncio.create_task(DeliveryWorker(ctx, provider).run())
    async with asyncio.timeout(WAIT_SECONDS):
        await provider.entered.wait()
        ctx.request_stop()
        provider.gate.set()
        await worker
    [message] = await rows(ctx, select(Message.status).where(Message.id == msg_id))
    assert message.status == "submitted"
    assert await rows(ctx, select(OutboxEntry.id)) == []


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"stop_timeout_seconds": 0.2}


async def test_rows_of_an_unfinished_pass_go_back_at_the_stop_timeout(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    provider = GatedProvider()  # the gate never opens: a provider that hangs
    msg_id = await send(api, tenant)
    worker = asyncio.create_task(DeliveryWorker(ctx, provider).run())
    async with asyncio.timeout(WAIT_SECONDS):
        await provider.entered.wait()
        [leased] = await rows(ctx, select(OutboxEntry.lease_until))
        assert leased.lease_until is not None
        await stop_background(ctx, worker)
    assert worker.cancelled()
    [entry] = await rows(ctx, select(OutboxEntry.msg_id, OutboxEntry.lease_until))
    assert (entry.msg_id, entry.lease_until) == (msg_id, None)


@pytest.fixture
def simulator() -> Iterator[SmscSimulator]:
    sim = SmscSimulator()
    sim.start()
    yield sim
    sim.kill()


async def test_a_stop_unbinds_smpp_and_ends_every_loop(
    settings: Settings, simulator: SmscSimulator
) -> None:
    config = settings.data_dir / "delivery.toml"
    config.write_text(
        "[[providers]]\n"
        'name = "carrier-a"\ntype = "smpp"\nhost = "127.0.0.1"\n'
        f'port = {simulator.port}\nsystem_id = "smsgate"\npassword = "secret"\n'
        'source_addr = "1069"\nbinds = 2\n'
    )
    # The module's 0.2 s stop timeout is for the test above; here each loop must end on its own
    # however slow the machine, so only the outer guard bounds the wait.
    unhurried = {"config": config, "stop_timeout_seconds": WAIT_SECONDS * 2}
    ctx = open_context(settings.model_copy(update=unhurried))
    try:
        await make_tenant(ctx)
        background = asyncio.create_task(run_background(ctx))
        await simulator.until(lambda: len(simulator.of_kind("bound")) == 2)
        async with asyncio.timeout(WAIT_SECONDS):
            await stop_background(ctx, background)
        assert background.done() and not background.cancelled()
        await simulator.until(lambda: len(simulator.of_kind("unbound")) == 2)
    finally:
        await ctx.close()
