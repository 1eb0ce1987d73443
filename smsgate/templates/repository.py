"""Queries on templates."""

from sqlalchemy import Connection, insert, select, update

from smsgate.db.models import Template


def insert_template(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(insert(Template).values(**values).returning(Template.id)).scalar_one())


def find_template(conn: Connection, temp_id: int) -> Template | None:
    row = conn.execute(select(Template.__table__).where(Template.id == temp_id)).mappings().first()
    return Template(**row) if row else None


def set_review(conn: Connection, temp_id: int, status: int, reason: str | None, now: int) -> bool:
    result = conn.execute(
        update(Template)
        .where(Template.id == temp_id)
        .values(status=status, refuse_reason=reason, updated_at=now)
    )
    return result.rowcount == 1
