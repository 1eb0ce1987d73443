"""Queries on templates (built once: see apps/repository.py)."""

from typing import NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, select, update

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


class TemplateForSend(NamedTuple):
    """What a send needs of a template: owner, type, text, ttl, review status, voice fallback."""

    id: int
    app_id: int
    type: int
    template: str
    ttl: int
    status: int  # ReviewState
    voice_fallback_after: int | None
    voice_fallback_lang: int | None


class TemplateRow(NamedTuple):
    """A row of `templates`."""

    id: int
    app_id: int
    type: int
    template: str
    ttl: int
    remark: str
    status: int  # ReviewState
    refuse_reason: str | None
    created_at: int
    updated_at: int
    voice_fallback_after: int | None
    voice_fallback_lang: int | None


class TemplateToReview(NamedTuple):
    """A row of `templates` with its app's key, as the review commands list it."""

    id: int
    app_id: int
    type: int
    template: str
    ttl: int
    remark: str
    status: int  # ReviewState
    refuse_reason: str | None
    created_at: int
    updated_at: int
    voice_fallback_after: int | None
    voice_fallback_lang: int | None
    app_key: str


def insert_template(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(_INSERT, values).scalar_one())


def find_template_for_send(conn: Connection, temp_id: int) -> TemplateForSend | None:
    rows = _FOR_SEND.rows(conn, {"temp_id": temp_id})
    return TemplateForSend._make(rows[0]) if rows else None


def set_review(conn: Connection, temp_id: int, status: int, reason: str | None, now: int) -> bool:
    result = conn.execute(
        update(TEMPLATES)
        .where(TEMPLATES.c.id == temp_id)
        .values(status=status, refuse_reason=reason, updated_at=now)
    )
    return result.rowcount == 1


def find_app_template(
    conn: Connection, app_id: int, temp_id: int, *, for_update: bool = False
) -> TemplateRow | None:
    """The template if it belongs to the app: another app's is as good as none."""
    query = select(TEMPLATES).where(TEMPLATES.c.id == temp_id, TEMPLATES.c.app_id == app_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else TemplateRow._make(row)


def find_template(conn: Connection, temp_id: int) -> TemplateRow | None:
    row = conn.execute(select(TEMPLATES).where(TEMPLATES.c.id == temp_id)).first()
    return None if row is None else TemplateRow._make(row)


def update_template(conn: Connection, temp_id: int, values: dict[str, object]) -> None:
    conn.execute(update(TEMPLATES).where(TEMPLATES.c.id == temp_id).values(**values))


def delete_template(conn: Connection, temp_id: int) -> None:
    conn.execute(delete(TEMPLATES).where(TEMPLATES.c.id == temp_id))


def list_templates(
    conn: Connection, status: int | None, app_id: int | None
) -> list[TemplateToReview]:
    return rows_for_review(conn, TEMPLATES, status, app_id, TemplateToReview._make)
