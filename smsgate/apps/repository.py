"""Queries on apps and their quotas.

Statements are built once with bind parameters: SQLAlchemy then reuses their compiled form, which
is several times cheaper per call than building a statement each time.
"""

from typing import NamedTuple

from sqlalchemy import Connection, bindparam, func, insert, select, update

from smsgate.db.models import App, table
from smsgate.db.quotas import QUOTA_CATEGORIES, credit_statements, quota_select, take_statements
from smsgate.db.selects import FastSelect

APPS = table(App)

_INSERT = insert(APPS).returning(APPS.c.id)
_BY_KEY = select(APPS).where(APPS.c.app_key == bindparam("app_key"))
_QUOTAS = FastSelect(quota_select(APPS, "app_id"))
_TAKE = take_statements(APPS, "app_id")
# Only to a category that is allocated: an unmetered (NULL) category stays unmetered.
_GIVE = {
    name: update(APPS)
    .where(APPS.c.id == bindparam("app_id"), APPS.c[name].is_not(None))
    .values({name: APPS.c[name] + bindparam("units")})
    for name in QUOTA_CATEGORIES
}


class AppRow(NamedTuple):
    """A row of `apps`: the account, its hashed secret, its quotas (None: unmetered) and its
    access policy."""

    id: int
    app_key: str
    secret_hash: str
    name: str
    sms_enabled: bool
    balance: int | None
    voice: int | None
    industry: int | None
    market: int | None
    policy: str | None  # JSON of the frequency limits it overrides
    created_at: int
    dev_id: int | None
    blocked: bool
    allowed_ips: str | None


def insert_app(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(_INSERT, values).scalar_one())


def find_by_key(conn: Connection, app_key: str) -> AppRow | None:
    row = conn.execute(_BY_KEY, {"app_key": app_key}).first()
    return None if row is None else AppRow._make(row)


def keys_by_id(conn: Connection, app_ids: list[int]) -> dict[int, str]:
    query = select(APPS.c.id, APPS.c.app_key).where(APPS.c.id.in_(app_ids))
    return {app_id: app_key for app_id, app_key in conn.execute(query)}


def find_by_id(conn: Connection, app_id: int) -> AppRow | None:
    row = conn.execute(select(APPS).where(APPS.c.id == app_id)).first()
    return None if row is None else AppRow._make(row)


def quotas(conn: Connection, app_id: int) -> dict[str, int | None]:
    row = _QUOTAS.one(conn, {"app_id": app_id})
    return dict(zip(QUOTA_CATEGORIES, row, strict=True))


def take_units(conn: Connection, app_id: int, category: str, units: int) -> bool:
    """Atomically take units from one metered category; False when it has too few."""
    result = conn.execute(_TAKE[category], {"app_id": app_id, "units": units})
    return result.rowcount == 1


def give_units(conn: Connection, app_id: int, category: str, units: int) -> None:
    conn.execute(_GIVE[category], {"app_id": app_id, "units": units})


def update_app(conn: Connection, app_id: int, values: dict[str, object]) -> None:
    conn.execute(update(APPS).where(APPS.c.id == app_id).values(**values))


def stored_policies(conn: Connection) -> list[str]:
    return list(conn.execute(select(APPS.c.policy).where(APPS.c.policy.is_not(None))).scalars())


_CREDIT = credit_statements(APPS, "app_id")


def credit_units(conn: Connection, app_id: int, category: str, units: int) -> bool:
    """Atomically add units; False when the category would pass MAX_UNITS."""
    return conn.execute(_CREDIT[category], {"app_id": app_id, "units": units}).rowcount == 1


def search_apps(conn: Connection, text: str, limit: int) -> list[AppRow]:
    """Newest first; `text` matches a part of the app key or the name, any case."""
    query = select(APPS).order_by(APPS.c.id.desc()).limit(limit)
    if text:
        query = query.where(
            APPS.c.app_key.icontains(text, autoescape=True)
            | APPS.c.name.icontains(text, autoescape=True)
        )
    return [AppRow._make(row) for row in conn.execute(query)]


def apps_of_dev(conn: Connection, dev_id: int) -> list[AppRow]:
    """A developer's apps, newest first."""
    query = select(APPS).where(APPS.c.dev_id == dev_id).order_by(APPS.c.id.desc())
    return [AppRow._make(row) for row in conn.execute(query)]


def app_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(APPS)).scalar_one())
