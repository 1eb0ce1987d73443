"""Group commit on SQLite: transactions that queue up together commit together, and one that
fails takes nothing of the others with it, whether it failed before writing or half-way. And
another process holding the write lock: reads go on, writes wait without stopping the loop, for
a bounded time."""

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from smsgate.db import engine
from smsgate.db.engine import Database, DatabaseBusy


@pytest.fixture
def lock_wait() -> float:
    return 5.0


@pytest.fixture
async def db(tmp_path: Path, lock_wait: float) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'engine.db'}", lock_wait=lock_wait)
    await database.write(lambda c: c.exec_driver_sql("CREATE TABLE t (v INTEGER UNIQUE)"))
    yield database
    await database.dispose()


def insert(value: int) -> Callable[[Connection], int]:
    def work(conn: Connection) -> int:
        conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
        return value

    return work


def fail_after_writing(value: int) -> Callable[[Connection], int]:
    def work(conn: Connection) -> int:
        conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
        raise RuntimeError("half-way")

    return work


def refuse(_conn: Connection) -> int:
    raise LookupError("refused before writing")


async def stored(db: Database) -> list[int]:
    query = "SELECT v FROM t ORDER BY v"
    return await db.read(lambda c: [row[0] for row in c.exec_driver_sql(query)])


@pytest.mark.parametrize("failing", [fail_after_writing(99), refuse])
async def test_a_failing_job_takes_nothing_of_the_others(
    db: Database, failing: Callable[[Connection], int]
) -> None:
    jobs = [insert(1), insert(2), failing, insert(3)]
    results = await asyncio.gather(*(db.write(job) for job in jobs), return_exceptions=True)
    assert results[:2] == [1, 2] and results[3] == 3
    assert isinstance(results[2], RuntimeError | LookupError)
    assert await stored(db) == [1, 2, 3]  # 99 was rolled back with its job


async def test_a_constraint_violation_fails_one_job_only(db: Database) -> None:
    await db.write(insert(5))
    results = await asyncio.gather(
        db.write(insert(6)), db.write(insert(5)), db.write(insert(7)), return_exceptions=True
    )
    assert results[0] == 6 and results[2] == 7
    assert "UNIQUE" in str(results[1])
    assert await stored(db) == [5, 6, 7]


async def test_jobs_queued_together_share_one_transaction(db: Database) -> None:
    """Each job sees the ones before it in its batch, and they all land."""
    seen: list[int] = []

    def count_then_insert(value: int) -> Callable[[Connection], int]:
        def work(conn: Connection) -> int:
            seen.append(conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one())
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
            return value

        return work

    await asyncio.gather(*(db.write(count_then_insert(v)) for v in range(10)))
    assert seen == list(range(10))
    assert await stored(db) == list(range(10))


async def test_fast_insert_writes_what_sqlalchemy_would(db: Database) -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

    from smsgate.db.inserts import FastInsert

    rows = Table(
        "rows", MetaData(), Column("n", Integer), Column("s", String), Column("x", Integer)
    )
    await db.write(lambda c: c.exec_driver_sql("CREATE TABLE rows (n INTEGER, s TEXT, x INTEGER)"))
    fast = FastInsert(rows, ("s", "x", "n"))  # any order of names
    values = {"n": 1, "s": "短信", "x": None}
    await db.write(lambda c: fast.execute(c, values))
    await db.write(lambda c: c.execute(insert(rows), {**values, "n": 2}))
    found = await db.read(lambda c: [tuple(r) for r in c.execute(select(rows).order_by(rows.c.n))])
    assert found == [(1, "短信", None), (2, "短信", None)]


def test_fast_insert_refuses_a_column_default_it_would_not_know() -> None:
    from smsgate.db.inserts import FastInsert
    from smsgate.db.models import Message, table

    with pytest.raises(ValueError, match="default"):
        FastInsert(table(Message), ("id", "app_id"))  # quota_units has a default


# --- another process holds the write lock -------------------------------------------------------


@pytest.fixture
def other_writer(db: Database, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would be) that holds the write lock, with a row
    of its own not yet committed."""
    other = sqlite3.connect(tmp_path / "engine.db", isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES (42)")
    try:
        yield other
    finally:
        with contextlib.suppress(sqlite3.Error):
            other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Set when a transaction of ours found the write lock taken."""
    refused = asyncio.Event()
    begin = engine._begin_immediate

    def watched(conn: Connection) -> None:
        try:
            begin(conn)
        except Exception:
            refused.set()
            raise

    monkeypatch.setattr(engine, "_begin_immediate", watched)
    return refused


async def test_reads_answer_and_writes_wait_while_another_process_holds_the_lock(
    db: Database, other_writer: sqlite3.Connection, refusals: asyncio.Event
) -> None:
    write = asyncio.create_task(db.write(insert(1)))
    await refusals.wait()  # our write has met the lock (and the loop goes on)
    assert await stored(db) == []  # a read answers now, the lock still held
    assert not write.done()
    other_writer.execute("COMMIT")  # the lock goes
    assert await write == 1
    assert await stored(db) == [1, 42]


@pytest.mark.parametrize("lock_wait", [0.05])
async def test_a_write_that_waits_past_the_bound_fails_cleanly(
    db: Database, other_writer: sqlite3.Connection, refusals: asyncio.Event
) -> None:
    """The bound is 50 ms here; the write gives up with 50019 and leaves nothing behind, and
    the next one goes through once the lock is free."""
    with pytest.raises(DatabaseBusy) as refused:
        await db.write(insert(7))
    assert refused.value.code == 50019
    assert refusals.is_set()
    assert await stored(db) == []  # while the lock is still held
    other_writer.execute("ROLLBACK")
    assert await db.write(insert(8)) == 8
    assert await stored(db) == [8]


async def test_a_read_cannot_write(db: Database) -> None:
    with pytest.raises(Exception, match=r"readonly|read-only|query_only"):
        await db.read(insert(3))
    assert await stored(db) == []
