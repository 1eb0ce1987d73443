"""The database: `await db.write(work)` and `await db.read(work)`, where `work` is a plain function
of a SQLAlchemy `Connection` that runs inside one transaction.

Transactions are written as synchronous functions so each backend can run them the fastest way:

- PostgreSQL: on the async engine (asyncpg) through `AsyncConnection.run_sync`; many transactions
  run at once and the services take the row or advisory locks they need.
- SQLite: on one connection, on the event loop's own thread. Transactions that queue up while the
  loop is busy are committed together at its next turn (group commit), each in a SAVEPOINT of its
  own so one that fails rolls back alone. SQLite allows one writer anyway, so nothing is lost by
  running them one after another, and a transaction that reads and then writes (limits, quotas,
  codes) can never be overtaken in between. docs/decisions.md says why this beats a driver that
  hops threads per statement (aiosqlite) or a thread of our own.
"""

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
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
        self._sqlite: _SqliteInline | None = None
        if self.is_sqlite:
            database = self.url.database
            self._sqlite = _SqliteInline(_create_sqlite_engine(database, echo), database)
        else:
            self._async_engine = create_async_engine(
                self.url,
                echo=echo,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
                hide_parameters=True,  # errors and echo never show numbers, texts or codes
            )

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
            self._sqlite.stop()
        if self._async_engine is not None:
            await self._async_engine.dispose()


class _SqliteInline:
    """One connection used from the event loop's own thread; queued transactions are committed
    in groups.

    SQLite work is short CPU work under the GIL: running it on another thread would not run it in
    parallel, only add a hand-off and GIL contention per transaction. Jobs queued while the loop
    is busy run together in one transaction at the next turn of the loop (group commit).
    """

    def __init__(self, engine: Engine, path: str | None) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._pending: list[tuple[Work[Any], asyncio.Future[Any]]] = []
        self._checkpointer = _Checkpointer(path) if path and path != ":memory:" else None

    async def submit(self, work: Work[T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((work, future))
        return await future

    def stop(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()

    def _flush(self) -> None:
        batch, self._pending = (
            self._pending[:GROUP_COMMIT_LIMIT],
            self._pending[GROUP_COMMIT_LIMIT:],
        )
        if self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        if self._conn is None:
            self._conn = self._engine.connect()
            if self._checkpointer is not None:
                self._checkpointer.start()
        for future, ok, value in _run_batch(self._conn, batch):
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class _Checkpointer:
    """Copies the WAL back into the database file from a thread of its own.

    By default SQLite does it inside whichever COMMIT pushes the WAL past 1000 pages, with an
    fsync: on the event loop that is a stall every few thousand sends. Here it runs every
    `interval` seconds in PASSIVE mode (it never blocks a writer) with the GIL released; the
    connections' own automatic checkpoint stays as a far-off safety net.
    """

    def __init__(self, path: str, interval: float = 1.0) -> None:
        self._path = path
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smsgate-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stopping.set()
            self._thread.join()

    def _run(self) -> None:
        with contextlib.closing(sqlite3.connect(self._path, timeout=5)) as conn:
            while not self._stopping.wait(self._interval):
                with contextlib.suppress(sqlite3.Error):  # busy now: the next round will do
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


Outcome = tuple["asyncio.Future[Any]", bool, Any]


def _run_batch(
    conn: Connection, batch: list[tuple[Work[Any], "asyncio.Future[Any]"]]
) -> list[Outcome]:
    """Run the jobs in one transaction with one COMMIT; outcomes are released only after it.

    A job that fails without having changed anything (a refused send: its checks come before its
    writes) just fails. A job that fails after writing would leave half its work in the batch, so
    then the batch is rolled back and every job re-run in a transaction of its own. (A SAVEPOINT
    per job would do the same at two more statements for every job.)
    """
    if len(batch) > 1:
        outcomes = _run_together(conn, batch)
        if outcomes is not None:
            return outcomes
    return [_run_alone(conn, work, future) for work, future in batch]


def _run_together(
    conn: Connection, batch: list[tuple[Work[Any], "asyncio.Future[Any]"]]
) -> list[Outcome] | None:
    """The batch's outcomes, or None when a job failed half-way and all was rolled back."""
    driver = conn.connection.driver_connection  # sqlite3: total_changes counts rows written
    assert driver is not None
    outcomes: list[Outcome] = []
    try:
        with conn.begin():
            _begin_immediate(conn)
            for work, future in batch:
                written = driver.total_changes
                outcome = _attempt(work, future, conn)
                if not outcome[1] and driver.total_changes != written:
                    raise _RolledBack
                outcomes.append(outcome)
    except _RolledBack:
        return None
    except Exception as error:  # the COMMIT itself failed: nothing in the batch happened
        return [(future, False, error) for _work, future in batch]
    return outcomes


def _run_alone(conn: Connection, work: Work[Any], future: "asyncio.Future[Any]") -> Outcome:
    try:
        with conn.begin():
            _begin_immediate(conn)
            outcome = _attempt(work, future, conn)
            if not outcome[1]:
                raise _RolledBack
    except _RolledBack:
        pass
    except Exception as error:  # the COMMIT itself failed
        return future, False, error
    return outcome


def _begin_immediate(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN, so another process (the CLI) makes us wait at the
    # start of a transaction instead of failing in the middle of one. Emitted here rather than
    # from a "begin" event: any engine event listener slows every statement.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class _RolledBack(Exception):
    """Unwinds a transaction whose job failed, so that nothing of it is committed."""


def _attempt(work: Work[Any], future: "asyncio.Future[Any]", conn: Connection) -> Outcome:
    try:
        return future, True, work(conn)
    except Exception as error:
        return future, False, error


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
        hide_parameters=True,  # errors and echo never show numbers, texts or codes
        poolclass=StaticPool,
        connect_args={"check_same_thread": False, "timeout": 5},
    )
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the driver: _run_batch emits BEGIN IMMEDIATE itself.
    dbapi_connection.isolation_level = None
    with contextlib.closing(dbapi_connection.cursor()) as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL loses nothing when the process dies; only an OS crash can lose the
        # last transactions.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Another process (the CLI) holds the write lock for milliseconds at most.
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Checkpoints normally come from smsgate's checkpoint thread (see _Checkpointer).
        cursor.execute("PRAGMA wal_autocheckpoint=20000")
