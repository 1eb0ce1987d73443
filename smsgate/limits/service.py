"""Frequency limits: the key a send is counted under, the marketing hours, and the strategy a
process counts with (limits/strategy.py: in the database, or in Redis when configured)."""

import hashlib
from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from smsgate.limits.in_database import DatabaseLimiter
from smsgate.limits.in_redis import RedisLimiter
from smsgate.limits.rules import RateRule, within_rules
from smsgate.limits.strategy import Limiter


def limit_key(kind: str, app_id: int, mobile: str, content: str | None = None) -> str:
    """Per app and number; notifications are limited per identical text, so the text joins in."""
    key = f"{kind}:{app_id}:{mobile}"
    if content is not None:
        key += ":" + hashlib.sha256(content.encode()).hexdigest()[:16]
    return key


def open_limiter(redis_url: str | None, prefix: str) -> Limiter:
    """Redis when a URL is configured (several processes share its counts), else the database."""
    if redis_url:
        return RedisLimiter(Redis.from_url(redis_url), prefix)
    return DatabaseLimiter()


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
    return within_rules(recent_desc, rules, now_ms)
