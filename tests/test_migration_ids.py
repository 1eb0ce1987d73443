"""Migration 0009 on a SQLite database with data: tables are rebuilt with AUTOINCREMENT without
losing a row (no cascade from the rebuilt parents), and ids still named elsewhere stay taken."""

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import Connection

from smsgate.db.engine import Database
from smsgate.db.migrate import alembic_config, migrate

ROWS = [
    "INSERT INTO apps (id, app_key, secret_hash, name, sms_enabled, created_at, blocked)"
    " VALUES (1, 'k', 'h', 'n', 1, 0, 0)",
    "INSERT INTO templates (id, app_id, type, template, ttl, remark, status, created_at,"
    " updated_at) VALUES (1, 1, 2, 't', 0, '', 1, 0, 0), (3, 1, 2, 't', 0, '', 1, 0, 0)",
    "INSERT INTO signs (id, app_id, sign, remark, status, is_default, created_at)"
    " VALUES (1, 1, 's', '', 1, 1, 0)",
    "INSERT INTO sign_images (id, sign_id, position, file_name, media_type, size, created_at)"
    " VALUES (1, 1, 0, 'f.png', 'image/png', 1, 0)",
    "INSERT INTO schedules (id, app_id, kind, temp_id, sign_id, recipients, send_at, status,"
    " version, created_at, updated_at)"
    " VALUES ('s', 1, 'single', 7, 5, '[]', 0, 'pending', 1, 0, 0)",
    "DELETE FROM templates WHERE id = 3",  # the newest: without AUTOINCREMENT, 3 comes back
]


def upgrade_to_0008(conn: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, "0008_delivery_routing")


async def test_rebuilding_keeps_every_row_and_every_id_still_named(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}")
    await db.write(upgrade_to_0008)
    await db.dispose()
    with sqlite3.connect(path, isolation_level=None) as old:
        old.execute("PRAGMA foreign_keys=ON")
        for statement in ROWS:
            old.execute(statement)
    db = Database(f"sqlite:///{path}")
    try:
        await migrate(db)
    finally:
        await db.dispose()
    upgraded = sqlite3.connect(path, isolation_level=None)
    try:
        counts = [
            upgraded.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("apps", "templates", "signs", "sign_images", "schedules")
        ]
        assert counts == [1, 1, 1, 1, 1]
        upgraded.execute("PRAGMA foreign_keys=ON")
        upgraded.execute(
            "INSERT INTO templates (app_id, type, template, ttl, remark, status, created_at,"
            " updated_at) VALUES (1, 2, 'new', 0, '', 1, 0, 0)"
        )
        upgraded.execute(
            "INSERT INTO signs (app_id, sign, remark, status, is_default, created_at)"
            " VALUES (1, 'n', '', 0, 0, 0)"
        )
        ids = upgraded.execute(
            "SELECT (SELECT max(id) FROM templates), (SELECT max(id) FROM signs)"
        ).fetchone()
        assert ids == (8, 6)  # above the schedule's temp_id 7 and sign_id 5
    finally:
        upgraded.close()
