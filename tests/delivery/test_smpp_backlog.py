"""A bind whose read loop falls behind a burst of receipts still gets every submit answered."""

import asyncio
from collections.abc import Iterator

import pytest

from smsgate.delivery.providers.smpp.bind import Bind, BindLost, Delivered
from smsgate.delivery.providers.smpp.encoding import SubmitPart
from tests.delivery.smpp_fixtures import WAIT_SECONDS, smpp_config
from tests.delivery.smpp_peer import SmscSimulator

SUBMITS = 2000  # receipts beyond smpp34's default inbound queue


@pytest.fixture
def simulator() -> Iterator[SmscSimulator]:
    sim = SmscSimulator("--quiet", "--receipt-delay", "0")
    sim.start()
    yield sim
    sim.kill()


async def test_submits_are_answered_while_receipts_wait_to_be_read(
    simulator: SmscSimulator,
) -> None:
    gate = asyncio.Event()  # the read loop is held here, as by an event loop busy elsewhere
    received: list[Delivered] = []
    all_received = asyncio.Event()

    async def slow_reader(delivered: Delivered) -> None:
        await gate.wait()
        received.append(delivered)
        if len(received) == SUBMITS:
            all_received.set()

    bind = Bind(smpp_config(simulator, window=50), 1, slow_reader)
    running = asyncio.create_task(bind.run())
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await bind.ready.wait()
        part = SubmitPart(b"receipt backlog", 0)
        outcomes = await asyncio.gather(
            *(bind.submit("8613800138000", part) for _ in range(SUBMITS)), return_exceptions=True
        )
        lost = [o for o in outcomes if isinstance(o, BindLost)]
        assert lost == []
        assert all(o.command_status == 0 for o in outcomes)  # type: ignore[union-attr]
        gate.set()
        async with asyncio.timeout(WAIT_SECONDS):
            await all_received.wait()  # every receipt arrives once the reader catches up
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
