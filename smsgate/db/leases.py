"""Claiming due rows with a lease: the one query the outbox, callbacks, schedules and voice
fallbacks share.

`UPDATE t SET lease_until = :new_lease ... WHERE key IN (SELECT key FROM t WHERE due <= :now
AND (lease_until IS NULL OR lease_until <= :now) ... ORDER BY due, key LIMIT :limit FOR UPDATE
SKIP LOCKED) RETURNING ...`: on PostgreSQL several processes take different rows; a claimed row
whose process died is due again once its lease has passed. SQLite ignores the locking clause
(one writer at a time).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, Update, bindparam, or_, select, update


def lease_claim(
    table: Table,
    key: ColumnElement[Any],
    due: ColumnElement[Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    values: Mapping[str, Any] | None = None,
    returning: Sequence[ColumnElement[Any]],
) -> Update:
    """The claim statement, built once; execute it with `now`, `limit` and `new_lease`."""
    lease_until = table.c.lease_until
    chosen = (
        select(key)
        .where(
            due <= bindparam("now"),
            or_(lease_until.is_(None), lease_until <= bindparam("now")),
            *where,
        )
        .order_by(due, key)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return (
        update(table)
        .where(key.in_(chosen.scalar_subquery()))
        .values(lease_until=bindparam("new_lease"), **(values or {}))
        .returning(*returning)
    )
