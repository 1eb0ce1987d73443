"""The work a process does besides answering requests: delivery, and each slice's own loops.

`smsgate serve` runs it beside the API (unless SMSGATE_EMBEDDED_WORKER is off); `smsgate worker`
runs only this. Every loop here must be safe to run in several processes on one PostgreSQL.
"""

import asyncio

import structlog

from smsgate.callbacks import sender as callbacks
from smsgate.callbacks.sender import CallbackSender
from smsgate.context import Context
from smsgate.delivery import worker as delivery
from smsgate.delivery.config import load_delivery_config
from smsgate.delivery.events import DatabaseEvents
from smsgate.delivery.health import report_health
from smsgate.delivery.providers.base import ProviderEnv
from smsgate.delivery.providers.registry import provider_type
from smsgate.delivery.providers.sandbox import SandboxConfig, build_sandbox
from smsgate.delivery.routing import Router
from smsgate.delivery.worker import DeliveryWorker
from smsgate.fraud.service import run_pruning as prune_fraud_counters
from smsgate.messages.schedules import scheduler
from smsgate.messages.schedules.scheduler import run_scheduler
from smsgate.messages.voice_fallback import loop as voice_fallbacks
from smsgate.messages.voice_fallback.loop import run_voice_fallbacks
from smsgate.observability import gauges, live
from smsgate.observability.gauges import run_gauges
from smsgate.reports.pruning import run_pruning as prune_reports

log = structlog.get_logger(__name__)
HEALTH_EVERY_SECONDS = 5.0


def build_worker(ctx: Context) -> DeliveryWorker:
    """The worker with the configured providers behind a router, or the sandbox alone."""
    config = load_delivery_config(ctx.settings)
    env = ProviderEnv(ctx.settings, ctx.db, DatabaseEvents(ctx.db))
    if config.is_sandbox_only:
        return DeliveryWorker(ctx, build_sandbox(SandboxConfig(name="sandbox"), env))
    providers = {
        name: provider_type(provider.type).build(provider, env)
        for name, provider in config.providers.items()
    }
    return DeliveryWorker(ctx, Router(providers, config))


async def run_background(ctx: Context) -> None:
    """Run every loop until `ctx.request_stop()`, when each finishes the pass it is in and ends
    (the delivery worker then unbinds its providers), or until cancelled."""
    worker = build_worker(ctx)
    ctx.process.provider = worker.provider
    stoppable = [
        worker.run(),
        CallbackSender(ctx).run(),
        run_scheduler(ctx),
        run_voice_fallbacks(ctx),  # calls for text codes that did not arrive
        prune_fraud_counters(ctx),  # pumping-defence counters no window sees any more
        prune_reports(ctx),  # pull records and stories past their retention
        run_gauges(ctx),
    ]
    ctx.process.heartbeats.expect(
        delivery.HEARTBEAT,
        callbacks.HEARTBEAT,
        scheduler.HEARTBEAT,
        voice_fallbacks.HEARTBEAT,
        gauges.HEARTBEAT,
    )
    live.watch(ctx.process)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(loop) for loop in stoppable]
            health = None
            if isinstance(worker.provider, Router):  # runs until cancelled, saving on the way out
                health = group.create_task(
                    report_health(
                        ctx.db,
                        worker.provider.breakers,
                        worker.provider.health_changed,
                        HEALTH_EVERY_SECONDS,
                    )
                )
            await asyncio.wait(tasks)
            if health is not None:
                health.cancel()
    finally:
        live.unwatch(ctx.process)


async def stop_background(ctx: Context, task: "asyncio.Task[None]") -> None:
    """Graceful stop: loops finish their pass; past `stop_timeout_seconds` they are cancelled
    (the delivery worker then hands the rows it holds back to the outbox)."""
    ctx.request_stop()
    try:
        await asyncio.wait_for(task, ctx.settings.stop_timeout_seconds)
    except TimeoutError:
        log.warning("background loops cancelled at the stop timeout")
    except Exception:
        log.exception("background loops ended with an error")
