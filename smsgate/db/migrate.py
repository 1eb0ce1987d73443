"""Bring a database to the newest schema with Alembic."""

import contextlib
import sqlite3
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from smsgate.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed 64-bit number: serialises migrators that start together against one PostgreSQL.
_PG_MIGRATION_LOCK = 0x736D7367617465


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(db: Database) -> None:
    """Upgrade to head inside one transaction (Alembic's connection-sharing recipe)."""
    path = db.url.database
    if db.is_sqlite and path and path != ":memory:":
        _upgrade_sqlite(path)
        return
    await db.write(_upgrade)


def _upgrade_sqlite(path: str) -> None:
    """SQLite changes a table by building a new one and dropping the old: with foreign keys on,
    that drop would cascade to every row referring to it. So, as SQLite's documentation says,
    foreign keys are switched off on a connection of its own (outside any transaction), the
    whole upgrade runs in one transaction, and it commits only if every reference still holds.
    Runs before anything is served, so a short blocking wait for the lock is fine here."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.isolation_level = None  # BEGIN and COMMIT are ours, DDL included
            conn.exec_driver_sql("PRAGMA busy_timeout=5000")
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()  # SQLAlchemy's autobegun transaction; SQLite was in none
            with conn.begin():
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                _upgrade(conn)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the upgrade would break references: {broken[:5]}")
    finally:
        with contextlib.suppress(Exception):
            engine.dispose()


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


@cache
def schema_head() -> str | None:
    """The newest migration this code knows (migrations live in one line of history)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The migration the database is at; None before the first one."""
    return MigrationContext.configure(connection).get_current_revision()
