"""Liveness and readiness of one smsgate process (`/healthz`, `/readyz`).

Ready means: the database answers, its schema is at the newest migration, every background loop
this process runs has completed a first pass and beaten its heart recently (a loop that died or
hangs in one pass stops beating), a delivery provider is configured, and the process is not
stopping. Each loop calls `heartbeats.beat(name)` once per pass; a pass that waits for work
still beats at least every poll interval, so only a stuck or dead loop falls behind. The state
read here lives below every loop, in telemetry/process_state.py.
"""

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from smsgate.db.engine import Database
from smsgate.db.migrate import current_revision, schema_head
from smsgate.telemetry.process_state import ProcessState

DATABASE_TIMEOUT_SECONDS = 2.0


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
