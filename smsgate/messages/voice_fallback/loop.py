"""The loop that places due voice fallbacks; safe in several processes (leases, SKIP LOCKED)."""

import structlog

from smsgate.context import Context
from smsgate.messages.voice_fallback.service import place_due_fallbacks, release_leases

log = structlog.get_logger(__name__)
HEARTBEAT = "voice_fallbacks"


async def run_voice_fallbacks(ctx: Context) -> None:
    """Decide due fallbacks until the process stops or until cancelled, looking every
    `voice_fallback_poll_seconds` (a failed SMS makes its fallback due at once, wherever its
    receipt was recorded)."""
    if ctx.db.is_sqlite:
        released = await release_leases(ctx)
        if released:
            log.info("resuming voice fallbacks claimed before a restart", count=released)
    while not ctx.process.stopping.is_set():
        try:
            claimed = await place_due_fallbacks(ctx)
        except Exception:
            log.exception("voice fallback pass failed")
            claimed = 0
        ctx.process.heartbeats.beat(HEARTBEAT)
        if claimed < ctx.settings.voice_fallback_batch:
            await ctx.process.pause(ctx.settings.voice_fallback_poll_seconds)
