"""Transaction-scoped locks on named keys: PostgreSQL's advisory locks on a key's 64-bit hash,
released at COMMIT or ROLLBACK. SQLite runs one write transaction at a time, so there every key
is already held by the one writer and these do nothing.

They run on the driver (db/driver.py): a send takes one or two of them.
"""

from collections.abc import Sequence

from sqlalchemy import Connection, text

from smsgate.db import driver


def _on_postgresql(sql: str) -> driver.DriverSql:
    compiled = driver.compile_for(text(sql), "postgresql")
    assert compiled is not None
    return compiled


_LOCK = _on_postgresql("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_TRY_LOCK = _on_postgresql("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")
# One round trip for many keys: unnest yields them in array order, and each row's lock is taken
# as the row is produced.
_LOCK_ALL = _on_postgresql(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
    "FROM unnest(CAST(:keys AS text[])) AS k"
)


def lock_key(conn: Connection, key: str) -> None:
    """Hold `key` until the transaction ends, waiting for a transaction that holds it."""
    if conn.dialect.name == "postgresql":
        driver.fetch(conn, _LOCK, {"key": key})


def try_lock_key(conn: Connection, key: str) -> bool:
    """Hold `key` unless another transaction holds it; whether it is now held."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(driver.fetch(conn, _TRY_LOCK, {"key": key})[0][0])


def lock_keys(conn: Connection, keys: Sequence[str]) -> None:
    """Hold every one of `keys`, taken in the given order (give every caller one order, and two
    transactions wanting the same keys wait for each other instead of deadlocking). Re-entrant:
    taking one again later in the transaction does not wait."""
    if conn.dialect.name == "postgresql" and keys:
        driver.fetch(conn, _LOCK_ALL, {"keys": list(keys)})
