"""Statements run on the driver itself (smsgate/db/driver.py), on both backends: they run inside
the transaction SQLAlchemy began (a rollback takes them back), they read what was written, and a
driver error reaches the caller as SQLAlchemy's own exception class, as `Connection.execute`
would raise it."""

import pytest
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from smsgate.db.engine import Database
from smsgate.db.inserts import FastInsert, FastUpsert
from smsgate.db.models import FraudCount, LimitHit, table
from smsgate.db.selects import FastSelect
from smsgate.db.updates import FastUpdate
from tests.support.databases import Abandoned

HITS = table(LimitHit)
INSERT_HIT = FastInsert(HITS, ("id", "key", "at"))
HITS_OF_KEY = FastSelect(
    select(HITS.c.id, HITS.c.at).where(HITS.c.key == bindparam("key")).order_by(HITS.c.id)
)


async def test_rows_written_on_the_driver_are_read_back_and_committed(db: Database) -> None:
    def write(conn: Connection) -> list[tuple[int, int]]:
        INSERT_HIT.execute(conn, {"id": 1, "key": "k", "at": 10})
        INSERT_HIT.execute(conn, {"id": 2, "key": "k", "at": 20})
        return [tuple(row) for row in HITS_OF_KEY.rows(conn, {"key": "k"})]

    assert await db.write(write) == [(1, 10), (2, 20)]
    first = await db.read(lambda conn: HITS_OF_KEY.first(conn, {"key": "k"}))
    assert (first.id, first.at) == (1, 10)


async def test_a_rollback_takes_back_what_the_driver_wrote(db: Database) -> None:
    def write_then_fail(conn: Connection) -> None:
        INSERT_HIT.execute(conn, {"id": 7, "key": "gone", "at": 1})
        raise Abandoned

    with pytest.raises(Abandoned):
        await db.write(write_then_fail)
    assert await db.read(lambda conn: HITS_OF_KEY.rows(conn, {"key": "gone"})) == []


async def test_a_constraint_violation_is_sqlalchemys_integrity_error(db: Database) -> None:
    await db.write(lambda conn: INSERT_HIT.execute(conn, {"id": 3, "key": "k", "at": 1}))

    with pytest.raises(IntegrityError):
        await db.write(lambda conn: INSERT_HIT.execute(conn, {"id": 3, "key": "other", "at": 2}))
    # The connection is usable after the failed transaction.
    assert await db.read(lambda conn: HITS_OF_KEY.scalars(conn, {"key": "k"})) == [3]


async def test_an_upsert_of_many_rows_adds_to_existing_counters(db: Database) -> None:
    counts = table(FraudCount)
    upsert = FastUpsert(
        counts, ("app_id", "scope", "bucket", "sent", "verified"), ("app_id", "scope", "bucket")
    )
    row = {"app_id": 1, "scope": "country:86", "bucket": 60_000, "sent": 1, "verified": 0}
    await db.write(lambda conn: upsert.execute_many(conn, [row, row | {"verified": 1}]))
    await db.write(lambda conn: upsert.execute_many(conn, [row]))
    totals = await db.read(
        lambda conn: conn.execute(select(counts.c.sent, counts.c.verified)).all()
    )
    assert [tuple(total) for total in totals] == [(3, 1)]


async def test_an_update_of_many_rows_changes_each_with_its_own_values(db: Database) -> None:
    at_of = FastUpdate(update(HITS).where(HITS.c.id == bindparam("hit")).values(at=bindparam("to")))
    rows = [{"id": n, "key": "u", "at": 0} for n in (11, 12, 13)]
    await db.write(lambda conn: INSERT_HIT.execute_many(conn, rows))
    await db.write(
        lambda conn: at_of.execute_many(conn, [{"hit": 11, "to": 5}, {"hit": 13, "to": 7}])
    )
    found = await db.read(lambda conn: HITS_OF_KEY.rows(conn, {"key": "u"}))
    assert [tuple(row) for row in found] == [(11, 5), (12, 0), (13, 7)]
