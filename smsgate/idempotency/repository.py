"""Queries on stored idempotency keys (built once: see apps/repository.py)."""

from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, select

from smsgate.db import locks
from smsgate.db.models import IdempotencyKey, table
from smsgate.db.upserts import insert_or_ignore

KEYS = table(IdempotencyKey)
_FIND = select(KEYS).where(
    KEYS.c.app_id == bindparam("for_app"), KEYS.c.key == bindparam("for_key")
)
_INSERT = insert(KEYS)
_INSERT_ONCE = insert_or_ignore(KEYS, ["app_id", "key"])
_FORGET_EXPIRED = delete(KEYS).where(
    KEYS.c.app_id == bindparam("for_app"),
    KEYS.c.key == bindparam("for_key"),
    KEYS.c.expires_at <= bindparam("now"),
)
_PRUNE = delete(KEYS).where(KEYS.c.expires_at <= bindparam("now"))
# Held until the transaction ends; never waits: a key another transaction holds is in flight.


def _lock_key(app_id: int, key: str) -> str:
    return f"idempotency:{app_id}:{key}"


def try_lock(conn: Connection, app_id: int, key: str) -> bool:
    """PostgreSQL: take the key's transaction lock unless another transaction holds it. SQLite
    runs one write transaction at a time, so there the key is always free."""
    return locks.try_lock_key(conn, _lock_key(app_id, key))


def lock(conn: Connection, app_id: int, key: str) -> None:
    """As `try_lock`, waiting for a transaction in flight to end."""
    locks.lock_key(conn, _lock_key(app_id, key))


class StoredAnswer(NamedTuple):
    """A key's row: the answer replayed to the key's repeats while it has not expired."""

    app_id: int
    key: str
    fingerprint: str  # of the request that was answered
    status: int
    body: bytes
    created_at: int
    expires_at: int


def find(conn: Connection, app_id: int, key: str) -> StoredAnswer | None:
    row = conn.execute(_FIND, {"for_app": app_id, "for_key": key}).first()
    return None if row is None else StoredAnswer._make(row)


def forget_expired(conn: Connection, app_id: int, key: str, now_ms: int) -> None:
    conn.execute(_FORGET_EXPIRED, {"for_app": app_id, "for_key": key, "now": now_ms})


def insert_answer(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_INSERT, values)


def insert_answer_once(conn: Connection, values: dict[str, Any]) -> None:
    """Insert unless the key has an answer already (then that one stands)."""
    _INSERT_ONCE.execute(conn, values)


def prune(conn: Connection, now_ms: int) -> int:
    return int(conn.execute(_PRUNE, {"now": now_ms}).rowcount or 0)
