"""Bring a database to the newest schema with Alembic."""

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

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
    await db.write(_upgrade)


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
