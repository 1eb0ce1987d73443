"""Queries on templates."""

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db.models import Template


async def insert_template(conn: AsyncConnection, values: dict[str, object]) -> int:
    result = await conn.execute(insert(Template).values(**values).returning(Template.id))
    return int(result.scalar_one())


async def find_template(conn: AsyncConnection, temp_id: int) -> Template | None:
    result = await conn.execute(select(Template.__table__).where(Template.id == temp_id))
    row = result.mappings().first()
    return Template(**row) if row else None


async def set_review(
    conn: AsyncConnection, temp_id: int, status: int, reason: str | None, now: int
) -> bool:
    result = await conn.execute(
        update(Template)
        .where(Template.id == temp_id)
        .values(status=status, refuse_reason=reason, updated_at=now)
    )
    return result.rowcount == 1
