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
from sqlalchemy import Connection, text

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


async def truncate_all(url: str) -> None:
    """Empty every table of a migrated database and restart its sequences, as TRUNCATE ...
    RESTART IDENTITY would.

    DELETE, children first, rather than TRUNCATE: TRUNCATE gives each table and index a new file
    that PostgreSQL syncs to disk at commit, a third of a second for the whole schema (more on a
    busy disk), paid before every test; deleting the few rows a test left is a few milliseconds.
    setval is what a restart does to a sequence, without the new file."""
    db = Database(url)
    try:
        await db.write(_delete_everything)
    finally:
        await db.dispose()


def _delete_everything(conn: Connection) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        conn.execute(table.delete())
    conn.execute(text(_RESTART_SEQUENCES))


_RESTART_SEQUENCES = """
SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
FROM pg_sequences WHERE schemaname = current_schema()
"""
