"""A stop that comes while a bind is being made ends the bind, and unbinds what the SMSC bound.

A bind stops by the cancellation of its task, which can come at any moment of the bind. Two are
hard: as the SMSC's answer lands (asyncio.wait_for on Python 3.11 loses a cancel that comes as
what it awaits completes: the bind would read on for ever and the stop never end), and just
before (smpp34, cancelled there, leaves the SMSC bound with no session to unbind it through).
"""

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import smpp34

from smsgate.delivery.providers.smpp.bind import Bind, Delivered
from tests.delivery.smpp_fixtures import smpp_config
from tests.delivery.smpp_peer import SmscSimulator

WAIT_SECONDS = 30.0  # only a stop that hangs waits this long, and then fails
RealClient = smpp34.Client
ConnectHook = Callable[["asyncio.Future[smpp34.Smsc]"], None]


class BindWatch:
    """What a test does as each bind starts, given the future of the SMSC's answer."""

    def __init__(self) -> None:
        self.on_connect: ConnectHook = lambda _: None


class WatchedClient:
    """smpp34's client, telling the watch about each bind it starts."""

    def __init__(self, watch: BindWatch, *args: Any, **kwargs: Any) -> None:
        self._watch = watch
        self._client = RealClient(*args, **kwargs)

    def connect(self) -> "asyncio.Future[smpp34.Smsc]":
        connecting = asyncio.ensure_future(self._client.connect())
        self._watch.on_connect(connecting)
        return connecting

    async def stop(self) -> None:
        await self._client.stop()


@pytest.fixture
def simulator() -> Iterator[SmscSimulator]:
    sim = SmscSimulator()
    sim.start()
    yield sim
    sim.kill()


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> BindWatch:
    watch = BindWatch()
    monkeypatch.setattr(smpp34, "Client", partial(WatchedClient, watch))
    return watch


async def ignore(_: Delivered) -> None:
    pass


async def assert_stopped_and_unbound(task: "asyncio.Task[None]", sim: SmscSimulator) -> None:
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await asyncio.wait([task])
    finally:  # a bind that lost its cancel gets another, so that the test ends either way
        task.cancel()
        await asyncio.wait([task])
    assert task.cancelled()
    await sim.until(lambda: len(sim.of_kind("unbound")) == 1)


async def test_a_stop_as_the_bind_answer_lands_ends_the_bind_and_unbinds(
    simulator: SmscSimulator, watch: BindWatch
) -> None:
    bind = Bind(smpp_config(simulator), 1, ignore)
    task = asyncio.create_task(bind.run())
    # The cancel comes in the very callback that completes the bind, before the bind's task
    # has seen the answer.
    watch.on_connect = lambda connecting: connecting.add_done_callback(lambda _: task.cancel())
    await assert_stopped_and_unbound(task, simulator)
    assert bind.times_bound == 0  # stopped before it counted as bound


async def test_a_stop_while_the_smsc_answers_the_bind_still_unbinds(
    simulator: SmscSimulator, watch: BindWatch
) -> None:
    started = asyncio.Event()
    watch.on_connect = lambda _: started.set()
    bind = Bind(smpp_config(simulator), 1, ignore)
    task = asyncio.create_task(bind.run())
    await started.wait()
    # Held here, the event loop cannot take the SMSC's answer in: the stop comes first, while the
    # answer is on its way.
    simulator.wait_for(lambda: len(simulator.of_kind("bound")) == 1)
    task.cancel()
    await assert_stopped_and_unbound(task, simulator)
