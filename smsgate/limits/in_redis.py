"""Frequency limits counted in Redis: one sorted set per key, checked and added by a Lua script.

The script runs atomically, so the count is exact across any number of processes. The hit is taken
before the database transaction (so the send is built first, in a read of its own: the key may
depend on the text); if that transaction then fails, or refuses the send, the hit is given back.
"""

import uuid
from collections.abc import Callable

from redis.asyncio import Redis
from sqlalchemy import Connection

from smsgate.db.engine import Database
from smsgate.errors import Code, JsmsError
from smsgate.limits.rules import RateRule
from smsgate.limits.strategy import First, Limiter, Outcome, Sent, limit_detail

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


class RedisLimiter(Limiter):
    def __init__(self, redis: Redis, prefix: str = "smsgate:limit:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._take = redis.register_script(_TAKE)

    async def write_one(
        self,
        db: Database,
        first: First,
        build: Callable[[Connection], Sent],
        write: Callable[[Connection, Sent], Outcome | JsmsError],
        now_ms: int,
    ) -> Outcome | JsmsError:
        sent = await db.read(build)
        token = await self.take(sent.limit_key, sent.rules, now_ms)
        if token is None:
            raise JsmsError(Code.OUT_OF_FREQ, limit_detail(sent.limit_key, sent.rules))

        def work(conn: Connection) -> Outcome | JsmsError:
            first(conn)
            return write(conn, sent)

        try:
            outcome = await db.write(work)
        except BaseException:
            await self.give_back(sent.limit_key, token)
            raise
        if isinstance(outcome, JsmsError):
            await self.give_back(sent.limit_key, token)
        return outcome

    async def write_batch(
        self,
        db: Database,
        first: First,
        build: Callable[[Connection], list[Sent | JsmsError]],
        write: Callable[[Connection, list[Sent | JsmsError]], list[Outcome | JsmsError]],
        now_ms: int,
    ) -> list[Outcome | JsmsError]:
        """Each recipient's hit is taken one by one (a full rule refuses that recipient only),
        and given back for every recipient that did not commit."""
        built = await db.read(build)
        tokens: dict[int, tuple[str, str]] = {}  # position -> (limit key, token of its hit)
        for position, sent in enumerate(built):
            if isinstance(sent, JsmsError):
                continue
            token = await self.take(sent.limit_key, sent.rules, now_ms)
            if token is None:
                built[position] = JsmsError(Code.OUT_OF_FREQ)
            else:
                tokens[position] = (sent.limit_key, token)

        def work(conn: Connection) -> list[Outcome | JsmsError]:
            first(conn)
            return write(conn, built)

        try:
            outcomes = await db.write(work)
        except BaseException:
            for key, token in tokens.values():
                await self.give_back(key, token)
            raise
        for position, (key, token) in tokens.items():
            if isinstance(outcomes[position], JsmsError):
                await self.give_back(key, token)
        return outcomes

    def count(self, conn: Connection, key: str, rules: tuple[RateRule, ...], now_ms: int) -> None:
        """Counted before the transaction (`take`): nothing to do inside it."""

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
