"""UPDATEs of the delivery path, handed straight to the driver (db/driver.py says why and how):
a batch of submit answers or receipts changes one row per message, each with its own values, in
one executemany."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Update

from smsgate.db import driver


class FastUpdate:
    def __init__(self, statement: Update) -> None:
        self.statement = statement
        self._compiled: dict[str, driver.DriverSql] = {}
        for dialect in driver.DIALECTS:
            # Refused here when SQLAlchemy would compute a value of its own (an onupdate).
            compiled = driver.compile_for(statement, dialect)
            if compiled is not None:
                self._compiled[dialect] = compiled

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
        """The statement once for each of `rows`; nothing for none."""
        driver.execute_each(conn, self._compiled, self.statement, rows)

    def rows(self, conn: Connection, values: Mapping[str, object]) -> list[tuple[Any, ...]]:
        """The statement once, for `values`; the rows its RETURNING gives, one per row changed."""
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            return [tuple(row) for row in conn.execute(self.statement, dict(values))]
        return driver.fetch(conn, compiled, values)
