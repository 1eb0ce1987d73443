"""SELECTs on the send path, handed straight to the SQLite driver (as db/inserts.py does for
INSERTs): SQLAlchemy's execution machinery costs about 15-20 µs per statement, more than SQLite
takes to answer these indexed lookups. Only for queries whose columns come back as SQLite gives
them (integers, strings, NULLs): a column SQLAlchemy would convert (a boolean, a date) is
refused at import. PostgreSQL runs the same statement through SQLAlchemy.
"""

from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

_SQLITE = SQLiteDialect_pysqlite()


class FastSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        for column in statement.selected_columns:
            if column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None) is not None:
                raise ValueError(f"{column} would be converted; run it through SQLAlchemy")
        compiled = statement.compile(dialect=_SQLITE)
        self._sqlite_sql = compiled.string
        self._order = tuple(compiled.positiontup or ())
        # Values the statement carries itself (literals in its WHERE): its own bind parameters
        # have none, and must be given at each call.
        self._fixed = {name: value for name, value in compiled.params.items() if value is not None}
        # Rows with the columns as attributes, as SQLAlchemy's rows have them.
        # (An unnamed column, a count say, gets a positional name.)
        names = [str(column.key) for column in statement.selected_columns]
        self._row: Any = namedtuple("FastRow", names, rename=True)  # type: ignore[misc]

    def rows(self, conn: Connection, values: Mapping[str, object]) -> Sequence[Sequence[Any]]:
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, dict(values)).all()
        driver = conn.connection.driver_connection
        assert driver is not None
        params = tuple(
            values[name] if name in values else self._fixed[name] for name in self._order
        )
        rows: list[tuple[Any, ...]] = driver.execute(self._sqlite_sql, params).fetchall()
        return rows

    def first(self, conn: Connection, values: Mapping[str, object]) -> Any | None:
        """The first row, its columns as attributes; None when there is none."""
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, dict(values)).first()
        rows = self.rows(conn, values)
        return self._row._make(rows[0]) if rows else None

    def scalars(self, conn: Connection, values: Mapping[str, object]) -> list[Any]:
        return [row[0] for row in self.rows(conn, values)]

    def one(self, conn: Connection, values: Mapping[str, object]) -> Sequence[Any]:
        rows = self.rows(conn, values)
        if len(rows) != 1:
            raise LookupError(f"expected one row, got {len(rows)}")
        return rows[0]
