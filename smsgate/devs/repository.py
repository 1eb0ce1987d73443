"""Queries on developer accounts and their quota pools."""

from typing import NamedTuple

from sqlalchemy import Connection, bindparam, func, insert, select

from smsgate.db.models import App, Dev, table
from smsgate.db.quotas import QUOTA_CATEGORIES, credit_statements, quota_select, take_statements

DEVS = table(Dev)
APPS = table(App)

_INSERT = insert(DEVS).returning(DEVS.c.id)
_BY_KEY = select(DEVS).where(DEVS.c.dev_key == bindparam("dev_key"))
_BY_ID = select(DEVS).where(DEVS.c.id == bindparam("dev_id"))
_QUOTAS = quota_select(DEVS, "dev_id")
_TAKE = take_statements(DEVS, "dev_id")
_ADD = credit_statements(DEVS, "dev_id")


class DevRow(NamedTuple):
    """A row of `devs`: the account, its hashed secret and its pool (None: nothing
    allocated)."""

    id: int
    dev_key: str
    secret_hash: str
    name: str
    balance: int | None
    voice: int | None
    industry: int | None
    market: int | None
    created_at: int


class ListedDev(NamedTuple):
    """A row of `devs` with the number of apps the account owns."""

    id: int
    dev_key: str
    secret_hash: str
    name: str
    balance: int | None
    voice: int | None
    industry: int | None
    market: int | None
    created_at: int
    app_count: int


def insert_dev(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(_INSERT, values).scalar_one())


def find_by_key(conn: Connection, dev_key: str) -> DevRow | None:
    row = conn.execute(_BY_KEY, {"dev_key": dev_key}).first()
    return None if row is None else DevRow._make(row)


def find_by_id(conn: Connection, dev_id: int) -> DevRow | None:
    row = conn.execute(_BY_ID, {"dev_id": dev_id}).first()
    return None if row is None else DevRow._make(row)


def quotas(conn: Connection, dev_id: int) -> dict[str, int | None]:
    row = conn.execute(_QUOTAS, {"dev_id": dev_id}).one()
    return dict(zip(QUOTA_CATEGORIES, row, strict=True))


def take_units(conn: Connection, dev_id: int, category: str, units: int) -> bool:
    """Atomically take units from one pool; False when it has too few."""
    return conn.execute(_TAKE[category], {"dev_id": dev_id, "units": units}).rowcount == 1


def add_units(conn: Connection, dev_id: int, category: str, units: int) -> bool:
    """Atomically add units; False when the pool would pass MAX_UNITS."""
    return conn.execute(_ADD[category], {"dev_id": dev_id, "units": units}).rowcount == 1


def search_devs(conn: Connection, text: str, limit: int) -> list[ListedDev]:
    """Newest first, each with `app_count`; `text` matches a part of the key or the name, any
    case."""
    counts = (
        select(APPS.c.dev_id, func.count().label("app_count"))
        .where(APPS.c.dev_id.is_not(None))
        .group_by(APPS.c.dev_id)
        .subquery()
    )
    query = (
        select(DEVS, func.coalesce(counts.c.app_count, 0).label("app_count"))
        .outerjoin(counts, counts.c.dev_id == DEVS.c.id)
        .order_by(DEVS.c.id.desc())
        .limit(limit)
    )
    if text:
        query = query.where(
            DEVS.c.dev_key.icontains(text, autoescape=True)
            | DEVS.c.name.icontains(text, autoescape=True)
        )
    return [ListedDev._make(row) for row in conn.execute(query)]
