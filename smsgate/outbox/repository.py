"""The outbox: messages accepted but not yet taken by a provider.

A row is written in the same transaction as its message, claimed by a worker with a lease (so a
worker that dies mid-delivery only delays the row), and deleted when a provider has taken the
message, which also scrubs any code in its payload. Statements are built once (see
apps/repository.py).
"""

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, func, select, update

from smsgate.db.engine import Database
from smsgate.db.inserts import FastInsert
from smsgate.db.leases import lease_claim
from smsgate.db.models import OutboxEntry, table

OUTBOX = table(OutboxEntry)
_INSERT = FastInsert(OUTBOX, ("msg_id", "channel", "payload", "attempts", "due_at", "created_at"))
_CLAIM = lease_claim(
    OUTBOX,
    OUTBOX.c.id,
    OUTBOX.c.due_at,
    values={"attempts": OUTBOX.c.attempts + 1},
    returning=(OUTBOX.c.id, OUTBOX.c.msg_id, OUTBOX.c.channel, OUTBOX.c.payload, OUTBOX.c.attempts),
)
_DEPTH = select(func.count()).select_from(OUTBOX)
# Ids grow with inserts: the lowest id is the oldest row, found through the primary key.
_OLDEST = select(OUTBOX.c.created_at).order_by(OUTBOX.c.id).limit(1)
_RELEASE = (
    update(OUTBOX).where(OUTBOX.c.id.in_(bindparam("ids", expanding=True))).values(lease_until=None)
)
_REMOVE = delete(OUTBOX).where(OUTBOX.c.id == bindparam("entry_id"))
_RETRY = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("entry_id"))
    .values(due_at=bindparam("new_due_at"), lease_until=None, last_error=bindparam("error"))
)


@dataclass(frozen=True, slots=True)
class ClaimedEntry:
    id: int
    msg_id: str
    channel: str
    payload: dict[str, Any]
    attempts: int


def enqueue(
    conn: Connection, msg_id: str, channel: str, payload: dict[str, Any], now_ms: int
) -> None:
    values = {
        "msg_id": msg_id,
        "channel": channel,
        "payload": orjson.dumps(payload).decode(),
        "attempts": 0,
        "due_at": now_ms,
        "created_at": now_ms,
    }
    _INSERT.execute(conn, values)


async def claim_due_outbox(
    db: Database, now_ms: int, limit: int, lease_ms: int
) -> list[ClaimedEntry]:
    """Lease up to `limit` due rows to this worker (SKIP LOCKED on PostgreSQL)."""
    params = {"now": now_ms, "limit": limit, "new_lease": now_ms + lease_ms}
    rows = await db.write(lambda conn: conn.execute(_CLAIM, params).all())
    return [
        ClaimedEntry(row.id, row.msg_id, row.channel, orjson.loads(row.payload), row.attempts)
        for row in rows
    ]


def remove_entries(conn: Connection, entry_ids: list[int]) -> None:
    if entry_ids:
        conn.execute(_REMOVE, [{"entry_id": entry_id} for entry_id in entry_ids])


async def release_all_leases(db: Database) -> int:
    """Make every claimed row due again. Only for a worker that knows it is the only one (the
    embedded worker on SQLite): rows a killed predecessor had claimed go out at once instead of
    waiting out their lease."""
    statement = update(OUTBOX).where(OUTBOX.c.lease_until.is_not(None)).values(lease_until=None)
    return int(await db.write(lambda conn: conn.execute(statement).rowcount))


def retry_entry(conn: Connection, entry_id: int, due_at: int, error: str) -> None:
    conn.execute(_RETRY, {"entry_id": entry_id, "new_due_at": due_at, "error": error[:2000]})


async def release_leases(db: Database, entry_ids: list[int]) -> None:
    """Hand rows this worker claimed back to the outbox, due at once (a stopping worker that
    could not finish its pass)."""
    if entry_ids:
        await db.write(lambda conn: conn.execute(_RELEASE, {"ids": entry_ids}))


async def outbox_summary(db: Database) -> tuple[int, int | None]:
    """(rows waiting, created_at of the oldest): a count over a table that stays short, and
    one primary-key lookup."""
    return await db.read(
        lambda conn: (int(conn.execute(_DEPTH).scalar_one()), conn.execute(_OLDEST).scalar())
    )
