"""The statements of frequency limits counted in the database (the strategy in
limits/in_database.py), inside the send's own transaction; the rules' arithmetic is
limits/rules.py's.

Exact under concurrency because the count and the insert happen under a lock on the key: SQLite
serialises write transactions (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock
on the key's hash. A send that fails later rolls its hit back with everything else.
"""

from sqlalchemy import Connection, bindparam, delete, select

from smsgate.db import locks
from smsgate.db.inserts import FastInsert
from smsgate.db.models import LimitHit, table
from smsgate.db.selects import FastSelect
from smsgate.limits.rules import RateRule, first_full_rule, within_rules

HITS = table(LimitHit)
_RECENT = FastSelect(
    select(HITS.c.at)
    .where(HITS.c.key == bindparam("key"), HITS.c.at > bindparam("since"))
    .order_by(HITS.c.at.desc())
    .limit(bindparam("most"))
)
_INSERT = FastInsert(HITS, ("key", "at"))


def count_hit(conn: Connection, key: str, rules: tuple[RateRule, ...], now_ms: int) -> bool:
    """Record one send for `key` if every rule still allows it; False when one is full."""
    if not rules:
        return True
    locks.lock_key(conn, key)
    longest = max(rule.window_seconds for rule in rules) * 1000
    most = max(rule.limit for rule in rules)
    params = {"key": key, "since": now_ms - longest, "most": most}
    recent = _RECENT.scalars(conn, params)
    if not within_rules(recent, rules, now_ms):
        return False
    _INSERT.execute(conn, {"key": key, "at": now_ms})
    return True


def full_rule(
    conn: Connection, key: str, rules: tuple[RateRule, ...], now_ms: int
) -> RateRule | None:
    """After count_hit refused a send: which rule was full (read again, on the refusal path
    only, so counting stays one query)."""
    longest = max(rule.window_seconds for rule in rules) * 1000
    most = max(rule.limit for rule in rules)
    params = {"key": key, "since": now_ms - longest, "most": most}
    return first_full_rule(_RECENT.scalars(conn, params), rules, now_ms)


def prune_hits(conn: Connection, older_than_ms: int) -> int:
    result = conn.execute(delete(HITS).where(HITS.c.at <= older_than_ms))
    return int(result.rowcount or 0)
