"""The work a process does besides answering requests: delivery, and each slice's own loops.

`smsgate serve` runs it beside the API (unless SMSGATE_EMBEDDED_WORKER is off); `smsgate worker`
runs only this. Every loop here must be safe to run in several processes on one PostgreSQL.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any

from smsgate.context import Context
from smsgate.delivery.config import load_delivery_config
from smsgate.delivery.events import DatabaseEvents
from smsgate.delivery.health import report_health
from smsgate.delivery.providers.registry import ProviderEnv, provider_type
from smsgate.delivery.providers.sandbox import SandboxProvider, sandbox_audio
from smsgate.delivery.routing import Router
from smsgate.delivery.worker import DeliveryWorker
from smsgate.fraud.service import run_pruning
from smsgate.messages.schedules.scheduler import run_scheduler
from smsgate.reports.callbacks import CallbackSender

HEALTH_EVERY_SECONDS = 5.0


def build_worker(ctx: Context) -> DeliveryWorker:
    """The worker with the configured providers behind a router, or the sandbox alone."""
    config = load_delivery_config(ctx.settings)
    if config.is_sandbox_only:
        sandbox = SandboxProvider(
            ctx.db, ctx.settings.sandbox_report_delay, audio=sandbox_audio(ctx.settings)
        )
        return DeliveryWorker(ctx, sandbox)
    env = ProviderEnv(ctx.settings, ctx.db, DatabaseEvents(ctx.db))
    providers = {
        name: provider_type(provider.type).build(provider, env)
        for name, provider in config.providers.items()
    }
    return DeliveryWorker(ctx, Router(providers, config))


def background_loops(ctx: Context) -> list[Coroutine[Any, Any, None]]:
    """Each loop runs until cancelled and logs its own errors rather than ending."""
    worker = build_worker(ctx)
    loops = [worker.run()]
    if isinstance(worker.provider, Router):
        router = worker.provider
        loops.append(
            report_health(ctx.db, router.breakers, router.health_changed, HEALTH_EVERY_SECONDS)
        )
    loops.append(CallbackSender(ctx).run())  # callbacks out, expired pull records pruned
    loops.append(run_scheduler(ctx))  # due scheduled SMS into the outbox
    loops.append(run_pruning(ctx))  # pumping-defence counters no window sees any more
    return loops


async def run_background(ctx: Context) -> None:
    """Run every loop until cancelled."""
    async with asyncio.TaskGroup() as group:
        for loop in background_loops(ctx):
            group.create_task(loop)
