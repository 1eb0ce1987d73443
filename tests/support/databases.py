"""Test databases: the backends configured by environment, migrating, emptying, and running set-up
work on a loop of its own."""

import asyncio
import os
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from smsgate.db.engine import Database
from smsgate.db.migrate import migrate
from smsgate.db.models import Base

POSTGRES_URL_ENV = "SMSGATE_TEST_POSTGRES_URL"
REDIS_URL_ENV = "SMSGATE_TEST_REDIS_URL"
POSTGRES_URL = os.environ.get(POSTGRES_URL_ENV)
REDIS_URL = os.environ.get(REDIS_URL_ENV)

_dropping = ThreadPoolExecutor(2, thread_name_prefix="drop-database")
_drops: list[Future[None]] = []


def run_apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up work on a loop of its own thread: fixtures may be set up while a test's event
    loop is running in this thread."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def postgres_execute(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE / DROP DATABASE need that)."""
    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def create_postgres_database(admin_url: str, name: str) -> None:
    """A new database whose sessions commit without waiting for the WAL to reach the disk.

    Tests never survive a crash of the PostgreSQL server itself (the e2e tests kill smsgate,
    not PostgreSQL), so durability is of no use to them, while waiting for a flush at every
    commit is most of a write's time on a busy disk. What a transaction sees, locks and
    conflicts with stays exactly as it is."""
    await postgres_execute(
        admin_url,
        f'CREATE DATABASE "{name}"',
        f'ALTER DATABASE "{name}" SET synchronous_commit = off',
    )


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def new_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, uniquely named database on the server of `admin_url`; dropped afterwards even if a
    killed server left sessions on it.

    The drop runs on a thread of its own while the tests go on: PostgreSQL checkpoints for each
    DROP DATABASE, which takes seconds when the disk is busy. `finish_drops()` waits for them."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    run_apart(create_postgres_database(admin_url, name))
    try:
        yield with_database(admin_url, name)
    finally:
        drop = postgres_execute(
            admin_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
            f'DROP DATABASE IF EXISTS "{name}"',
        )
        _drops.append(_dropping.submit(asyncio.run, drop))


def finish_drops() -> None:
    """Wait for the databases still being dropped; a drop that failed fails here."""
    while _drops:
        _drops.pop().result()


async def migrate_url(url: str) -> None:
    db = Database(url)
    try:
        await migrate(db)
    finally:
        await db.dispose()


async def keep_autovacuum_away(url: str) -> None:
    """No autovacuum on the tables of a test database: it would make the space of rows deleted
    by `empty_all_tables` reusable at a moment of its own, and later rows would be stored, and
    scanned, out of the order they were written."""
    connection = await asyncpg.connect(url)
    try:
        for table in Base.metadata.sorted_tables:
            await connection.execute(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = off)')
    finally:
        await connection.close()


async def empty_all_tables(url: str) -> None:
    """Every table of a migrated database as a new one is to the code under test: no rows,
    sequences restarted, rows stored and scanned in the order they are written, and the
    planner's estimates those of a table never filled (rows of equal sort keys, such as two
    events of one millisecond, come back in the order a new table gives them).

    TRUNCATE ... RESTART IDENTITY gives all that, but it gives each of the schema's tables and
    indexes a new file: a quarter of a second, mostly in the kernel, before every test. DELETE
    takes milliseconds and, with autovacuum kept away, leaves the deleted rows' space unused, so
    new rows go after them in the order written. The planner takes a table that has never been
    vacuumed for at least ten pages and reads an index's real size, so the leftovers change
    nothing until a table outgrows ten pages or an index its first leaf page: only then is a
    TRUNCATE due."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            if await connection.fetchval(_OUTGROWN):
                await connection.execute(_TRUNCATE)
            else:
                for table in reversed(Base.metadata.sorted_tables):
                    await connection.execute(f'DELETE FROM "{table.name}"')
            await connection.execute(_RESTART_SEQUENCES)
    finally:
        await connection.close()


_OUTGROWN = """
SELECT EXISTS (
    SELECT FROM pg_class
    WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'i')
      AND pg_relation_size(oid) / current_setting('block_size')::int
          > CASE relkind WHEN 'r' THEN 10 ELSE 2 END
)
"""
_TRUNCATE = (
    "TRUNCATE "
    + ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    + " RESTART IDENTITY CASCADE"
)
_RESTART_SEQUENCES = """
SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
FROM pg_sequences WHERE schemaname = current_schema()
"""


class Abandoned(Exception):
    """Raised inside a transaction to see what a rollback leaves."""
