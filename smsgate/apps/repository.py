"""Queries on apps and their quotas."""

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db.models import App

QUOTA_COLUMNS = {
    "balance": App.balance,
    "voice": App.voice,
    "industry": App.industry,
    "market": App.market,
}


async def insert_app(conn: AsyncConnection, values: dict[str, object]) -> int:
    result = await conn.execute(insert(App).values(**values).returning(App.id))
    return int(result.scalar_one())


async def find_by_key(conn: AsyncConnection, app_key: str) -> App | None:
    result = await conn.execute(select(App.__table__).where(App.app_key == app_key))
    row = result.mappings().first()
    return App(**row) if row else None


async def quotas(conn: AsyncConnection, app_id: int) -> dict[str, int | None]:
    result = await conn.execute(select(*QUOTA_COLUMNS.values()).where(App.id == app_id))
    row = result.one()
    return dict(zip(QUOTA_COLUMNS, row, strict=True))


async def take_units(conn: AsyncConnection, app_id: int, category: str, units: int) -> bool:
    """Atomically take units from one metered category; False when it has too few."""
    column = QUOTA_COLUMNS[category]
    result = await conn.execute(
        update(App)
        .where(App.id == app_id, column.is_not(None), column >= units)
        .values({column: column - units})
    )
    return result.rowcount == 1


async def give_units(conn: AsyncConnection, app_id: int, category: str, units: int) -> None:
    column = QUOTA_COLUMNS[category]
    await conn.execute(
        update(App).where(App.id == app_id, column.is_not(None)).values({column: column + units})
    )


async def set_quota(conn: AsyncConnection, app_id: int, category: str, value: int | None) -> None:
    await conn.execute(update(App).where(App.id == app_id).values({QUOTA_COLUMNS[category]: value}))
