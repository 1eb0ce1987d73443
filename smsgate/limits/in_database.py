"""Frequency limits counted in the database, inside the send's own transaction
(limits/repository.py holds the statements).

Exact under concurrency because the count and the insert happen under a lock on the key: SQLite
serialises write transactions; PostgreSQL takes a transaction-scoped advisory lock on the key's
hash. A send that fails later rolls its hit back with everything else.
"""

from collections.abc import Callable

from sqlalchemy import Connection

from smsgate.db import locks
from smsgate.db.engine import Database
from smsgate.errors import Code, JsmsError
from smsgate.limits import repository
from smsgate.limits.rules import RateRule
from smsgate.limits.strategy import (
    First,
    Limiter,
    Outcome,
    Sent,
    limit_detail,
    limited_keys,
)


class DatabaseLimiter(Limiter):
    """Everything of a send in one write transaction: first, build, then write (which counts)."""

    async def write_one(
        self,
        db: Database,
        first: First,
        build: Callable[[Connection], Sent],
        write: Callable[[Connection, Sent], Outcome | JsmsError],
        now_ms: int,
    ) -> Outcome | JsmsError:
        def work(conn: Connection) -> Outcome | JsmsError:
            first(conn)
            return write(conn, build(conn))

        return await db.write(work)

    async def write_batch(
        self,
        db: Database,
        first: First,
        build: Callable[[Connection], list[Sent | JsmsError]],
        write: Callable[[Connection, list[Sent | JsmsError]], list[Outcome | JsmsError]],
        now_ms: int,
    ) -> list[Outcome | JsmsError]:
        """The batch's keys are locked up front, all in one order (PostgreSQL), so two batches
        sharing numbers wait for each other instead of deadlocking."""

        def work(conn: Connection) -> list[Outcome | JsmsError]:
            first(conn)
            built = build(conn)
            locks.lock_keys(conn, sorted(set(limited_keys(built))))
            return write(conn, built)

        return await db.write(work)

    def count(self, conn: Connection, key: str, rules: tuple[RateRule, ...], now_ms: int) -> None:
        if not repository.count_hit(conn, key, rules, now_ms):
            full = repository.full_rule(conn, key, rules, now_ms)
            raise JsmsError(Code.OUT_OF_FREQ, limit_detail(key, (full,) if full else rules))

    async def close(self) -> None:
        """The database is the context's to close."""
