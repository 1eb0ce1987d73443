"""SELECTs on the send path, handed straight to the driver (db/driver.py says why and how).

Only for queries whose columns come back as SQLite gives them (integers, strings, NULLs): a
column SQLAlchemy would convert (a boolean, a date) is refused at import.
"""

from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select

from smsgate.db import driver


class FastSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        on_sqlite = driver.compile_for(statement, "sqlite")
        if on_sqlite is None:
            raise ValueError(f"{statement} would be converted; run it through SQLAlchemy")
        self._compiled = {
            "sqlite": on_sqlite,
            "postgresql": driver.compile_for(statement, "postgresql"),
        }
        # Rows with the columns as attributes, as SQLAlchemy's rows have them.
        # (An unnamed column, a count say, gets a positional name.)
        names = [str(column.key) for column in statement.selected_columns]
        self._row: Any = namedtuple("FastRow", names, rename=True)  # type: ignore[misc]

    def rows(self, conn: Connection, values: Mapping[str, object]) -> Sequence[Sequence[Any]]:
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            return conn.execute(self.statement, dict(values)).all()
        return driver.fetch(conn, compiled, values)

    def first(self, conn: Connection, values: Mapping[str, object]) -> Any | None:
        """The first row, its columns as attributes; None when there is none."""
        rows = self.rows(conn, values)
        return self._row._make(rows[0]) if rows else None

    def scalars(self, conn: Connection, values: Mapping[str, object]) -> list[Any]:
        return [row[0] for row in self.rows(conn, values)]

    def one(self, conn: Connection, values: Mapping[str, object]) -> Sequence[Any]:
        rows = self.rows(conn, values)
        if len(rows) != 1:
            raise LookupError(f"expected one row, got {len(rows)}")
        return rows[0]
