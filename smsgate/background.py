"""The work a process does besides answering requests: delivery, and each slice's own loops.

`smsgate serve` runs it beside the API (unless SMSGATE_EMBEDDED_WORKER is off); `smsgate worker`
runs only this. Every loop here must be safe to run in several processes on one PostgreSQL.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any

from smsgate.context import Context
from smsgate.delivery.providers.sandbox import SandboxProvider
from smsgate.delivery.worker import DeliveryWorker


def build_worker(ctx: Context) -> DeliveryWorker:
    provider = SandboxProvider(ctx.db, ctx.settings.sandbox_report_delay)
    return DeliveryWorker(ctx, provider)


def background_loops(ctx: Context) -> list[Coroutine[Any, Any, None]]:
    """Each loop runs until cancelled and logs its own errors rather than ending."""
    return [build_worker(ctx).run()]


async def run_background(ctx: Context) -> None:
    """Run every loop until cancelled."""
    async with asyncio.TaskGroup() as group:
        for loop in background_loops(ctx):
            group.create_task(loop)
