"""Queries on callback settings (URL, sealed secret) and the callback outbox.

The statements every delivery report runs (is there a URL, queue the callback) are built once
with bind parameters, so SQLAlchemy reuses their compiled form.
"""

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from smsgate.db.leases import lease_claim
from smsgate.db.models import App, AppCallback, CallbackEntry, table

APPS = table(App)
CALLBACKS = table(AppCallback)
OUTBOX = table(CallbackEntry)
_CLAIM = lease_claim(
    OUTBOX,
    OUTBOX.c.id,
    OUTBOX.c.due_at,
    where=(OUTBOX.c.dead_at.is_(None),),
    values={"attempts": OUTBOX.c.attempts + 1},
    returning=(OUTBOX.c.id,),
)

_WITH_URL = select(CALLBACKS.c.app_id).where(
    CALLBACKS.c.app_id.in_(bindparam("app_ids", expanding=True)), CALLBACKS.c.url.is_not(None)
)
_ENQUEUE = insert(OUTBOX)


# --- callback settings -------------------------------------------------------------------------


def apps_with_url(conn: Connection, app_ids: Collection[int]) -> set[int]:
    """Those of the apps that have a callback URL (apps.id is what app_callbacks refers to)."""
    return set(conn.execute(_WITH_URL, {"app_ids": sorted(app_ids)}).scalars())


class CallbackRow(NamedTuple):
    """An app's callback settings as stored."""

    app_id: int
    url: str | None
    sealed_secret: str | None  # the master secret, sealed with the server key
    verified_at: int | None


def callback_row(conn: Connection, app_id: int) -> CallbackRow | None:
    row = conn.execute(select(CALLBACKS).where(CALLBACKS.c.app_id == app_id)).first()
    return None if row is None else CallbackRow._make(row)


def sealed_secret(conn: Connection, app_id: int) -> str | None:
    query = select(CALLBACKS.c.sealed_secret).where(CALLBACKS.c.app_id == app_id)
    found: str | None = conn.execute(query).scalar()
    return found


def save_callback(conn: Connection, app_id: int, values: dict[str, object]) -> None:
    exists = conn.execute(select(CALLBACKS.c.app_id).where(CALLBACKS.c.app_id == app_id)).first()
    if exists:
        conn.execute(update(CALLBACKS).where(CALLBACKS.c.app_id == app_id).values(**values))
    else:
        conn.execute(insert(CALLBACKS).values(app_id=app_id, **values))


# --- the callback outbox -----------------------------------------------------------------------


def enqueue(conn: Connection, event: str, callbacks: list[tuple[int, str]], now_ms: int) -> None:
    """(app_id, data) pairs, due now, in one executemany."""
    if callbacks:
        conn.execute(
            _ENQUEUE,
            [
                {"app_id": app_id, "event": event, "data": data, "attempts": 0}
                | {"due_at": now_ms, "created_at": now_ms}
                for app_id, data in callbacks
            ],
        )


class DueCallback(NamedTuple):
    """A leased outbox entry with what posting it takes: the app's key, URL and sealed secret
    (None when the app has no callback settings)."""

    id: int
    app_id: int
    event: str
    data: str
    attempts: int  # this try included
    app_key: str
    url: str | None
    sealed_secret: str | None


def claim_due(conn: Connection, now_ms: int, limit: int, lease_until: int) -> list[DueCallback]:
    """Lease due live entries (SKIP LOCKED: workers on one PostgreSQL take different rows)."""
    params = {"now": now_ms, "limit": limit, "new_lease": lease_until}
    ids = [row.id for row in conn.execute(_CLAIM, params).all()]
    if not ids:
        return []
    query = (
        select(
            OUTBOX.c.id,
            OUTBOX.c.app_id,
            OUTBOX.c.event,
            OUTBOX.c.data,
            OUTBOX.c.attempts,
            APPS.c.app_key,
            CALLBACKS.c.url,
            CALLBACKS.c.sealed_secret,
        )
        .join(APPS, APPS.c.id == OUTBOX.c.app_id)
        .outerjoin(CALLBACKS, CALLBACKS.c.app_id == OUTBOX.c.app_id)
        .where(OUTBOX.c.id.in_(ids))
        .order_by(OUTBOX.c.due_at, OUTBOX.c.id)
    )
    return [DueCallback._make(row) for row in conn.execute(query)]


def remove_entry(conn: Connection, entry_id: int) -> None:
    conn.execute(delete(OUTBOX).where(OUTBOX.c.id == entry_id))


def reschedule(conn: Connection, entry_id: int, due_at: int, error: str) -> None:
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == entry_id)
        .values(due_at=due_at, lease_until=None, last_error=error)
    )


def bury(conn: Connection, entry_id: int, now_ms: int, error: str) -> None:
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == entry_id)
        .values(dead_at=now_ms, lease_until=None, last_error=error)
    )


class OutboxLine(NamedTuple):
    """An outbox entry, live or dead, with its app's key, as operators list them."""

    id: int
    app_id: int
    event: str
    data: str
    attempts: int
    due_at: int
    lease_until: int | None
    last_error: str | None
    dead_at: int | None
    created_at: int
    app_key: str


def list_entries(conn: Connection, dead: bool) -> list[OutboxLine]:
    condition = OUTBOX.c.dead_at.is_not(None) if dead else OUTBOX.c.dead_at.is_(None)
    query = (
        select(OUTBOX, APPS.c.app_key)
        .join(APPS, APPS.c.id == OUTBOX.c.app_id)
        .where(condition)
        .order_by(OUTBOX.c.id)
    )
    return [OutboxLine._make(row) for row in conn.execute(query)]


def revive(conn: Connection, entry_ids: list[int] | None, now_ms: int) -> list[int]:
    """Dead entries due again now with a fresh set of tries (None: every dead entry); the ids
    revived."""
    statement = update(OUTBOX).where(OUTBOX.c.dead_at.is_not(None))
    if entry_ids is not None:
        statement = statement.where(OUTBOX.c.id.in_(entry_ids))
    values = {"dead_at": None, "attempts": 0, "due_at": now_ms, "lease_until": None}
    revived = conn.execute(statement.values(**values).returning(OUTBOX.c.id)).scalars()
    return sorted(revived)
