"""The database: `await db.write(work)` and `await db.read(work)`, where `work` is a plain function
of a SQLAlchemy `Connection` that runs inside one transaction.

Transactions are written as synchronous functions so each backend can run them the fastest way:

- PostgreSQL: on the async engine (asyncpg) through `AsyncConnection.run_sync`; many transactions
  run at once and the services take the row or advisory locks they need.
- SQLite: on one connection owned by a dedicated thread. A driver that hops threads per statement
  (aiosqlite) spends most of a send waiting for hand-offs; here a whole transaction costs one
  hand-off, and transactions that queue up together are committed together (group commit), each in
  a SAVEPOINT of its own so one that fails rolls back alone. SQLite allows one writer anyway, so
  nothing is lost by running them one after another, and a transaction that reads and then writes
  (limits, quotas, codes) can never be overtaken in between.
"""

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

T = TypeVar("T")
Work = Callable[[Connection], T]
# Most transactions committed by one SQLite COMMIT.
GROUP_COMMIT_LIMIT = 256


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(normalise_database_url(url))
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._async_engine: AsyncEngine | None = None
        self._sqlite: _SqliteThread | None = None
        if self.is_sqlite:
            self._sqlite = _SqliteThread(_create_sqlite_engine(self.url.database, echo))
        else:
            self._async_engine = create_async_engine(
                self.url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True
            )

    @property
    def dialect_name(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    async def write(self, work: Work[T]) -> T:
        """Run `work` in a transaction that commits when it returns and rolls back if it raises.

        Returns only after the commit: what `work` wrote is durable when this returns.
        """
        if self._sqlite is not None:
            return await self._sqlite.submit(work)
        assert self._async_engine is not None
        async with self._async_engine.begin() as conn:
            return await conn.run_sync(work)

    async def read(self, work: Work[T]) -> T:
        """Run `work` on a consistent snapshot; it must not write."""
        if self._sqlite is not None:
            return await self._sqlite.submit(work)
        assert self._async_engine is not None
        async with self._async_engine.connect() as conn:
            return await conn.run_sync(work)

    async def dispose(self) -> None:
        if self._sqlite is not None:
            await asyncio.to_thread(self._sqlite.stop)
        if self._async_engine is not None:
            await self._async_engine.dispose()


class _Job:
    __slots__ = ("future", "work")

    def __init__(self, work: Work[Any]) -> None:
        self.work = work
        self.future: Future[Any] = Future()


class _SqliteThread:
    """One thread, one connection; queued transactions are committed in groups."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="smsgate-sqlite", daemon=True)
        self._started = False
        self._lock = threading.Lock()

    async def submit(self, work: Work[T]) -> T:
        self._ensure_started()
        job = _Job(work)
        self._queue.put(job)
        result: T = await asyncio.wrap_future(job.future)
        return result

    def _ensure_started(self) -> None:
        if not self._started:
            with self._lock:
                if not self._started:
                    self._thread.start()
                    self._started = True

    def stop(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join()
        self._engine.dispose()

    def _serve(self) -> None:
        with self._engine.connect() as conn:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < GROUP_COMMIT_LIMIT:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        self._queue.put(None)  # stop after this batch
                        break
                    batch.append(job)
                self._run_batch(conn, batch)

    def _run_batch(self, conn: Connection, batch: list[_Job]) -> None:
        """Run every job in one transaction; each job's outcome is released after COMMIT."""
        outcomes: list[tuple[_Job, bool, Any]] = []
        try:
            with conn.begin():
                if len(batch) == 1:
                    outcomes.append(_attempt(batch[0], conn))
                    if not outcomes[0][1]:
                        raise _RolledBack
                else:
                    for job in batch:
                        savepoint = conn.begin_nested()
                        outcome = _attempt(job, conn)
                        if outcome[1]:
                            savepoint.commit()
                        else:
                            savepoint.rollback()
                        outcomes.append(outcome)
        except _RolledBack:
            pass
        except Exception as error:  # the COMMIT itself failed: nothing in the batch happened
            outcomes = [(job, False, error) for job in batch]
        for job, ok, value in outcomes:
            if job.future.set_running_or_notify_cancel():
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)


class _RolledBack(Exception):
    """Unwinds a one-job transaction whose job failed."""


def _attempt(job: _Job, conn: Connection) -> tuple[_Job, bool, Any]:
    try:
        return job, True, job.work(conn)
    except Exception as error:
        return job, False, error


def normalise_database_url(url: str) -> str:
    """Plain `postgresql://` URLs get the async driver; SQLite always uses the stdlib driver."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite+aiosqlite://", "sqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _create_sqlite_engine(database: str | None, echo: bool) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{database or ':memory:'}",
        echo=echo,
        poolclass=StaticPool,
        connect_args={"check_same_thread": False, "timeout": 30},
    )
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the driver so BEGIN IMMEDIATE below is the only BEGIN.
    dbapi_connection.isolation_level = None
    with contextlib.closing(dbapi_connection.cursor()) as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL loses nothing when the process dies; only an OS crash can lose the
        # last transactions.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")


def _begin_immediate(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN, so other processes (the CLI) wait at the start
    # of a transaction instead of failing in the middle of one.
    conn.exec_driver_sql("BEGIN IMMEDIATE")
