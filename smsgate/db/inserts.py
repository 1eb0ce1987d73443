"""INSERTs on the send path, handed straight to the driver (db/driver.py says why and how).

Every send writes three rows (message, code, outbox) and often a fourth (a limit hit). They
carry only strings, integers and NULLs, which need no type conversion on the way in. They are
`inline`: nothing is read back (no RETURNING of the new row's id), which is also what lets
PostgreSQL take a transaction's INSERTs in one round trip (db/write_queue.py).
"""

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import Connection, Insert, Table, bindparam, insert

from smsgate.db import driver
from smsgate.db.upserts import DialectInsert, Upsert


class FastInsert:
    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.statement: Insert = insert(table).values(_bound(columns)).inline()
        self._table = table.name
        self._compiled = _compiled_per_dialect(lambda _: self.statement, table, columns)

    def execute(self, conn: Connection, values: Mapping[str, object]) -> None:
        self.execute_many(conn, [values])

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
        """One row for each of `rows` (an executemany); nothing for none. On PostgreSQL, in a
        write transaction, sent with its next statement (db/write_queue.py)."""
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            if rows:
                conn.execute(self.statement, [dict(row) for row in rows])
            return
        driver.insert(conn, compiled, self._table, rows)


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
        self._table = table.name
        self._keys = tuple(keys)
        self._compiled = _compiled_per_dialect(self._upsert.statement, table, columns)

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            self._upsert.execute(conn, [dict(row) for row in rows])
            return
        keys = {tuple(row[key] for key in self._keys) for row in rows}
        if len(keys) < len(rows):  # one row twice: never in one statement (write_queue.py)
            driver.execute_many(conn, compiled, rows)
            return
        driver.insert(conn, compiled, self._table, rows, upsert=True)


def _bound(columns: Sequence[str]) -> dict[str, object]:
    return {name: bindparam(name) for name in columns}


def _compiled_per_dialect(
    statement_for: Callable[[str], Insert | DialectInsert], table: Table, columns: Sequence[str]
) -> dict[str, driver.DriverSql]:
    """The statement for each dialect's driver that can take it as it is. Refused at import when
    SQLAlchemy would add a parameter of its own (a column default), which the driver path would
    not know."""
    compiled: dict[str, driver.DriverSql] = {}
    for dialect in driver.DIALECTS:
        found = driver.compile_for(statement_for(dialect), dialect)
        if found is None:
            if dialect == "sqlite":
                raise ValueError(f"{table.name}: a value would be converted on SQLite")
            continue
        if set(found.order) != set(columns) or len(found.order) != len(columns):
            raise ValueError(f"list every column of {table.name} that has a default: {found.order}")
        compiled[dialect] = found
    return compiled
