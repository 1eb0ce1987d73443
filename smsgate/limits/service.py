"""Frequency limits: which rule applies to a send, and counting it on the configured backend."""

import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from smsgate.errors import JsmsError
from smsgate.limits import sql_backend
from smsgate.limits.redis_backend import RedisLimiter
from smsgate.limits.rules import RateRule


def limit_key(kind: str, app_id: int, mobile: str, content: str | None = None) -> str:
    """Per app and number; notifications are limited per identical text, so the text joins in."""
    key = f"{kind}:{app_id}:{mobile}"
    if content is not None:
        key += ":" + hashlib.sha256(content.encode()).hexdigest()[:16]
    return key


class Limiter:
    """Counts sends against rules, in Redis when configured, else in the send's transaction."""

    def __init__(self, redis: RedisLimiter | None = None) -> None:
        self._redis = redis

    @asynccontextmanager
    async def reserve(
        self, key: str, rules: tuple[RateRule, ...], now_ms: int
    ) -> AsyncIterator[None]:
        """Around the database transaction: takes a Redis hit first, gives it back on failure."""
        if self._redis is None:
            yield
            return
        token = await self._redis.take(key, rules, now_ms)
        if token is None:
            raise JsmsError(50009, limit_detail(key, rules))
        try:
            yield
        except BaseException:
            await self._redis.give_back(key, token)
            raise

    async def take(self, key: str, rules: tuple[RateRule, ...], now_ms: int) -> str | None:
        """Redis only: one hit taken now (a token to give it back), or None when a rule is full.
        For a batch, whose recipients are counted one by one before its transaction."""
        assert self._redis is not None
        return await self._redis.take(key, rules, now_ms)

    async def give_back(self, key: str, token: str) -> None:
        assert self._redis is not None
        await self._redis.give_back(key, token)

    def lock_in_order(self, conn: Connection, keys: list[str]) -> None:
        """Before counting many keys in one transaction (a batch): lock them all in one order on
        PostgreSQL, so two batches sharing numbers wait for each other instead of deadlocking."""
        if self._redis is None:
            sql_backend.lock_keys(conn, sorted(set(keys)))

    @property
    def counts_in_database(self) -> bool:
        return self._redis is None

    def count(self, conn: Connection, key: str, rules: tuple[RateRule, ...], now_ms: int) -> None:
        """Inside the transaction: the SQL backend's exact check-and-count (no-op with Redis)."""
        if self._redis is None and not sql_backend.count_hit(conn, key, rules, now_ms):
            full = sql_backend.full_rule(conn, key, rules, now_ms)
            raise JsmsError(50009, limit_detail(key, (full,) if full else rules))

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()


def limit_detail(key: str, rules: tuple[RateRule, ...]) -> str:
    """Which limit refused a send, for the operator ("code 1/60": at most 1 in 60 s); the
    key's kind only, never its number."""
    kind = key.split(":", 1)[0]
    return f"{kind} " + ",".join(str(rule) for rule in rules)


def within_hours(now_ms: int, hours: str, zone: str) -> bool:
    """Whether local time in `zone` falls inside "HH:MM-HH:MM" (the marketing window)."""
    start_text, _, end_text = hours.partition("-")
    local = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(zone)).time()
    start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight, e.g. 22:00-06:00


def within_limits(recent_desc: Sequence[int], rules: tuple[RateRule, ...], now_ms: int) -> bool:
    """Whether one more event fits `rules`, given the newest event times first: the one rule
    check, also for counters kept elsewhere (the console's failed sign-ins)."""
    return sql_backend.within_rules(recent_desc, rules, now_ms)
