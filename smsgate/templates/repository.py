"""Queries on templates (built once: see apps/repository.py)."""

from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from smsgate.db.models import Template, table

TEMPLATES = table(Template)
_INSERT = insert(TEMPLATES).returning(TEMPLATES.c.id)
_SENDABLE_COLUMNS = ("id", "app_id", "type", "template", "ttl", "status")
_FOR_SEND = select(*(TEMPLATES.c[name] for name in _SENDABLE_COLUMNS)).where(
    TEMPLATES.c.id == bindparam("temp_id")
)


def insert_template(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(_INSERT, values).scalar_one())


def find_template_for_send(conn: Connection, temp_id: int) -> Row[Any] | None:
    """What a send needs of a template: owner, type, text, ttl and review status."""
    return conn.execute(_FOR_SEND, {"temp_id": temp_id}).first()


def set_review(conn: Connection, temp_id: int, status: int, reason: str | None, now: int) -> bool:
    result = conn.execute(
        update(TEMPLATES)
        .where(TEMPLATES.c.id == temp_id)
        .values(status=status, refuse_reason=reason, updated_at=now)
    )
    return result.rowcount == 1
