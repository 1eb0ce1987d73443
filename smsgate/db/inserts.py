"""INSERTs on the send path, handed straight to the SQLite driver.

Every send writes three rows (message, code, outbox) and often a fourth (a limit hit). SQLAlchemy
spends about 17 µs preparing each execution of even a prebuilt statement; sqlite3 takes 6 µs for
the insert itself. These statements are compiled once by SQLAlchemy's own SQLite compiler and then
run on the connection's driver, inside the transaction SQLAlchemy began. They carry only strings,
integers and NULLs, which need no type conversion on the way in. PostgreSQL, where the per-call
cost hides behind the network round trip, runs the same statement through SQLAlchemy.
"""

import sqlite3
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, Insert, Table, bindparam, insert
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from smsgate.db.upserts import DialectInsert, Upsert


class FastInsert:
    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.statement: Insert = insert(table).values(_bound(columns))
        self._sqlite_sql, self._order = _compiled_for_sqlite(self.statement, table, columns)

    def execute(self, conn: Connection, values: Mapping[str, object]) -> None:
        if conn.dialect.name != "sqlite":
            conn.execute(self.statement, dict(values))
            return
        _driver(conn).execute(self._sqlite_sql, tuple(values[name] for name in self._order))


class FastUpsert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET column = column + excluded.column: a counter
    row per key, created by its first increment. Built once per dialect; several rows at once
    (an executemany) on either."""

    def __init__(self, table: Table, columns: Sequence[str], keys: Sequence[str]) -> None:
        added = [name for name in columns if name not in keys]

        def count_up(statement: DialectInsert) -> DialectInsert:
            statement = statement.values(_bound(columns))
            return statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={column: table.c[column] + statement.excluded[column] for column in added},
            )

        self._upsert = Upsert(table, count_up)
        self._sqlite_sql, self._order = _compiled_for_sqlite(
            self._upsert.statement("sqlite"), table, columns
        )

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
        if conn.dialect.name != "sqlite":
            self._upsert.execute(conn, [dict(row) for row in rows])
            return
        params = [tuple(row[name] for name in self._order) for row in rows]
        _driver(conn).executemany(self._sqlite_sql, params)


def _bound(columns: Sequence[str]) -> dict[str, object]:
    return {name: bindparam(name) for name in columns}


def _compiled_for_sqlite(
    statement: Insert, table: Table, columns: Sequence[str]
) -> tuple[str, tuple[str, ...]]:
    """The SQL and its parameters' order; refused at import when SQLAlchemy would add a
    parameter of its own (a column default), which the driver path would not know."""
    compiled = statement.compile(dialect=SQLiteDialect_pysqlite())
    order = tuple(compiled.positiontup or ())
    if set(order) != set(columns) or len(order) != len(columns):
        raise ValueError(f"list every column of {table.name} that has a default: {order}")
    return compiled.string, order


def _driver(conn: Connection) -> "sqlite3.Connection":
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver  # type: ignore[no-any-return]
