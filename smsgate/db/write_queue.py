"""INSERTs of a PostgreSQL transaction sent together, in one round trip.

A code send on PostgreSQL writes six to eight rows (limit hit, message, code, outbox, pumping
attempt and counters, sometimes a decision). Nothing in the transaction reads them back, yet
each INSERT was a round trip of its own: a system call, a wake-up of the server's backend and a
turn of the event loop, which under load cost the process more than the statement itself.

Inside `Database.write`, the driver's INSERTs (db/driver.py) are queued here instead and sent as
one statement, `WITH w0 AS (INSERT ...), w1 AS (INSERT ...) INSERT ...`, at the transaction's
next other statement (a read, an UPDATE, anything through SQLAlchemy) or at its end, before the
COMMIT. PostgreSQL runs every data-modifying WITH clause exactly once and checks foreign keys at
the end of the statement, so the rows, their constraints and a failure (raised as the same
SQLAlchemy error, from the statement that sent them) are those the separate INSERTs would give.
What differs is only where in the transaction an error surfaces.

The writes of one statement run in an order PostgreSQL does not promise, and never see each
other's rows, so a table gets one write per statement: a second write of a table, several rows
of one INSERT (a batch: an executemany, as before, which keeps their order and so the order of
their ids), or more rows in all than a send writes, and the queue is sent first. An upsert of
counters may bring several rows at once, when no two of them are for one key (PostgreSQL
refuses to change a row twice in one statement, and counters have no order).

A SELECT that reads none of the queued INSERTs' tables carries them (`WITH ... SELECT ...`) and
answers with its own rows: it sees the transaction as it was before them, which for the tables
it reads is all there is to see.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection

# The key of a transaction's queue in the connection's `info`, while `Database.write` runs.
QUEUE_KEY = "smsgate.write_queue"
MOST_ROWS = 12  # rows queued at most: a send's; more are sent first
_PARAMETER = re.compile(r"\$(\d+)")
_COMBINED: dict[tuple[str, ...], str] = {}
MOST_COMBINED = 256  # distinct combinations remembered; a send makes a handful


@dataclass
class WriteQueue:
    """The INSERTs of one transaction not sent yet, in order, with their values."""

    statements: list[str] = field(default_factory=list)
    values: list[tuple[object, ...]] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)  # written by the queued statements

    def takes(self, table: str, upsert: bool, rows: int) -> bool:
        """Whether `rows` rows for `table` can join the queue as it is: the table's first write,
        of one row unless it is an upsert, within the queue's size."""
        if table in self.tables or (rows > 1 and not upsert):
            return False
        return len(self.statements) + rows <= MOST_ROWS

    def add(self, table: str, sql: str, rows: list[tuple[object, ...]]) -> None:
        self.statements.extend(sql for _ in rows)
        self.values.extend(rows)
        self.tables.add(table)

    def take_with(
        self, select: str | None, select_values: tuple[object, ...]
    ) -> tuple[str, tuple[object, ...]]:
        """The queued INSERTs as one statement and its values, emptying the queue; with
        `select`, that SELECT as the statement's own query (its rows are the answer)."""
        statements, values = self.statements, self.values
        if select is not None:
            statements, values = [*statements, select], [*values, select_values]
        self.statements, self.values, self.tables = [], [], set()
        flat = tuple(value for row in values for value in row)
        return combined(tuple(statements), [len(row) for row in values]), flat


def combined(statements: tuple[str, ...], counts: list[int]) -> str:
    """`statements` as one: each but the last a WITH clause, their $n renumbered in order."""
    found = _COMBINED.get(statements)
    if found is not None:
        return found
    parts, offset = [], 0
    for sql, count in zip(statements, counts, strict=True):
        if max((int(n) for n in _PARAMETER.findall(sql)), default=0) != count:
            raise ValueError(f"{count} values for the parameters of {sql}")
        parts.append(_PARAMETER.sub(_shifted(offset), sql))
        offset += count
    clauses = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(parts[:-1]))
    text = f"WITH {clauses} {parts[-1]}" if clauses else parts[-1]
    if len(_COMBINED) >= MOST_COMBINED:
        _COMBINED.clear()
    _COMBINED[statements] = text
    return text


def _shifted(offset: int) -> Callable[[re.Match[str]], str]:
    return lambda match: f"${int(match[1]) + offset}"


def queue_of(conn: Connection) -> WriteQueue | None:
    """The transaction's queue; None outside `Database.write` (a read, a migration)."""
    queue: WriteQueue | None = conn.info.get(QUEUE_KEY)
    return queue
