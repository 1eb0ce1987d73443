"""INSERT ... ON CONFLICT on either database.

SQLite and PostgreSQL take the same clause, but SQLAlchemy spells it on each dialect's own
INSERT. `Upsert` builds a statement once per dialect (so SQLAlchemy reuses its compiled form)
and picks the one of the connection; `dialect_insert` is for statements whose shape depends on
the call.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite

DialectInsert = sqlite.Insert | postgresql.Insert
_INSERTS: dict[str, Callable[[Table], DialectInsert]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def dialect_insert(conn: Connection, table: Table) -> DialectInsert:
    """The INSERT of the connection's dialect, which has `on_conflict_do_*`."""
    return _INSERTS[conn.dialect.name](table)


class Upsert:
    """One statement per dialect, `build` applied to that dialect's INSERT on `table`."""

    def __init__(self, table: Table, build: Callable[[Any], DialectInsert]) -> None:
        self._statements = {name: build(insert(table)) for name, insert in _INSERTS.items()}

    def statement(self, dialect: str) -> DialectInsert:
        return self._statements[dialect]

    def execute(
        self,
        conn: Connection,
        params: Mapping[str, object] | Sequence[Mapping[str, object]] | None = None,
    ) -> CursorResult[Any]:
        return conn.execute(self._statements[conn.dialect.name], params)


def insert_or_ignore(table: Table, index_elements: Sequence[str] | None = None) -> Upsert:
    """Insert unless a row with the same key (or any unique value) is there already."""
    return Upsert(
        table, lambda insert: insert.on_conflict_do_nothing(index_elements=index_elements)
    )


def insert_or_update(table: Table, index_elements: Sequence[str], columns: Sequence[str]) -> Upsert:
    """Insert, or give the row with the same key the new values of `columns`."""
    return Upsert(
        table,
        lambda insert: insert.on_conflict_do_update(
            index_elements=index_elements,
            set_={name: insert.excluded[name] for name in columns},
        ),
    )
