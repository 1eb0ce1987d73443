"""A write transaction's INSERTs sent together (smsgate/db/write_queue.py): on PostgreSQL they
go in one statement with the transaction's next one, and every outcome is the one separate
INSERTs give: rows, foreign keys, counters, failures and rollbacks; SQLite runs each at once
and must give the same results."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from smsgate.context import Context
from smsgate.db import driver, write_queue
from smsgate.db.engine import Database
from smsgate.db.inserts import FastInsert, FastUpsert
from smsgate.db.models import FraudCount, LimitHit, Message, VerificationCode, table
from smsgate.db.selects import FastSelect
from tests.support.databases import Abandoned
from tests.support.tenants import Tenant

HITS = table(LimitHit)
COUNTS = table(FraudCount)
INSERT_HIT = FastInsert(HITS, ("id", "key", "at"))
HITS_OF_KEY = FastSelect(select(HITS.c.id).where(HITS.c.key == bindparam("key")))
INSERT_MESSAGE = FastInsert(
    table(Message),
    (
        "id",
        "app_id",
        "kind",
        "channel",
        "mobile",
        "segments",
        "quota_units",
        "status",
        "created_at",
    ),
)
INSERT_CODE = FastInsert(
    table(VerificationCode), ("msg_id", "app_id", "code_hash", "expires_at", "attempts")
)
COUNT = FastUpsert(
    COUNTS, ("app_id", "scope", "bucket", "sent", "verified"), ("app_id", "scope", "bucket")
)


def _message(msg_id: str, app_id: int) -> dict[str, Any]:
    return {
        "id": msg_id,
        "app_id": app_id,
        "kind": "code",
        "channel": "sms",
        "mobile": "+8613800138000",
        "segments": 1,
        "quota_units": 0,
        "status": "accepted",
        "created_at": 1,
    }


def _code(msg_id: str, app_id: int) -> dict[str, Any]:
    return {"msg_id": msg_id, "app_id": app_id, "code_hash": "h", "expires_at": 9, "attempts": 0}


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL of each statement the driver sends while inside (one per round trip)."""
    sent: list[str] = []
    original = driver._on_cursor

    def recording(conn: Connection, sql: str, run: Any) -> Any:
        sent.append(sql)
        return original(conn, sql, run)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(driver, "_on_cursor", recording)
        yield sent


def _hits(conn: Connection, key: str) -> list[int]:
    return sorted(HITS_OF_KEY.scalars(conn, {"key": key}))


async def test_a_row_and_the_row_that_refers_to_it_are_written_together(
    ctx: Context, tenant: Tenant
) -> None:
    def write(conn: Connection) -> None:
        INSERT_MESSAGE.execute(conn, _message("m-1", tenant.app_id))
        INSERT_CODE.execute(conn, _code("m-1", tenant.app_id))
        INSERT_HIT.execute(conn, {"id": 1, "key": "k", "at": 1})

    with statements_sent() as sent:
        await ctx.db.write(write)
    codes = table(VerificationCode)
    found = await ctx.db.read(lambda conn: conn.execute(select(codes.c.msg_id)).scalars().all())
    assert found == ["m-1"]
    assert await ctx.db.read(lambda conn: _hits(conn, "k")) == [1]
    if not ctx.db.is_sqlite:  # the three INSERTs, one statement
        assert len(sent) == 1 and sent[0].startswith("WITH w0 AS (INSERT INTO messages"), sent


async def test_a_read_of_other_tables_carries_the_queued_rows(ctx: Context, tenant: Tenant) -> None:
    codes = FastSelect(
        select(table(VerificationCode).c.msg_id).where(
            table(VerificationCode).c.app_id == bindparam("app_id")
        )
    )

    def write(conn: Connection) -> tuple[list[str], list[str]]:
        INSERT_HIT.execute(conn, {"id": 4, "key": "carried", "at": 1})
        INSERT_MESSAGE.execute(conn, _message("m-2", tenant.app_id))
        before = codes.scalars(conn, {"app_id": tenant.app_id})  # carries both
        INSERT_CODE.execute(conn, _code("m-2", tenant.app_id))
        return before, codes.scalars(conn, {"app_id": tenant.app_id})  # the code sent first

    with statements_sent() as sent:
        assert await ctx.db.write(write) == ([], ["m-2"])
    assert await ctx.db.read(lambda conn: _hits(conn, "carried")) == [4]
    if not ctx.db.is_sqlite:
        shapes = [" ".join(sql.split())[:30] for sql in sent]
        assert shapes == [
            "WITH w0 AS (INSERT INTO limit_",  # the hit and the message, with the first read
            "INSERT INTO verification_codes",  # sent before the read of its table
            "SELECT verification_codes.msg_",
        ], sent
        assert " ".join(sent[0].split()).endswith(
            "SELECT verification_codes.msg_id FROM verification_codes "
            "WHERE verification_codes.app_id = $13::INTEGER"
        ), sent[0]


async def test_queued_rows_are_read_back_through_the_driver_and_through_sqlalchemy(
    db: Database,
) -> None:
    def write(conn: Connection) -> tuple[list[int], int]:
        INSERT_HIT.execute(conn, {"id": 1, "key": "r", "at": 1})
        through_driver = _hits(conn, "r")
        INSERT_HIT.execute(conn, {"id": 2, "key": "r", "at": 2})
        counted = conn.execute(select(func.count()).select_from(HITS)).scalar_one()
        return through_driver, counted

    assert await db.write(write) == ([1], 2)


async def test_a_failure_among_queued_rows_writes_none_of_the_transaction(db: Database) -> None:
    def write(conn: Connection) -> None:
        INSERT_HIT.execute(conn, {"id": 5, "key": "a", "at": 1})
        INSERT_HIT.execute(conn, {"id": 6, "key": "a", "at": 1})
        INSERT_HIT.execute(conn, {"id": 5, "key": "b", "at": 1})  # the same primary key

    with pytest.raises(IntegrityError):
        await db.write(write)
    assert await db.read(lambda conn: _hits(conn, "a") + _hits(conn, "b")) == []
    # The connections are usable, and nothing queued before the failure comes back later.
    for n in range(3):
        await db.write(lambda conn, n=n: INSERT_HIT.execute(conn, {"id": n, "key": "c", "at": 1}))
    assert await db.read(lambda conn: _hits(conn, "c")) == [0, 1, 2]


async def test_a_transaction_that_raises_leaves_nothing_queued_for_the_next(db: Database) -> None:
    def write_then_fail(conn: Connection) -> None:
        INSERT_HIT.execute(conn, {"id": 9, "key": "gone", "at": 1})
        raise Abandoned

    for _ in range(3):
        with pytest.raises(Abandoned):
            await db.write(write_then_fail)
        await db.write(lambda conn: None)
    assert await db.read(lambda conn: _hits(conn, "gone")) == []


@pytest.mark.parametrize("apart", [False, True], ids=["one-call", "two-calls"])
async def test_counters_upserted_twice_in_a_transaction_add_up(db: Database, apart: bool) -> None:
    row = {"app_id": 1, "scope": "country:86", "bucket": 60_000, "sent": 1, "verified": 0}
    other = row | {"scope": "range:+86138"}

    def write(conn: Connection) -> None:
        if apart:  # the second meets the first's row: not in one statement
            COUNT.execute_many(conn, [row, other])
            COUNT.execute_many(conn, [row | {"verified": 1}])
        else:  # one call with one key twice
            COUNT.execute_many(conn, [row, other, row | {"verified": 1}])

    await db.write(write)
    await db.write(lambda conn: COUNT.execute_many(conn, [row]))
    totals = await db.read(
        lambda conn: conn.execute(
            select(COUNTS.c.scope, COUNTS.c.sent, COUNTS.c.verified).order_by(COUNTS.c.scope)
        ).all()
    )
    assert [tuple(total) for total in totals] == [("country:86", 3, 1), ("range:+86138", 1, 0)]


async def test_rows_of_one_table_get_their_ids_in_the_order_written(db: Database) -> None:
    insert_keyed = FastInsert(HITS, ("key", "at"))  # the id from the table's sequence

    def write(conn: Connection) -> None:
        for n in range(3):
            insert_keyed.execute(conn, {"key": f"one-{n}", "at": n})
            INSERT_MESSAGE.execute_many(conn, [])  # nothing, and no statement
        insert_keyed.execute_many(conn, [{"key": f"batch-{n}", "at": n} for n in range(3)])

    await db.write(write)
    keys = await db.read(lambda conn: conn.execute(select(HITS.c.key).order_by(HITS.c.id)).all())
    assert [key for (key,) in keys] == [f"one-{n}" for n in range(3)] + [
        f"batch-{n}" for n in range(3)
    ]


async def test_more_rows_than_a_send_writes_are_written_as_one_batch(db: Database) -> None:
    rows = [{"id": n, "key": "many", "at": n} for n in range(1, write_queue.MOST_ROWS * 3)]
    await db.write(lambda conn: INSERT_HIT.execute_many(conn, rows))
    assert await db.read(lambda conn: _hits(conn, "many")) == [row["id"] for row in rows]


def test_statements_are_combined_with_their_parameters_renumbered() -> None:
    first = "INSERT INTO a (x, y) VALUES ($1::INTEGER, $2::VARCHAR)"
    second = "INSERT INTO b (z) VALUES ($1::BIGINT)"
    assert write_queue.combined((first, second, first), [2, 1, 2]) == (
        "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1::INTEGER, $2::VARCHAR)), "
        "w1 AS (INSERT INTO b (z) VALUES ($3::BIGINT)) "
        "INSERT INTO a (x, y) VALUES ($4::INTEGER, $5::VARCHAR)"
    )
    assert write_queue.combined((second,), [1]) == second
    with pytest.raises(ValueError):
        write_queue.combined((first, second), [1, 1])
