"""Queries on apps and their quotas."""

from sqlalchemy import Connection, insert, select, update

from smsgate.db.models import App

QUOTA_COLUMNS = {
    "balance": App.balance,
    "voice": App.voice,
    "industry": App.industry,
    "market": App.market,
}


def insert_app(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(insert(App).values(**values).returning(App.id)).scalar_one())


def find_by_key(conn: Connection, app_key: str) -> App | None:
    row = conn.execute(select(App.__table__).where(App.app_key == app_key)).mappings().first()
    return App(**row) if row else None


def quotas(conn: Connection, app_id: int) -> dict[str, int | None]:
    row = conn.execute(select(*QUOTA_COLUMNS.values()).where(App.id == app_id)).one()
    return dict(zip(QUOTA_COLUMNS, row, strict=True))


def take_units(conn: Connection, app_id: int, category: str, units: int) -> bool:
    """Atomically take units from one metered category; False when it has too few."""
    column = QUOTA_COLUMNS[category]
    result = conn.execute(
        update(App)
        .where(App.id == app_id, column.is_not(None), column >= units)
        .values({column: column - units})
    )
    return result.rowcount == 1


def give_units(conn: Connection, app_id: int, category: str, units: int) -> None:
    column = QUOTA_COLUMNS[category]
    conn.execute(
        update(App).where(App.id == app_id, column.is_not(None)).values({column: column + units})
    )


def set_quota(conn: Connection, app_id: int, category: str, value: int | None) -> None:
    conn.execute(update(App).where(App.id == app_id).values({QUOTA_COLUMNS[category]: value}))
