"""Frequency limits counted in the database, inside the send's own transaction.

Exact under concurrency because the count and the insert happen under a lock on the key: SQLite
serialises write transactions (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock
on the key's hash. A send that fails later rolls its hit back with everything else.
"""

from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db.models import LimitHit
from smsgate.limits.rules import RateRule

_LOCK_KEY = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")


async def count_hit(
    conn: AsyncConnection, key: str, rules: tuple[RateRule, ...], now_ms: int
) -> bool:
    """Record one send for `key` if every rule still allows it; False when one is full."""
    if not rules:
        return True
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key}
        )
    longest = max(rule.window_seconds for rule in rules) * 1000
    most = max(rule.limit for rule in rules)
    result = await conn.execute(
        select(LimitHit.at)
        .where(LimitHit.key == key, LimitHit.at > now_ms - longest)
        .order_by(LimitHit.at.desc())
        .limit(most)
    )
    recent = result.scalars().all()
    if not within_rules(recent, rules, now_ms):
        return False
    await conn.execute(insert(LimitHit).values(key=key, at=now_ms))
    return True


def within_rules(recent_desc: Sequence[int], rules: tuple[RateRule, ...], now_ms: int) -> bool:
    """Whether one more send fits, given the most recent hit times (newest first)."""
    for rule in rules:
        since = now_ms - rule.window_seconds * 1000
        if sum(1 for at in recent_desc[: rule.limit] if at > since) >= rule.limit:
            return False
    return True


async def prune_hits(conn: AsyncConnection, older_than_ms: int) -> int:
    result = await conn.execute(delete(LimitHit).where(LimitHit.at <= older_than_ms))
    return int(result.rowcount or 0)


async def hits_for(conn: AsyncConnection, key: str) -> int:
    return int((await conn.execute(select(func.count()).where(LimitHit.key == key))).scalar_one())
