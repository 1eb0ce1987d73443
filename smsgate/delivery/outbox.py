"""The outbox: messages accepted but not yet taken by a provider.

A row is written in the same transaction as its message, claimed by a worker with a lease (so a
worker that dies mid-delivery only delays the row), and deleted when a provider has taken the
message, which also scrubs any code in its payload.
"""

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db.engine import Database
from smsgate.db.models import OutboxEntry


@dataclass(frozen=True, slots=True)
class ClaimedEntry:
    id: int
    msg_id: str
    channel: str
    payload: dict[str, Any]
    attempts: int


async def enqueue(
    conn: AsyncConnection, msg_id: str, channel: str, payload: dict[str, Any], now_ms: int
) -> None:
    await conn.execute(
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
    async with db.write() as conn:
        result = await conn.execute(
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
        rows = result.all()
    return [
        ClaimedEntry(row.id, row.msg_id, row.channel, orjson.loads(row.payload), row.attempts)
        for row in rows
    ]


async def remove_entry(conn: AsyncConnection, entry_id: int) -> None:
    await conn.execute(delete(OutboxEntry).where(OutboxEntry.id == entry_id))


async def retry_later(db: Database, entry_id: int, due_at: int, error: str) -> None:
    async with db.write() as conn:
        await conn.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id)
            .values(due_at=due_at, lease_until=None, last_error=error[:2000])
        )
