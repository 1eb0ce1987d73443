"""Pull records are kept `report_keep_seconds`, read or not; this loop drops the older ones."""

import structlog

from smsgate.context import Context
from smsgate.reports.service import prune_records

log = structlog.get_logger(__name__)
PRUNE_EVERY_SECONDS = 600.0


async def run_pruning(ctx: Context) -> None:
    """Prune at start and every ten minutes until the process stops, or until cancelled."""
    process = ctx.process
    while not process.stopping.is_set():
        try:
            await prune_records(ctx.db, ctx.settings.report_keep_seconds)
        except Exception:
            log.exception("pruning pull records failed")
        await process.pause(PRUNE_EVERY_SECONDS)
