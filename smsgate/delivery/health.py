"""Provider health in the database, so `smsgate providers status` can show it from any process.

Each worker process writes its own row per provider as soon as a provider's state changes (it
went down, came back, its breaker opened) and every few seconds for the counters; the CLI sums
the rows.
"""

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass

import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.db.engine import Database
from smsgate.delivery import repository
from smsgate.delivery.breaker import CircuitBreaker
from smsgate.delivery.repository import HealthRow

log = structlog.get_logger(__name__)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"[:64]
# A worker writes its row every few seconds; one silent for longer has stopped.
STALE_AFTER_MS = 60_000
COUNTERS = ("submitted", "accepted", "rejected", "failed")
_BEST_FIRST = ("closed", "half-open", "open", "down")
_COLUMNS = (
    "state",
    "since",
    "submitted",
    "accepted",
    "rejected",
    "failed",
    "consecutive_failures",
    "open_until",
    "last_error",
    "last_error_at",
    "updated_at",
)


def save_health(conn: Connection, breakers: dict[str, CircuitBreaker], now: int) -> None:
    rows = [
        {"provider": name, "worker": WORKER_ID, "updated_at": now}
        | {key: getattr(b.health, key) for key in _COLUMNS if key != "updated_at"}
        for name, b in breakers.items()
    ]
    if not rows:
        return
    repository.save_health_rows(conn, rows)


async def report_health(
    db: Database, breakers: dict[str, CircuitBreaker], changed: asyncio.Event, every: float
) -> None:
    """Write this worker's view of its providers now, then whenever `changed` is set and at
    least every `every` seconds, until cancelled."""
    changed.set()
    try:
        while True:
            await next_report(db, breakers, changed, every)
    finally:  # the last counts, on the way out
        with contextlib.suppress(Exception):
            await asyncio.shield(db.write(lambda conn: save_health(conn, breakers, clock.now_ms())))


async def next_report(
    db: Database, breakers: dict[str, CircuitBreaker], changed: asyncio.Event, every: float
) -> None:
    """One write, as soon as `changed` is set or after `every` seconds."""
    with contextlib.suppress(TimeoutError):
        # not wait_for: on Python 3.11 it drops a cancel that comes as `changed` is set, and
        # this loop ends only when cancelled
        async with asyncio.timeout(every):
            await changed.wait()
    changed.clear()
    try:
        await db.write(lambda conn: save_health(conn, breakers, clock.now_ms()))
    except Exception:  # health is for people; delivery goes on without it
        log.exception("saving provider health failed")


async def read_health(db: Database) -> list[HealthRow]:
    return await db.read(repository.health_rows)


@dataclass(frozen=True, slots=True)
class ProviderState:
    """A provider over the workers that run it, as the CLI and the console show it."""

    provider: str
    state: str  # closed, half-open, open, down, or "no worker"
    since: int | None
    workers: int
    counters: dict[str, int]
    last_error: str | None
    last_error_at: int | None


def provider_state(name: str, rows: list[HealthRow], now: int) -> ProviderState:
    """As in service as it is anywhere (closed, else half-open, open, down), since the last of
    those workers got there; counters summed over every worker's row."""
    mine = [r for r in rows if r.provider == name]
    live = [r for r in mine if now - r.updated_at <= STALE_AFTER_MS]
    state = min((r.state for r in live), key=_BEST_FIRST.index, default="no worker")
    since = max((r.since for r in live if r.state == state and r.since), default=None)
    latest = max(
        (r for r in mine if r.last_error_at), key=lambda r: r.last_error_at or 0, default=None
    )
    return ProviderState(
        name,
        state,
        since,
        len(live),
        {key: sum(getattr(r, key) for r in mine) for key in COUNTERS},
        latest.last_error if latest else None,
        latest.last_error_at if latest else None,
    )


async def provider_states(db: Database, names: list[str]) -> list[ProviderState]:
    rows = await read_health(db)
    now = clock.now_ms()
    return [provider_state(name, rows, now) for name in names]
