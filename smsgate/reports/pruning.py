"""Pull records and the messages' stories are kept `report_keep_seconds`, read or not; this
loop drops the older ones."""

import structlog

from smsgate.context import Context
from smsgate.reports.service import prune_records
from smsgate.story.service import prune_story

log = structlog.get_logger(__name__)
PRUNE_EVERY_SECONDS = 600.0


async def run_pruning(ctx: Context) -> None:
    """Prune at start and every ten minutes until the process stops, or until cancelled."""
    process = ctx.process
    while not process.stopping.is_set():
        try:
            await prune_past_retention(ctx)
        except Exception:
            log.exception("pruning pull records and stories failed")
        await process.pause(PRUNE_EVERY_SECONDS)


async def prune_past_retention(ctx: Context) -> None:
    """One pass: pull records and story events older than `report_keep_seconds`."""
    await prune_records(ctx.db, ctx.settings.report_keep_seconds)
    await prune_story(ctx.db, ctx.settings.report_keep_seconds)
