"""Prebuilt statements of the send path (smsgate/db/driver.py, selects.py, inserts.py): what the
driver path cannot run correctly is refused when the statement is built, not answered wrongly
later.
Their results are checked on both backends by the API tests of sends, limits and the pumping
defence."""

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    update,
)

from smsgate.db import driver
from smsgate.db.inserts import FastInsert, FastUpsert
from smsgate.db.selects import FastSelect
from smsgate.db.updates import FastUpdate
from smsgate.limits.in_database import DatabaseLimiter
from smsgate.limits.service import open_limiter

METADATA = MetaData()
ROWS = Table(
    "rows_for_tests",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("at", BigInteger),
    Column("active", Boolean),
    Column("state", String(8), default="new"),
)


def test_a_column_sqlalchemy_would_convert_is_refused() -> None:
    with pytest.raises(ValueError, match="converted"):
        FastSelect(select(ROWS.c.id, ROWS.c.active))


def test_plain_columns_and_literals_are_taken_on_both_dialects() -> None:
    query = select(ROWS.c.id, ROWS.c.at).where(ROWS.c.name == "fixed").limit(3)
    on_sqlite = driver.compile_for(query, "sqlite")
    on_postgresql = driver.compile_for(query, "postgresql")
    assert on_sqlite is not None and on_postgresql is not None
    assert on_sqlite.fixed == {"name_1": "fixed", "param_1": 3, "param_2": 0}
    assert on_postgresql.fixed == {"name_1": "fixed", "param_1": 3}
    assert "$1" in on_postgresql.sql and "?" in on_sqlite.sql
    assert on_postgresql.params({"name_1": "given"}) == ("given", 3)


def test_an_insert_reads_nothing_back() -> None:
    statement = FastInsert(ROWS, ("id", "name", "state")).statement
    assert "RETURNING" not in str(statement.compile(dialect=driver.POSTGRESQL))


def test_an_insert_that_would_miss_a_column_default_is_refused() -> None:
    with pytest.raises(ValueError, match="default"):
        FastInsert(ROWS, ("id", "name"))
    with pytest.raises(ValueError, match="default"):
        FastUpsert(ROWS, ("id", "at"), ("id",))


def test_without_redis_limits_are_counted_in_the_database() -> None:
    assert isinstance(open_limiter(None, "smsgate:limit:"), DatabaseLimiter)


def test_an_update_sqlalchemy_would_add_a_value_to_is_refused() -> None:
    stamped = Table(
        "stamped_rows_for_tests",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("changed_at", BigInteger, onupdate=lambda: 1),
    )
    statement = update(stamped).where(stamped.c.id == bindparam("row_id"))
    with pytest.raises(ValueError, match="with a default a value"):
        FastUpdate(statement.values(name=bindparam("new_name")))
    FastUpdate(statement.values(name=bindparam("new_name"), changed_at=None))  # NULL, given
