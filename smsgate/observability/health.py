"""Liveness and readiness of one smsgate process (`/healthz`, `/readyz`).

Ready means: the database answers, its schema is at the newest migration, every background loop
this process runs has completed a first pass and beaten its heart recently (a loop that died or
hangs in one pass stops beating), a delivery provider is configured, and the process is not
stopping. Each loop calls `heartbeats.beat(name)` once per pass; a pass that waits for work
still beats at least every poll interval, so only a stuck or dead loop falls behind.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smsgate.db.engine import Database
from smsgate.db.migrate import current_revision, schema_head
from smsgate.delivery.providers.base import Provider

DATABASE_TIMEOUT_SECONDS = 2.0


class Heartbeats:
    """When each background loop last completed a pass, on a monotonic clock (injectable)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._beats: dict[str, float] = {}
        self._expected: set[str] = set()

    def expect(self, *loops: str) -> None:
        """Loops this process starts: until each has beaten once, the process is not ready
        (its first pass may wait on the database or on a provider's bind)."""
        self._expected.update(loops)

    def beat(self, loop: str) -> None:
        self._beats[loop] = self._monotonic()

    def not_started(self) -> list[str]:
        """Expected loops that have not completed a first pass."""
        return sorted(self._expected - self._beats.keys())

    def ages(self) -> dict[str, float]:
        """Seconds since each loop's last beat."""
        now = self._monotonic()
        return {loop: now - at for loop, at in sorted(self._beats.items())}


@dataclass
class ProcessState:
    """What this process runs, for readiness and the scrape-time metrics."""

    heartbeats: Heartbeats = field(default_factory=Heartbeats)
    # Set on SIGTERM: loops finish their pass and end; readiness turns false at once.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # The delivery provider (a router, or the sandbox) when this process delivers.
    provider: Provider | None = None

    async def pause(self, seconds: float) -> None:
        """Sleep between passes, waking early when the process is asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    checks: dict[str, dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "checks": self.checks}


async def readiness(db: Database, state: ProcessState, stuck_after_seconds: float) -> Readiness:
    checks = {
        "database": await _database(db),
        "loops": _loops(state, stuck_after_seconds),
        "providers": _providers(state),
        "process": {"ok": not state.stopping.is_set()}
        | ({"reason": "stopping"} if state.stopping.is_set() else {}),
    }
    return Readiness(all(check["ok"] for check in checks.values()), checks)


async def _database(db: Database) -> dict[str, Any]:
    """Reachable and at the newest migration; the reason names the failure's type only (its
    text may carry host names or user names)."""
    path = db.url.database
    if db.is_sqlite and path and path != ":memory:" and not os.path.isfile(path):  # noqa: ASYNC240 (a stat)
        return {"ok": False, "reason": "database file missing"}
    try:
        revision = await asyncio.wait_for(db.read(current_revision), DATABASE_TIMEOUT_SECONDS)
    except TimeoutError:
        return {"ok": False, "reason": f"no answer in {DATABASE_TIMEOUT_SECONDS:g} s"}
    except Exception as error:
        return {"ok": False, "reason": f"unreachable: {type(error).__name__}"}
    head = schema_head()
    if revision != head:
        return {"ok": False, "reason": "schema not at head", "revision": revision, "head": head}
    return {"ok": True, "revision": revision}


def _loops(state: ProcessState, stuck_after_seconds: float) -> dict[str, Any]:
    ages = state.heartbeats.ages()
    stuck = sorted(loop for loop, age in ages.items() if age > stuck_after_seconds)
    starting = state.heartbeats.not_started()
    check: dict[str, Any] = {
        "ok": not stuck and not starting,
        "age_seconds": {k: round(v, 3) for k, v in ages.items()},
    }
    reasons = [f"no heartbeat for {stuck_after_seconds:g} s: {', '.join(stuck)}"] if stuck else []
    reasons += [f"no first pass yet: {', '.join(starting)}"] if starting else []
    if reasons:
        check["reason"] = "; ".join(reasons)
    return check


def _providers(state: ProcessState) -> dict[str, Any]:
    """Only a process that delivers needs providers; an API-only process passes."""
    if state.provider is None:
        return {"ok": True, "delivering": False}
    names = sorted(getattr(state.provider, "providers", {state.provider.name: None}))
    return {"ok": bool(names), "delivering": True, "names": names}
