"""Gauges read from the database every few seconds: the outbox and due schedules.

Two aggregate queries per refresh, off the send path; every process that runs the background
loops exports them (the values are the same everywhere: take max() across processes).
"""

import structlog

from smsgate import clock
from smsgate.context import Context
from smsgate.messages.schedules.service import due_schedule_counts
from smsgate.outbox.repository import outbox_summary
from smsgate.telemetry import metrics

log = structlog.get_logger(__name__)
HEARTBEAT = "gauges"


async def refresh_gauges(ctx: Context) -> None:
    depth, oldest = await outbox_summary(ctx.db)
    age = 0.0 if oldest is None else max(clock.now_ms() - oldest, 0) / 1000
    metrics.outbox_seen(depth, age)
    due, late = await due_schedule_counts(ctx, ctx.settings.schedule_late_seconds)
    metrics.schedules_seen(due, late)


async def run_gauges(ctx: Context) -> None:
    """Refresh every `metrics_refresh_seconds` until the process stops."""
    process = ctx.process
    while not process.stopping.is_set():
        try:
            await refresh_gauges(ctx)
        except Exception:  # a database hiccup: the gauges keep their last values
            log.exception("refreshing gauges failed")
        process.heartbeats.beat(HEARTBEAT)
        await process.pause(ctx.settings.metrics_refresh_seconds)
