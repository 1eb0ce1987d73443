"""Queries on developer accounts and their quota pools."""

from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from smsgate.db.models import Dev, table

DEVS = table(Dev)
QUOTA_CATEGORIES = ("balance", "voice", "industry", "market")

_INSERT = insert(DEVS).returning(DEVS.c.id)
_BY_KEY = select(DEVS).where(DEVS.c.dev_key == bindparam("dev_key"))
_QUOTAS = select(*(DEVS.c[name] for name in QUOTA_CATEGORIES)).where(
    DEVS.c.id == bindparam("dev_id")
)
# Conditional: never below zero, and only from a pool that has something allocated.
_TAKE = {
    name: update(DEVS)
    .where(
        DEVS.c.id == bindparam("dev_id"),
        DEVS.c[name].is_not(None),
        DEVS.c[name] >= bindparam("units"),
    )
    .values({name: DEVS.c[name] - bindparam("units")})
    for name in QUOTA_CATEGORIES
}
_ADD = {
    name: update(DEVS)
    .where(DEVS.c.id == bindparam("dev_id"))
    .values({name: func.coalesce(DEVS.c[name], 0) + bindparam("units")})
    for name in QUOTA_CATEGORIES
}


def insert_dev(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(_INSERT, values).scalar_one())


def find_by_key(conn: Connection, dev_key: str) -> Row[Any] | None:
    return conn.execute(_BY_KEY, {"dev_key": dev_key}).first()


def quotas(conn: Connection, dev_id: int) -> dict[str, int | None]:
    row = conn.execute(_QUOTAS, {"dev_id": dev_id}).one()
    return dict(zip(QUOTA_CATEGORIES, row, strict=True))


def take_units(conn: Connection, dev_id: int, category: str, units: int) -> bool:
    """Atomically take units from one pool; False when it has too few."""
    return conn.execute(_TAKE[category], {"dev_id": dev_id, "units": units}).rowcount == 1


def add_units(conn: Connection, dev_id: int, category: str, units: int) -> None:
    conn.execute(_ADD[category], {"dev_id": dev_id, "units": units})
