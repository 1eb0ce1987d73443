"""Queries of the pumping defence and spend caps. Statements are built once (see
apps/repository.py). Counting is exact across processes: on PostgreSQL a transaction-scoped
advisory lock per number range serialises the range rules (see fraud/range_rules.py), and spend
windows are row-locked while checked; SQLite runs one write transaction at a time anyway."""

import secrets
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    func,
    select,
    update,
)

from smsgate.db import locks
from smsgate.db.inserts import FastInsert, FastUpsert
from smsgate.db.models import FraudAttempt, FraudCount, FraudEvent, FraudPolicy, SpendWindow, table
from smsgate.db.selects import FastSelect
from smsgate.db.upserts import dialect_insert

POLICIES = table(FraudPolicy)
ATTEMPTS = table(FraudAttempt)
COUNTS = table(FraudCount)
EVENTS = table(FraudEvent)
SPEND = table(SpendWindow)

_POLICY = FastSelect(select(POLICIES).where(POLICIES.c.app_id == bindparam("app_id")))
_RANGE_RECENT = FastSelect(
    select(ATTEMPTS.c.at)
    .where(
        ATTEMPTS.c.app_id == bindparam("app_id"),
        ATTEMPTS.c.number_range == bindparam("number_range"),
        ATTEMPTS.c.at > bindparam("since"),
    )
    .order_by(ATTEMPTS.c.at.desc())
    .limit(bindparam("most"))
)
_NEIGHBOURS = FastSelect(
    select(func.count(func.distinct(ATTEMPTS.c.national))).where(
        ATTEMPTS.c.app_id == bindparam("app_id"),
        ATTEMPTS.c.country_code == bindparam("country_code"),
        ATTEMPTS.c.national.between(bindparam("low"), bindparam("high")),
        ATTEMPTS.c.national != bindparam("national"),
        ATTEMPTS.c.at > bindparam("since"),
    )
)


def _accepted_since(scope: ColumnElement[Any], name: str) -> Select[Any]:
    """The latest accepted attempts of one app within a range or a country, newest first."""
    return (
        select(ATTEMPTS.c.at)
        .where(
            ATTEMPTS.c.app_id == bindparam("app_id"),
            scope == bindparam(name),
            ATTEMPTS.c.at > bindparam("since"),
            ATTEMPTS.c.msg_id.is_not(None),
        )
        .order_by(ATTEMPTS.c.at.desc())
        .limit(bindparam("most"))
    )


_ACCEPTED_IN_RANGE = FastSelect(_accepted_since(ATTEMPTS.c.number_range, "number_range"))
_ACCEPTED_IN_COUNTRY = FastSelect(_accepted_since(ATTEMPTS.c.country_code, "country_code"))
_CONVERSION = FastSelect(
    select(
        func.coalesce(func.sum(COUNTS.c.sent), 0), func.coalesce(func.sum(COUNTS.c.verified), 0)
    ).where(
        COUNTS.c.app_id == bindparam("app_id"),
        COUNTS.c.scope == bindparam("scope"),
        COUNTS.c.bucket.between(bindparam("first"), bindparam("last")),
    )
)
_ATTEMPT_OF = FastSelect(select(ATTEMPTS).where(ATTEMPTS.c.msg_id == bindparam("msg_id")))
_INSERT_ATTEMPT = FastInsert(
    ATTEMPTS, ("app_id", "country_code", "national", "number_range", "at", "msg_id")
)
# A scope's counts of one bucket are spread over COUNTER_SHARDS rows (the bucket's start plus 0 to
# COUNTER_SHARDS - 1 ms, picked at random); readers sum them. With one row, every code send of an
# app to one country would wait on that row's lock until the sender before it committed.
COUNTER_SHARDS = 8
# One statement for both columns: the column not counted adds 0.
_COUNT = FastUpsert(
    COUNTS, ("app_id", "scope", "bucket", "sent", "verified"), ("app_id", "scope", "bucket")
)
_INSERT_EVENT = FastInsert(
    EVENTS, ("at", "app_id", "rule", "number_range", "mode", "decision", "msg_id")
)
# Bound as key_<column>: an UPDATE may not bind a column's own name in its WHERE.
_SPEND_KEY = tuple(
    SPEND.c[name] == bindparam(f"key_{name}") for name in ("app_id", "scope", "period", "start")
)
_SPEND_UNITS = select(SPEND.c.units).where(*_SPEND_KEY)
_SPEND_ADD = update(SPEND).where(*_SPEND_KEY).values(units=SPEND.c.units + bindparam("units"))
_SPEND_ALERT = update(SPEND).where(*_SPEND_KEY, SPEND.c.alerted.is_(False)).values(alerted=True)


def lock(conn: Connection, key: str) -> None:
    """Until the transaction ends, on PostgreSQL (SQLite has one writer)."""
    locks.lock_key(conn, key)


def lock_all(conn: Connection, keys: list[str]) -> None:
    """`lock` for each of `keys`, in their order, in one statement."""
    locks.lock_keys(conn, keys)


class PolicyRow(NamedTuple):
    """An app's own choices; None in a column: the server's default."""

    app_id: int
    mode: str | None
    allowed_countries: str | None
    blocked_prefixes: str | None
    allowed_prefixes: str | None
    hourly_cap: int | None
    daily_cap: int | None
    country_caps: str | None  # JSON


def policy_row(conn: Connection, app_id: int) -> PolicyRow | None:
    rows = _POLICY.rows(conn, {"app_id": app_id})
    return PolicyRow._make(rows[0]) if rows else None


def save_policy(conn: Connection, app_id: int, changes: dict[str, object]) -> None:
    statement = dialect_insert(conn, POLICIES).values(app_id=app_id, **changes)
    conn.execute(statement.on_conflict_do_update(index_elements=["app_id"], set_=changes))


def range_attempts(
    conn: Connection, app_id: int, number_range: str, since: int, most: int
) -> list[int]:
    params = {"app_id": app_id, "number_range": number_range, "since": since, "most": most}
    return _RANGE_RECENT.scalars(conn, params)


def neighbours(
    conn: Connection, app_id: int, country_code: int, national: int, distance: int, since: int
) -> int:
    """Distinct other numbers within `distance` of this one that had attempts since `since`."""
    params = {
        "app_id": app_id,
        "country_code": country_code,
        "low": national - distance,
        "high": national + distance,
        "national": national,
        "since": since,
    }
    return int(_NEIGHBOURS.one(conn, params)[0])


def accepted_in_range(
    conn: Connection, app_id: int, number_range: str, since: int, most: int
) -> list[int]:
    params = {"app_id": app_id, "number_range": number_range, "since": since, "most": most}
    return _ACCEPTED_IN_RANGE.scalars(conn, params)


def accepted_in_country(
    conn: Connection, app_id: int, country_code: int, since: int, most: int
) -> list[int]:
    params = {"app_id": app_id, "country_code": country_code, "since": since, "most": most}
    return _ACCEPTED_IN_COUNTRY.scalars(conn, params)


def conversion(conn: Connection, app_id: int, scope: str, first: int, last: int) -> tuple[int, int]:
    params = {"app_id": app_id, "scope": scope, "first": first, "last": _with_shards(last)}
    sent, verified = _CONVERSION.one(conn, params)
    return int(sent), int(verified)


def count(conn: Connection, app_id: int, scopes: tuple[str, ...], bucket: int, column: str) -> None:
    """One more code sent or verified in each scope's bucket (created at zero when new)."""
    shard = bucket + secrets.randbelow(COUNTER_SHARDS)
    rows = [
        {"app_id": app_id, "scope": scope, "bucket": shard, "sent": 0, "verified": 0, column: 1}
        for scope in scopes
    ]
    _COUNT.execute_many(conn, rows)


def conversions(conn: Connection, app_id: int, first: int, last: int) -> dict[str, dict[str, int]]:
    """Sent and verified per country scope over the buckets [first, last]."""
    query = (
        select(COUNTS.c.scope, func.sum(COUNTS.c.sent), func.sum(COUNTS.c.verified))
        .where(
            COUNTS.c.app_id == app_id,
            COUNTS.c.scope.like("country:%"),
            COUNTS.c.bucket.between(first, _with_shards(last)),
        )
        .group_by(COUNTS.c.scope)
    )
    return {
        scope: {"sent": int(sent), "verified": int(verified)}
        for scope, sent, verified in conn.execute(query)
    }


def _with_shards(last_bucket: int) -> int:
    """The last row of the bucket starting at `last_bucket`."""
    return last_bucket + COUNTER_SHARDS - 1


class Attempt(NamedTuple):
    """A code that reached the range rules."""

    id: int
    app_id: int
    country_code: int
    national: int
    number_range: str
    at: int
    msg_id: str | None  # None: refused


def attempt_of(conn: Connection, msg_id: str) -> Attempt | None:
    rows = _ATTEMPT_OF.rows(conn, {"msg_id": msg_id})
    return Attempt._make(rows[0]) if rows else None


def insert_attempt(conn: Connection, values: dict[str, object]) -> None:
    _INSERT_ATTEMPT.execute(conn, values)


def insert_event(conn: Connection, values: dict[str, object]) -> None:
    _INSERT_EVENT.execute(conn, values)


class Decision(NamedTuple):
    """A decision of the pumping defence or a spend cap, the number kept as its range."""

    id: int
    at: int
    app_id: int
    rule: str
    number_range: str
    mode: str  # shadow, enforce
    decision: str  # refused; allowed (shadow)
    msg_id: str | None


def events(conn: Connection, app_id: int, limit: int) -> list[Decision]:
    query = (
        select(EVENTS)
        .where(EVENTS.c.app_id == app_id)
        .order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc())
        .limit(limit)
    )
    return [Decision._make(row) for row in conn.execute(query)]


def events_of_message(conn: Connection, msg_id: str) -> list[Decision]:
    query = select(EVENTS).where(EVENTS.c.msg_id == msg_id).order_by(EVENTS.c.id)
    return [Decision._make(row) for row in conn.execute(query)]


def spend_units(conn: Connection, key: dict[str, object]) -> int:
    """The window's units, the row created at zero if new and locked until the transaction
    ends (PostgreSQL), so concurrent sends check and add one after another."""
    statement = dialect_insert(conn, SPEND).values(**key, units=0, alerted=False)
    conn.execute(statement.on_conflict_do_nothing())
    query = _SPEND_UNITS.with_for_update() if conn.dialect.name == "postgresql" else _SPEND_UNITS
    return int(conn.execute(query, _bound(key)).scalar_one())


def add_spend(conn: Connection, key: dict[str, object], units: int) -> None:
    conn.execute(_SPEND_ADD, {**_bound(key), "units": units})


def mark_alerted(conn: Connection, key: dict[str, object]) -> bool:
    """True only for the first caller in the window."""
    return conn.execute(_SPEND_ALERT, _bound(key)).rowcount == 1


def _bound(key: dict[str, object]) -> dict[str, object]:
    return {f"key_{name}": value for name, value in key.items()}


class Spent(NamedTuple):
    """Units an app spent in one cap window."""

    app_id: int
    scope: str  # all, or a region
    period: str  # hourly, daily
    start: int
    units: int
    alerted: bool


def spend_windows(conn: Connection, app_id: int, since: int) -> list[Spent]:
    query = select(SPEND).where(SPEND.c.app_id == app_id, SPEND.c.start >= since)
    return [Spent._make(row) for row in conn.execute(query.order_by(SPEND.c.start, SPEND.c.scope))]


def prune(conn: Connection, counters_before: int, spend_before: int, events_before: int) -> int:
    """Drop what no window can see any more, and decisions after their keeping time."""
    statements = (
        delete(ATTEMPTS).where(ATTEMPTS.c.at <= counters_before),
        delete(COUNTS).where(COUNTS.c.bucket <= counters_before),
        delete(SPEND).where(SPEND.c.start <= spend_before),
        delete(EVENTS).where(EVENTS.c.at <= events_before),
    )
    return sum(int(conn.execute(statement).rowcount or 0) for statement in statements)
