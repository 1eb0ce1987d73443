"""What a running smsgate process shares: settings, database, limiter, server key."""

import asyncio
from dataclasses import dataclass, field

from smsgate.db.engine import Database
from smsgate.limits.service import open_limiter
from smsgate.limits.strategy import Limiter
from smsgate.process_wakeup import OUTBOX, SCHEDULES, CrossProcessWakeup
from smsgate.server_key import load_server_key
from smsgate.settings import Settings
from smsgate.telemetry.process_state import ProcessState


@dataclass
class Context:
    settings: Settings
    db: Database
    limiter: Limiter
    server_key: bytes
    # Set after a send commits, so an in-process worker picks the message up at once.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when a schedule is created or changed, so an in-process scheduler looks again at once.
    schedule_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Heartbeats of the background loops, the stop signal, the delivery provider (health).
    process: ProcessState = field(default_factory=ProcessState)

    def request_stop(self) -> None:
        """Ask every background loop to finish its pass and end (SIGTERM)."""
        self.process.stopping.set()
        self.outbox_wakeup.set()
        self.schedule_wakeup.set()

    async def close(self) -> None:
        await self.limiter.close()
        await self.db.dispose()


def open_context(settings: Settings) -> Context:
    ctx = Context(
        settings=settings,
        db=Database(settings.resolved_database_url, lock_wait=settings.sqlite_lock_wait_seconds),
        limiter=open_limiter(settings.redis_url, settings.redis_prefix),
        server_key=load_server_key(settings),
    )
    if settings.wake_socket is not None and not settings.embedded_worker:
        # An API process of `smsgate serve` whose delivery runs in a process beside it.
        ctx.outbox_wakeup = CrossProcessWakeup(settings.wake_socket, OUTBOX)
        ctx.schedule_wakeup = CrossProcessWakeup(settings.wake_socket, SCHEDULES)
    return ctx
