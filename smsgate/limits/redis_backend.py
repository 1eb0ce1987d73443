"""Frequency limits counted in Redis: one sorted set per key, checked and added by a Lua script.

The script runs atomically, so the count is exact across any number of processes. The hit is taken
before the database transaction; if that transaction then fails, the hit is given back.
"""

import uuid

from redis.asyncio import Redis

from smsgate.limits.rules import RateRule

# KEYS[1] = zset; ARGV = now_ms, member, longest_ms, then count, window_ms pairs.
_TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
for i = 4, #ARGV, 2 do
  local count = tonumber(ARGV[i])
  local window = tonumber(ARGV[i + 1])
  if redis.call('ZCOUNT', KEYS[1], '(' .. (now - window), '+inf') >= count then
    return 0
  end
end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisLimiter:
    def __init__(self, redis: Redis, prefix: str = "smsgate:limit:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._take = redis.register_script(_TAKE)

    async def take(self, key: str, rules: tuple[RateRule, ...], now_ms: int) -> str | None:
        """A token for the recorded hit, or None when a rule is full."""
        if not rules:
            return ""
        member = uuid.uuid4().hex
        longest = max(rule.window_seconds for rule in rules) * 1000
        args: list[int | str] = [now_ms, member, longest]
        for rule in rules:
            args += [rule.limit, rule.window_seconds * 1000]
        taken = await self._take(keys=[self._prefix + key], args=args)
        return member if taken == 1 else None

    async def give_back(self, key: str, token: str) -> None:
        if token:
            await self._redis.zrem(self._prefix + key, token)

    async def close(self) -> None:
        await self._redis.aclose()
