"""Apps: creation, authentication, quotas."""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection

from smsgate import clock
from smsgate.access.networks import Network, normalise_networks, parse_networks
from smsgate.apps import repository
from smsgate.apps.credentials import hash_secret, new_credential, secret_matches
from smsgate.apps.policy import (
    DEFAULT_POLICY,
    AppPolicy,
    load_policy,
    longest_window,
    merge_policy,
)
from smsgate.apps.repository import AppRow
from smsgate.db.engine import Database
from smsgate.db.quotas import MAX_UNITS, QUOTA_CATEGORIES, QuotaRefused, check_amounts
from smsgate.errors import Code, JsmsError

# An app's or developer account's name, for people: the console and the CLI refuse longer.
MAX_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class AppAccount:
    id: int
    app_key: str
    name: str
    sms_enabled: bool
    policy: AppPolicy = DEFAULT_POLICY
    # Access policy (smsgate/access), checked on the cached app at every call.
    blocked: bool = False
    allowed_networks: tuple[Network, ...] = ()
    dev_id: int | None = None

    @classmethod
    def from_row(cls, row: AppRow) -> "AppAccount":
        return cls(
            row.id,
            row.app_key,
            row.name,
            row.sms_enabled,
            load_policy(row.policy),
            row.blocked,
            parse_networks(row.allowed_ips),
            row.dev_id,
        )


@dataclass(frozen=True, slots=True)
class NewApp:
    account: AppAccount
    master_secret: str


class UnknownApp(LookupError):
    pass


async def create_app(
    db: Database,
    name: str,
    *,
    sms_enabled: bool = True,
    quotas: dict[str, int | None] | None = None,
    limits: Mapping[str, str | None] | None = None,
    dev_id: int | None = None,
) -> NewApp:
    """A new app with fresh credentials; a quota category not given is unmetered, a limit not
    given follows the server's default. QuotaRefused for a quota outside 0..MAX_UNITS."""
    chosen = {k: v for k, v in (quotas or {}).items() if k in QUOTA_CATEGORIES}
    check_amounts(chosen)
    policy = merge_policy(None, limits or {})
    app_key, secret = new_credential(), new_credential()
    values: dict[str, object] = {
        "app_key": app_key,
        "secret_hash": hash_secret(secret),
        "name": name,
        "sms_enabled": sms_enabled,
        "policy": policy,
        "created_at": clock.now_ms(),
        "dev_id": dev_id,
    }
    values.update(chosen)
    app_id = await db.write(lambda conn: repository.insert_app(conn, values))
    account = AppAccount(app_id, app_key, name, sms_enabled, load_policy(policy), dev_id=dev_id)
    return NewApp(account, secret)


async def authenticate(db: Database, app_key: str, secret: str) -> AppAccount | None:
    app = await db.read(lambda conn: repository.find_by_key(conn, app_key))
    if app is None or not secret_matches(secret, app.secret_hash):
        return None
    return AppAccount.from_row(app)


def app_by_id(conn: Connection, app_id: int) -> AppAccount | None:
    """The app a scheduled send acts for (no request, hence no key)."""
    app = repository.find_by_id(conn, app_id)
    return None if app is None else AppAccount.from_row(app)


def app_by_key(conn: Connection, app_key: str) -> AppAccount | None:
    """The app with this key, in the caller's transaction."""
    app = repository.find_by_key(conn, app_key)
    return None if app is None else AppAccount.from_row(app)


def app_keys(conn: Connection, app_ids: list[int]) -> dict[int, str]:
    """The appKeys of these apps (those that exist), in one query: for listings."""
    return repository.keys_by_id(conn, app_ids) if app_ids else {}


def app_id_by_key(conn: Connection, app_key: str) -> int | None:
    """The id of the app with this key, in the caller's transaction."""
    app = repository.find_by_key(conn, app_key)
    return None if app is None else int(app.id)


def master_secret_matches(conn: Connection, app_id: int, secret: str) -> bool:
    """Whether `secret` is the app's master secret (constant-time compare)."""
    app = repository.find_by_id(conn, app_id)
    return app is not None and secret_matches(secret, app.secret_hash)


def replace_master_secret(conn: Connection, app_key: str) -> NewApp:
    """A fresh master secret for the app, in the caller's transaction: the old one stops
    authenticating when it commits (a process's cache of verified credentials aside, see
    smsgate/auth.py). Callers go through smsgate.callbacks.service.rotate_master_secret, which
    also re-seals the copy that signs the app's callbacks."""
    app = repository.find_by_key(conn, app_key)
    if app is None:
        raise UnknownApp(app_key)
    secret = new_credential()
    repository.update_app(conn, app.id, {"secret_hash": hash_secret(secret)})
    return NewApp(AppAccount.from_row(app), secret)


async def find_app(db: Database, app_key: str) -> AppAccount:
    app = await db.read(lambda conn: repository.find_by_key(conn, app_key))
    if app is None:
        raise UnknownApp(app_key)
    return AppAccount.from_row(app)


async def update_app(
    db: Database,
    app_key: str,
    *,
    name: str | None = None,
    sms_enabled: bool | None = None,
    limits: Mapping[str, str | None] | None = None,
) -> AppAccount:
    """Change what is given: the name, SMS permission, limit overrides (None: back to default)."""

    def change(conn: Connection) -> AppAccount:
        app = repository.find_by_key(conn, app_key)
        if app is None:
            raise UnknownApp(app_key)
        values: dict[str, object] = {"policy": merge_policy(app.policy, limits or {})}
        if name is not None:
            values["name"] = name
        if sms_enabled is not None:
            values["sms_enabled"] = sms_enabled
        repository.update_app(conn, app.id, values)
        updated = repository.find_by_key(conn, app_key)
        assert updated is not None  # the same transaction just saw it
        return AppAccount.from_row(updated)

    return await db.write(change)


async def longest_limit_window(db: Database) -> int:
    """The longest window, in seconds, of any app's own frequency limits (0 when none)."""
    policies = await db.read(repository.stored_policies)
    return max((longest_window(stored) for stored in policies), default=0)


async def app_balances(db: Database, app: AppAccount) -> dict[str, int | None]:
    """The JSMS balance answer; an app with no quota at all has none assigned (50033)."""
    quotas = await db.read(lambda conn: repository.quotas(conn, app.id))
    if all(value is None for value in quotas.values()):
        raise JsmsError(Code.APP_QUOTA_NOT_ASSIGNED)
    return {f"app_{category}": quotas[category] for category in QUOTA_CATEGORIES}


async def top_up(db: Database, app_key: str, amounts: dict[str, int]) -> dict[str, int | None]:
    """Add units to categories, each in one UPDATE (concurrent top-ups add up exactly); a
    category that was unmetered starts metered at the amount. QuotaRefused, and nothing changes,
    for a negative amount or a category that would hold more than MAX_UNITS."""
    check_amounts(amounts)
    app = await find_app(db, app_key)

    def add(conn: Connection) -> dict[str, int | None]:
        for category, amount in amounts.items():
            if not repository.credit_units(conn, app.id, category, amount):
                raise QuotaRefused(f"the {category} quota would pass {MAX_UNITS} units")
        return repository.quotas(conn, app.id)

    return await db.write(add)


def debit_quota(conn: Connection, app_id: int, category: str, units: int) -> str | None:
    """Take `units` for a send of `category`, falling back to the all-purpose balance.

    Returns the category charged, or None when both are unmetered; raises 50014 when the metered
    pools are short. Each take is one conditional UPDATE, so concurrent sends never overdraw.
    """
    quotas = repository.quotas(conn, app_id)
    pools = [c for c in (category, "balance") if quotas[c] is not None]
    if not pools:
        return None
    for pool in pools:
        if repository.take_units(conn, app_id, pool, units):
            return pool
    raise JsmsError(Code.NO_MONEY, f"{units} units, not left in {' or '.join(pools)}")


def refund_quota(conn: Connection, app_id: int, category: str, units: int) -> None:
    repository.give_units(conn, app_id, category, units)


async def set_access(
    db: Database, app_key: str, *, allowed_ips: str | None = None, blocked: bool | None = None
) -> AppAccount:
    """Change the access-policy flags given: the IP allowlist ("" removes it; InvalidNetwork
    for a bad entry) and the blacklist flag. Cached apps see it within `auth_cache_seconds`."""
    values: dict[str, object] = {}
    if allowed_ips is not None:
        values["allowed_ips"] = normalise_networks(allowed_ips)
    if blocked is not None:
        values["blocked"] = blocked

    def change(conn: Connection) -> AppAccount:
        app = repository.find_by_key(conn, app_key)
        if app is None:
            raise UnknownApp(app_key)
        if values:
            repository.update_app(conn, app.id, values)
        updated = repository.find_by_key(conn, app_key)
        assert updated is not None  # the same transaction just saw it
        return AppAccount.from_row(updated)

    return await db.write(change)


def credit_quota(conn: Connection, app_id: int, category: str, units: int) -> bool:
    """Add units in one UPDATE (concurrent credits never lose one); unmetered becomes metered.
    False, and nothing added, when the category would pass MAX_UNITS."""
    return repository.credit_units(conn, app_id, category, units)


def app_quotas(conn: Connection, app_id: int) -> dict[str, int | None]:
    return repository.quotas(conn, app_id)


@dataclass(frozen=True, slots=True)
class AppSummary:
    """An app as an operator's list shows it."""

    account: AppAccount
    quotas: dict[str, int | None]
    created_at: int


async def list_apps(db: Database, text: str = "", limit: int = 100) -> list[AppSummary]:
    """Apps whose key or name holds `text`, newest first."""
    rows = await db.read(lambda conn: repository.search_apps(conn, text, limit))
    return [_summary(row) for row in rows]


def apps_of_dev(conn: Connection, dev_id: int) -> list[AppSummary]:
    """In the caller's transaction: the apps a developer account holds, newest first."""
    return [_summary(row) for row in repository.apps_of_dev(conn, dev_id)]


def _summary(row: AppRow) -> AppSummary:
    return AppSummary(
        AppAccount.from_row(row),
        {category: getattr(row, category) for category in QUOTA_CATEGORIES},
        row.created_at,
    )
