"""Queries on templates (built once: see apps/repository.py)."""

from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from smsgate.db.models import Template, table
from smsgate.db.review_queue import rows_for_review
from smsgate.db.selects import FastSelect

TEMPLATES = table(Template)
_INSERT = insert(TEMPLATES).returning(TEMPLATES.c.id)
_SENDABLE_COLUMNS = (
    "id",
    "app_id",
    "type",
    "template",
    "ttl",
    "status",
    "voice_fallback_after",
    "voice_fallback_lang",
)
_FOR_SEND = FastSelect(
    select(*(TEMPLATES.c[name] for name in _SENDABLE_COLUMNS)).where(
        TEMPLATES.c.id == bindparam("temp_id")
    )
)


def insert_template(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(_INSERT, values).scalar_one())


def find_template_for_send(conn: Connection, temp_id: int) -> Row[Any] | None:
    """What a send needs of a template: owner, type, text, ttl and review status."""
    found: Row[Any] | None = _FOR_SEND.first(conn, {"temp_id": temp_id})
    return found


def set_review(conn: Connection, temp_id: int, status: int, reason: str | None, now: int) -> bool:
    result = conn.execute(
        update(TEMPLATES)
        .where(TEMPLATES.c.id == temp_id)
        .values(status=status, refuse_reason=reason, updated_at=now)
    )
    return result.rowcount == 1


def find_app_template(
    conn: Connection, app_id: int, temp_id: int, *, for_update: bool = False
) -> Row[Any] | None:
    """The template if it belongs to the app: another app's is as good as none."""
    query = select(TEMPLATES).where(TEMPLATES.c.id == temp_id, TEMPLATES.c.app_id == app_id)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).first()


def find_template(conn: Connection, temp_id: int) -> Row[Any] | None:
    return conn.execute(select(TEMPLATES).where(TEMPLATES.c.id == temp_id)).first()


def update_template(conn: Connection, temp_id: int, values: dict[str, object]) -> None:
    conn.execute(update(TEMPLATES).where(TEMPLATES.c.id == temp_id).values(**values))


def delete_template(conn: Connection, temp_id: int) -> None:
    conn.execute(delete(TEMPLATES).where(TEMPLATES.c.id == temp_id))


def list_templates(conn: Connection, status: int | None, app_id: int | None) -> list[Row[Any]]:
    return rows_for_review(conn, TEMPLATES, status, app_id)
