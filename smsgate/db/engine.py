"""The database: `await db.write(work)` and `await db.read(work)`, where `work` is a plain function
of a SQLAlchemy `Connection` that runs inside one transaction.

Transactions are written as synchronous functions so each backend can run them the fastest way:

- PostgreSQL: on the async engine (asyncpg) through `AsyncConnection.run_sync`; many transactions
  run at once and the services take the row or advisory locks they need. A write transaction's
  INSERTs are sent together with its next statement (db/write_queue.py).
- SQLite: writes on one connection, on the event loop's own thread. Transactions that queue up
  while the loop is busy are committed together at its next turn (group commit); one that fails
  rolls back alone. SQLite allows one writer anyway, so nothing is lost by running them one after
  another, and a transaction that reads and then writes (limits, quotas, codes) can never be
  overtaken in between. docs/decisions.md says why this beats a driver that hops threads per
  statement (aiosqlite) or a thread of our own. Reads run at once on a second connection: in WAL
  mode a reader never waits for a writer. The loop never waits for a lock either: when another
  process holds the write lock, BEGIN fails at once (busy_timeout 0) and the queued
  transactions are tried again after a growing pause, for at most `lock_wait` seconds, after
  which each fails with DatabaseBusy (50019) having written nothing.
"""

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from smsgate.db import driver
from smsgate.db.checkpoints import WalCheckpointer
from smsgate.errors import Code, JsmsError

T = TypeVar("T")
Work = Callable[[Connection], T]
# Most transactions committed by one SQLite COMMIT.
GROUP_COMMIT_LIMIT = 256
# Pauses between tries while another process holds SQLite's lock: doubling from the first.
FIRST_PAUSE, LONGEST_PAUSE = 0.002, 0.05
DEFAULT_LOCK_WAIT = 5.0
# PostgreSQL connections per process: a send holds one for its one transaction.
POOL_SIZE, POOL_OVERFLOW = 10, 10


class DatabaseBusy(JsmsError):
    """Another process held SQLite's write lock for longer than the wait allows; nothing of the
    transaction was written."""

    def __init__(self, waited: float) -> None:
        super().__init__(
            Code.SERVER_ERROR, f"the database was locked by another process for {waited:g} s"
        )


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, lock_wait: float = DEFAULT_LOCK_WAIT
    ) -> None:
        self.url = make_url(normalise_database_url(url))
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._async_engine: AsyncEngine | None = None
        self._read_engine: AsyncEngine | None = None
        self._sqlite: _SqliteInline | None = None
        self._sqlite_reads: _SqliteReads | None = None
        if self.is_sqlite:
            database = self.url.database
            engine = _create_sqlite_engine(database, echo)
            self._sqlite = _SqliteInline(engine, database, lock_wait)
            if database and database != ":memory:":  # a second in-memory connection is another db
                self._sqlite_reads = _SqliteReads(_create_sqlite_engine(database, echo), lock_wait)
        else:
            self._async_engine = create_async_engine(
                self.url,
                echo=echo,
                pool_size=POOL_SIZE,
                max_overflow=POOL_OVERFLOW,
                # No pre-ping: on asyncpg it is BEGIN, a query and ROLLBACK, three round trips
                # on every checkout. A connection the server dropped fails its transaction
                # once instead, and SQLAlchemy then replaces every pooled connection.
                pool_pre_ping=False,
                hide_parameters=True,  # errors and echo never show numbers, texts or codes
            )
            # Reads without BEGIN and ROLLBACK (two round trips each): under READ COMMITTED,
            # PostgreSQL's default, each statement has its own snapshot either way.
            self._read_engine = self._async_engine.execution_options(isolation_level="AUTOCOMMIT")
            # A write transaction's queued INSERTs go before any statement SQLAlchemy runs.
            event.listen(
                self._async_engine.sync_engine, "before_cursor_execute", driver.send_queued_writes
            )

    async def write(self, work: Work[T]) -> T:
        """Run `work` in a transaction that commits when it returns and rolls back if it raises.

        Returns only after the commit: what `work` wrote is durable when this returns.
        """
        if self._sqlite is not None:
            return await self._sqlite.submit(work)
        assert self._async_engine is not None
        async with self._async_engine.begin() as conn:
            return await conn.run_sync(driver.with_queued_writes(work))

    async def read(self, work: Work[T]) -> T:
        """Run `work`, which must not write: on SQLite on one snapshot; on PostgreSQL each
        statement on its own (READ COMMITTED, without a transaction around them)."""
        if self._sqlite_reads is not None:
            return await self._sqlite_reads.run(work)
        if self._sqlite is not None:
            return await self._sqlite.submit(work)
        assert self._read_engine is not None
        async with self._read_engine.connect() as conn:
            return await conn.run_sync(work)

    async def dispose(self) -> None:
        if self._sqlite_reads is not None:
            self._sqlite_reads.stop()
        if self._sqlite is not None:
            self._sqlite.stop()
        if self._async_engine is not None:
            await self._async_engine.dispose()


class _SqliteInline:
    """One connection used from the event loop's own thread; queued transactions are committed
    in groups.

    SQLite work is short CPU work under the GIL: running it on another thread would not run it in
    parallel, only add a hand-off and GIL contention per transaction. Jobs queued while the loop
    is busy run together in one transaction at the next turn of the loop (group commit). While
    another process holds the write lock, the jobs wait in the queue, not in SQLite, so the loop
    goes on serving everything else.
    """

    def __init__(self, engine: Engine, path: str | None, lock_wait: float) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._pending: list[_Job] = []
        self._flush_scheduled = False
        self._pause = 0.0
        self._lock_wait = lock_wait
        self._checkpointer = WalCheckpointer(path) if path and path != ":memory:" else None

    async def submit(self, work: Work[T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        job = _Job(work, future, loop.time() + self._lock_wait, contextvars.copy_context())
        self._pending.append(job)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def stop(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()

    def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        self._flush_scheduled = False
        batch, self._pending = (
            self._pending[:GROUP_COMMIT_LIMIT],
            self._pending[GROUP_COMMIT_LIMIT:],
        )
        if self._conn is None:
            self._conn = self._engine.connect()
            if self._checkpointer is not None:
                self._checkpointer.start()
        outcomes, locked_out = _run_batch(self._conn, batch)
        for future, ok, value in outcomes:
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        waiting = self._give_up_on_expired(locked_out, loop.time())
        self._pending[:0] = waiting  # they keep their place before anything queued since
        self._pause = min(max(self._pause * 2, FIRST_PAUSE), LONGEST_PAUSE) if waiting else 0.0
        if self._pending:
            self._flush_scheduled = True
            loop.call_later(self._pause, self._flush)

    def _give_up_on_expired(self, locked_out: list["_Job"], now: float) -> list["_Job"]:
        """Jobs the lock kept out past their wait fail with DatabaseBusy; the rest wait on."""
        waiting = []
        for job in locked_out:
            if job.deadline > now:
                waiting.append(job)
            elif not job.future.cancelled():
                job.future.set_exception(DatabaseBusy(self._lock_wait))
        return waiting


class _SqliteReads:
    """Reads on a connection of their own, run at once on the loop's thread: in WAL mode a
    reader sees the last commit and never waits for a writer. `query_only` makes a write
    attempted here fail instead of taking the write lock."""

    def __init__(self, engine: Engine, lock_wait: float) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._lock_wait = lock_wait

    async def run(self, work: Work[T]) -> T:
        if self._conn is None:
            self._conn = self._engine.connect()
            self._conn.exec_driver_sql("PRAGMA query_only=ON")
            self._conn.commit()  # ends SQLAlchemy's autobegun transaction, not a SQLite one
        deadline = asyncio.get_running_loop().time() + self._lock_wait
        pause = FIRST_PAUSE
        while True:
            try:
                with self._conn.begin():
                    self._conn.exec_driver_sql("BEGIN")  # one snapshot for the whole of `work`
                    return work(self._conn)
            except OperationalError as error:  # only a checkpoint that truncates locks readers
                if not _is_busy(error):
                    raise
                if asyncio.get_running_loop().time() >= deadline:
                    raise DatabaseBusy(self._lock_wait) from error
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


class _Job:
    __slots__ = ("context", "deadline", "future", "work")

    def __init__(
        self,
        work: Work[Any],
        future: "asyncio.Future[Any]",
        deadline: float,
        context: contextvars.Context,
    ) -> None:
        self.work = work
        self.future = future
        self.deadline = deadline  # the loop's time after which the lock is waited for no longer
        # The submitter's context variables (its request id for log lines and the message
        # story): a group runs in the first submitter's context, each job in its own.
        self.context = context


Outcome = tuple["asyncio.Future[Any]", bool, Any]


class _LockedOut(Exception):
    """BEGIN IMMEDIATE found the write lock taken by another process."""


def _run_batch(conn: Connection, batch: list[_Job]) -> tuple[list[Outcome], list[_Job]]:
    """Run the jobs in one transaction with one COMMIT; outcomes are released only after it.
    Also returns the jobs that did not run because another process held the write lock.

    A job that fails without having changed anything (a refused send: its checks come before its
    writes) just fails. A job that fails after writing would leave half its work in the batch, so
    then the batch is rolled back and every job re-run in a transaction of its own. (A SAVEPOINT
    per job would do the same at two more statements for every job.)
    """
    try:
        if len(batch) > 1:
            outcomes = _run_together(conn, batch)
            if outcomes is not None:
                return outcomes, []
        alone: list[Outcome] = []
        for index, job in enumerate(batch):
            try:
                alone.append(_run_alone(conn, job))
            except _LockedOut:
                return alone, batch[index:]
        return alone, []
    except _LockedOut:
        return [], batch


def _run_together(conn: Connection, batch: list[_Job]) -> list[Outcome] | None:
    """The batch's outcomes, or None when a job failed half-way and all was rolled back."""
    driver = conn.connection.driver_connection  # sqlite3: total_changes counts rows written
    assert driver is not None
    outcomes: list[Outcome] = []
    try:
        with conn.begin():
            _begin_immediate(conn)
            for job in batch:
                written = driver.total_changes
                outcome = _attempt(job, conn)
                if not outcome[1] and driver.total_changes != written:
                    raise _RolledBack
                outcomes.append(outcome)
    except (_RolledBack, _LockedOut) as stop:
        if isinstance(stop, _LockedOut):
            raise
        return None
    except Exception as error:  # the COMMIT itself failed: nothing in the batch happened
        return [(job.future, False, error) for job in batch]
    return outcomes


def _run_alone(conn: Connection, job: _Job) -> Outcome:
    try:
        with conn.begin():
            _begin_immediate(conn)
            outcome = _attempt(job, conn)
            if not outcome[1]:
                raise _RolledBack
    except _RolledBack:
        pass
    except _LockedOut:
        raise
    except Exception as error:  # the COMMIT itself failed
        return job.future, False, error
    return outcome


def _begin_immediate(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN, so another process (the CLI) makes us wait at the
    # start of a transaction instead of failing in the middle of one; with busy_timeout 0 it
    # says so at once and the jobs wait in the queue. Emitted here rather than from a "begin"
    # event: any engine event listener slows every statement.
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as error:
        if _is_busy(error):
            raise _LockedOut from error
        raise


def _is_busy(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class _RolledBack(Exception):
    """Unwinds a transaction whose job failed, so that nothing of it is committed."""


def _attempt(job: _Job, conn: Connection) -> Outcome:
    try:
        return job.future, True, job.context.run(job.work, conn)
    except Exception as error:
        return job.future, False, error


def normalise_database_url(url: str) -> str:
    """Plain `postgresql://` URLs get the async driver; SQLite always uses the stdlib driver."""
    for plain, with_driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite+aiosqlite://", "sqlite://"),
    ):
        if url.startswith(plain):
            return with_driver + url[len(plain) :]
    return url


def _create_sqlite_engine(database: str | None, echo: bool) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{database or ':memory:'}",
        echo=echo,
        hide_parameters=True,  # errors and echo never show numbers, texts or codes
        poolclass=StaticPool,
        connect_args={"check_same_thread": False, "timeout": 0},
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
        # Never wait inside SQLite: that would stop the event loop. A locked database is waited
        # for in the queue (_SqliteInline), for at most `lock_wait` seconds.
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Checkpoints normally come from smsgate's checkpoint thread (db/checkpoints.py).
        cursor.execute("PRAGMA wal_autocheckpoint=20000")
