"""UPDATEs of the delivery path, handed straight to the driver (db/driver.py says why and how):
a batch of submit answers or receipts changes one row per message, each with its own values, in
one executemany."""

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, Update
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from smsgate.db import driver


class FastUpdate:
    def __init__(self, statement: Update) -> None:
        self.statement = statement
        declared = {
            element.key
            for element in visitors.iterate(statement)
            if isinstance(element, BindParameter)
        }
        self._compiled: dict[str, driver.DriverSql] = {}
        for dialect in driver.DIALECTS:
            compiled = driver.compile_for(statement, dialect)
            if compiled is None:
                continue
            # A parameter SQLAlchemy adds of its own (a column's onupdate) the driver would not get.
            added = set(compiled.order) - declared - set(compiled.fixed)
            if added:
                raise ValueError(
                    f"{statement.table}: give every column with a default a value: {added}"
                )
            self._compiled[dialect] = compiled

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
        """The statement once for each of `rows`; nothing for none."""
        driver.execute_each(conn, self._compiled, self.statement, rows)
