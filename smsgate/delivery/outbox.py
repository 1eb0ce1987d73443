"""The outbox: messages accepted but not yet taken by a provider.

A row is written in the same transaction as its message, claimed by a worker with a lease (so a
worker that dies mid-delivery only delays the row), and deleted when a provider has taken the
message, which also scrubs any code in its payload.
"""

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, or_, select, update

from smsgate.db.engine import Database
from smsgate.db.models import OutboxEntry


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
    conn.execute(
        insert(OutboxEntry).values(
            msg_id=msg_id,
            channel=channel,
            payload=orjson.dumps(payload).decode(),
            attempts=0,
            due_at=now_ms,
            created_at=now_ms,
        )
    )


async def claim_due_outbox(
    db: Database, now_ms: int, limit: int, lease_ms: int
) -> list[ClaimedEntry]:
    """Lease up to `limit` due rows to this worker (SKIP LOCKED on PostgreSQL)."""
    due = (
        select(OutboxEntry.id)
        .where(
            OutboxEntry.due_at <= now_ms,
            or_(OutboxEntry.lease_until.is_(None), OutboxEntry.lease_until <= now_ms),
        )
        .order_by(OutboxEntry.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(due.scalar_subquery()))
        .values(lease_until=now_ms + lease_ms, attempts=OutboxEntry.attempts + 1)
        .returning(
            OutboxEntry.id,
            OutboxEntry.msg_id,
            OutboxEntry.channel,
            OutboxEntry.payload,
            OutboxEntry.attempts,
        )
    )
    rows = await db.write(lambda conn: conn.execute(claim).all())
    return [
        ClaimedEntry(row.id, row.msg_id, row.channel, orjson.loads(row.payload), row.attempts)
        for row in rows
    ]


def remove_entry(conn: Connection, entry_id: int) -> None:
    conn.execute(delete(OutboxEntry).where(OutboxEntry.id == entry_id))


async def retry_later(db: Database, entry_id: int, due_at: int, error: str) -> None:
    statement = (
        update(OutboxEntry)
        .where(OutboxEntry.id == entry_id)
        .values(due_at=due_at, lease_until=None, last_error=error[:2000])
    )
    await db.write(lambda conn: conn.execute(statement))
