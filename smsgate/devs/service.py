"""Developer accounts: creation, authentication, the account-level pool and moves to apps.

A developer's credentials (devKey:devSecret) are a separate identity from any app's: they only
open GET /v1/accounts/dev, and app credentials never open it (jsms-api.md §1.2, §7 A25). The
secret is stored hashed exactly like an app's master secret.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps import service as app_service
from smsgate.apps.credentials import hash_secret, new_credential, secret_matches
from smsgate.db.engine import Database
from smsgate.db.quotas import MAX_UNITS, QUOTA_CATEGORIES, QuotaRefused, check_amounts
from smsgate.devs import repository
from smsgate.devs.repository import DevRow, ListedDev


@dataclass(frozen=True, slots=True)
class DevAccount:
    id: int
    dev_key: str
    name: str

    @classmethod
    def from_row(cls, row: DevRow | ListedDev) -> "DevAccount":
        return cls(row.id, row.dev_key, row.name)


@dataclass(frozen=True, slots=True)
class NewDev:
    account: DevAccount
    dev_secret: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """The pools after a move: the developer's and the app's."""

    dev: dict[str, int | None]
    app: dict[str, int | None]


class UnknownDev(LookupError):
    pass


class TransferRefused(QuotaRefused):
    """A move the pool cannot cover, or to an app the developer does not own."""


async def create_dev(db: Database, name: str) -> NewDev:
    dev_key, secret = new_credential(), new_credential()
    values: dict[str, object] = {
        "dev_key": dev_key,
        "secret_hash": hash_secret(secret),
        "name": name,
        "created_at": clock.now_ms(),
    }
    dev_id = await db.write(lambda conn: repository.insert_dev(conn, values))
    return NewDev(DevAccount(dev_id, dev_key, name), secret)


async def authenticate_dev(db: Database, dev_key: str, secret: str) -> DevAccount | None:
    row = await db.read(lambda conn: repository.find_by_key(conn, dev_key))
    if row is None or not secret_matches(secret, row.secret_hash):
        return None
    return DevAccount.from_row(row)


async def find_dev(db: Database, dev_key: str) -> DevAccount:
    row = await db.read(lambda conn: repository.find_by_key(conn, dev_key))
    if row is None:
        raise UnknownDev(dev_key)
    return DevAccount.from_row(row)


@dataclass(frozen=True, slots=True)
class DevPool:
    """A developer account with its pool, as an operator sees it beside one of its apps."""

    account: DevAccount
    quotas: dict[str, int | None]


def dev_pool(conn: Connection, dev_id: int) -> DevPool | None:
    """In the caller's transaction: the account and its pool (None if it was deleted)."""
    row = repository.find_by_id(conn, dev_id)
    if row is None:
        return None
    return DevPool(DevAccount.from_row(row), repository.quotas(conn, dev_id))


async def dev_balances(db: Database, dev: DevAccount) -> dict[str, int | None]:
    """The JSMS answer of /v1/accounts/dev; null where nothing is allocated."""
    quotas = await db.read(lambda conn: repository.quotas(conn, dev.id))
    return {f"dev_{category}": quotas[category] for category in QUOTA_CATEGORIES}


async def top_up(db: Database, dev_key: str, amounts: dict[str, int]) -> dict[str, int | None]:
    """Add units to the pool (each one UPDATE, so concurrent top-ups add up exactly); no
    category may hold more than MAX_UNITS."""
    check_amounts(amounts)
    dev = await find_dev(db, dev_key)

    def add(conn: Connection) -> dict[str, int | None]:
        for category, amount in amounts.items():
            if not repository.add_units(conn, dev.id, category, amount):
                raise QuotaRefused(f"the {category} pool would pass {MAX_UNITS} units")
        return repository.quotas(conn, dev.id)

    return await db.write(add)


async def transfer(db: Database, dev_key: str, app_key: str, amounts: dict[str, int]) -> Transfer:
    """Move units from the developer's pool to one of its apps, all categories or none.

    Every take is a conditional UPDATE (never below zero), so parallel moves cannot overdraw
    the pool; the check before it refuses without writing (what SQLite's group commit wants),
    and a take that loses a race on PostgreSQL refuses and rolls the whole move back.
    """
    if any(amount <= 0 for amount in amounts.values()) or not amounts:
        raise TransferRefused("give at least one positive amount to move")
    dev = await find_dev(db, dev_key)
    app = await app_service.find_app(db, app_key)
    if app.dev_id != dev.id:
        raise TransferRefused(f"app {app_key} does not belong to developer {dev_key}")

    def move(conn: Connection) -> Transfer:
        pool = repository.quotas(conn, dev.id)
        for category, amount in amounts.items():
            if (pool[category] or 0) < amount:
                raise TransferRefused(f"the {category} pool has {pool[category] or 0} units")
        for category, amount in amounts.items():
            if not repository.take_units(conn, dev.id, category, amount):
                raise TransferRefused(f"the {category} pool no longer has {amount} units")
            if not app_service.credit_quota(conn, app.id, category, amount):
                raise TransferRefused(f"the app's {category} quota would pass {MAX_UNITS} units")
        return Transfer(repository.quotas(conn, dev.id), app_service.app_quotas(conn, app.id))

    return await db.write(move)


@dataclass(frozen=True, slots=True)
class DevSummary:
    """A developer account as an operator's list shows it."""

    account: DevAccount
    quotas: dict[str, int | None]
    app_count: int
    created_at: int


async def list_devs(db: Database, text: str = "", limit: int = 100) -> list[DevSummary]:
    """Developer accounts whose key or name holds `text`, newest first."""
    rows = await db.read(lambda conn: repository.search_devs(conn, text, limit))
    return [
        DevSummary(
            DevAccount.from_row(row),
            {category: getattr(row, category) for category in QUOTA_CATEGORIES},
            row.app_count,
            row.created_at,
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class DevWithApps:
    pool: DevPool
    apps: list[app_service.AppSummary]


async def dev_with_apps(db: Database, dev_key: str) -> DevWithApps:
    """One account, its pool and its apps, read in one transaction (UnknownDev)."""

    def read(conn: Connection) -> DevWithApps:
        row = repository.find_by_key(conn, dev_key)
        if row is None:
            raise UnknownDev(dev_key)
        pool = DevPool(DevAccount.from_row(row), repository.quotas(conn, row.id))
        return DevWithApps(pool, app_service.apps_of_dev(conn, row.id))

    return await db.read(read)
