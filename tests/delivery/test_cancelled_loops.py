"""Delivery loops that end only when cancelled end even when the cancel comes as they wake.

A stop cancels the provider's loops and the health reports. A loop that waits for an event
with asyncio.wait_for (Python 3.11) loses a cancel that comes in the same turn as the event:
it goes round again, waits again, and the stop waits for it for ever.
"""

import asyncio
from collections.abc import Awaitable, Callable

from smsgate.context import Context
from smsgate.delivery.health import report_health
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.sandbox import SandboxProvider

WAIT_SECONDS = 30.0  # only a loop that ignores its cancel waits this long, and then fails
HOUR = 3600.0


class WatchedEvent(asyncio.Event):
    """An event that says when someone is waiting for it."""

    def __init__(self) -> None:
        super().__init__()
        self.waited_on = asyncio.Event()

    async def wait(self) -> bool:
        if not self.is_set():
            self.waited_on.set()
        return await super().wait()


async def cancel_as_it_wakes(
    loop: Awaitable[None], event: WatchedEvent, wake: Callable[[], Awaitable[None]]
) -> None:
    """Run `loop` until it waits for `event`, wake it, cancel it in the same turn, and see it
    end cancelled."""
    task = asyncio.ensure_future(loop)
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await event.waited_on.wait()
            await wake()  # sets the event and returns, with no turn of the loop in between
            task.cancel()
            await asyncio.wait([task])
    finally:  # a loop that lost its cancel gets another, so that the test ends either way
        task.cancel()
        await asyncio.wait([task])
    assert task.cancelled()


async def test_health_reports_end_when_cancelled_as_a_change_comes(ctx: Context) -> None:
    changed = WatchedEvent()

    async def change() -> None:
        changed.set()

    await cancel_as_it_wakes(report_health(ctx.db, {}, changed, HOUR), changed, change)


async def test_sandbox_reports_end_when_cancelled_as_a_message_comes(ctx: Context) -> None:
    sandbox = SandboxProvider(ctx.db, HOUR)
    report_due = sandbox._report_due = WatchedEvent()
    message = OutboundMessage("m1", "sms", "+8613800138000", "hi")

    async def submit() -> None:
        await sandbox.submit_many([message])

    await cancel_as_it_wakes(sandbox.run(), report_due, submit)
