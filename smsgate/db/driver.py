"""Prebuilt statements run on the database driver itself, inside the transaction SQLAlchemy began.

The send path runs a dozen small statements per request. SQLAlchemy's execution machinery (cache
key, execution context, parameter and result processing) costs about 15-20 µs per statement on
SQLite, more than SQLite takes to answer an indexed lookup, and about 50 µs on PostgreSQL
through asyncpg, more than the driver's own round trip costs the process. Statements that need
no type conversion either way (integers, strings, NULLs) are compiled once per dialect by
SQLAlchemy's own compilers and then handed straight to the driver:

- SQLite: `sqlite3.Connection.execute` on the connection's driver connection;
- PostgreSQL: the asyncpg adapter's DBAPI cursor, which keeps SQLAlchemy's transaction (it begins
  it on the first statement, as for any other), its prepared-statement cache, and its error
  classes; driver errors are wrapped as SQLAlchemy's, and a connection the server dropped is
  invalidated, exactly as `Connection.execute` does.

A statement that would need a conversion on a dialect is refused there at import (SQLite, where
the path is the rule) or run through SQLAlchemy (PostgreSQL).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ClauseElement, Executable, Select, TableClause, visitors
from sqlalchemy.sql.compiler import SQLCompiler

from smsgate.db import write_queue
from smsgate.db.write_queue import WriteQueue

T = TypeVar("T")
SQLITE = SQLiteDialect_pysqlite()
POSTGRESQL = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
DIALECTS: dict[str, Dialect] = {"sqlite": SQLITE, "postgresql": POSTGRESQL}

Values = Mapping[str, object]
Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class DriverSql:
    """A statement as one dialect's driver takes it: its SQL and where its values go."""

    sql: str
    order: tuple[str, ...]
    # Values the statement carries itself (literals in its WHERE); the rest come with each call.
    fixed: Mapping[str, object]
    # A SELECT, and the tables it reads: it can carry a write transaction's queued INSERTs of
    # other tables to PostgreSQL (db/write_queue.py).
    reads: frozenset[str] | None = None

    def params(self, values: Values) -> tuple[object, ...]:
        return tuple(values[name] if name in values else self.fixed[name] for name in self.order)


def compile_for(statement: ClauseElement, dialect_name: str) -> DriverSql | None:
    """The statement for `dialect_name`'s driver; None when a value or a column would need
    SQLAlchemy's conversion on that dialect."""
    dialect = DIALECTS[dialect_name]
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    computed = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
    if computed:  # SQLAlchemy computes these per execution; the driver would not
        raise ValueError(f"give every column with a default a value: {computed}")
    for bind in compiled.binds.values():
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            return None
    for column in getattr(statement, "selected_columns", ()):
        if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
            return None
    # A literal the statement carries (even NULL) is fixed; a bindparam() without a value is given.
    order = tuple(compiled.positiontup or ())
    binds = compiled.binds
    fixed = {name: binds[name].effective_value for name in order if not binds[name].required}
    return DriverSql(compiled.string, order, fixed, _tables_read(statement))


def _tables_read(statement: ClauseElement) -> frozenset[str] | None:
    """Every table a SELECT names, subqueries included; None for any other statement."""
    if not isinstance(statement, Select):
        return None
    return frozenset(
        element.name for element in visitors.iterate(statement) if isinstance(element, TableClause)
    )


def fetch(conn: Connection, statement: DriverSql, values: Values) -> Rows:
    """Run one statement on the connection's driver; the rows it returns, as tuples."""
    params = statement.params(values)
    if conn.dialect.name == "sqlite":
        try:
            rows: Rows = _sqlite(conn).execute(statement.sql, params).fetchall()
        except conn.dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(conn, statement.sql, None, error) from error
        return rows
    queue = write_queue.queue_of(conn)
    if queue is not None and queue.statements:
        if statement.reads is not None and statement.reads.isdisjoint(queue.tables):
            # One round trip: the SELECT does not read what the INSERTs write, so seeing the
            # transaction as it was before them (one statement, one snapshot) changes nothing.
            sql, carried = queue.take_with(statement.sql, params)
            return _on_cursor(conn, sql, lambda cursor: cursor.execute(sql, carried))
        _send(conn, queue)
    return _on_cursor(conn, statement.sql, lambda cursor: cursor.execute(statement.sql, params))


def execute_many(conn: Connection, statement: DriverSql, rows: Sequence[Values]) -> None:
    """Run one statement for each of `rows` (an executemany) on the connection's driver."""
    params = [statement.params(row) for row in rows]
    if conn.dialect.name == "sqlite":
        try:
            _sqlite(conn).executemany(statement.sql, params)
        except conn.dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(conn, statement.sql, None, error) from error
        return
    send_queued_writes(conn)
    _on_cursor(conn, statement.sql, lambda cursor: cursor.executemany(statement.sql, params))


def insert(
    conn: Connection,
    statement: DriverSql,
    table: str,
    rows: Sequence[Values],
    *,
    upsert: bool = False,
) -> None:
    """INSERT `rows` into `table`: on PostgreSQL inside `Database.write`, queued and sent with
    the transaction's next statement (db/write_queue.py); elsewhere, or when the queue cannot
    take them, at once. An `upsert` (of counters) must not bring two rows for one key."""
    queue = write_queue.queue_of(conn) if conn.dialect.name == "postgresql" else None
    if queue is not None:
        if not queue.takes(table, upsert, len(rows)):
            _send(conn, queue)
        if queue.takes(table, upsert, len(rows)):
            queue.add(table, statement.sql, [statement.params(row) for row in rows])
            return
    if len(rows) == 1:
        fetch(conn, statement, rows[0])
    elif rows:
        execute_many(conn, statement, rows)


def with_queued_writes(work: Callable[[Connection], T]) -> Callable[[Connection], T]:
    """`work` with its INSERTs queued (PostgreSQL, `Database.write`): the queue is sent when
    `work` returns, inside its transaction; dropped if it raises."""

    def queued(conn: Connection) -> T:
        # Kept, not looked up again: a connection invalidated meanwhile refuses `info`.
        info = conn.info
        info[write_queue.QUEUE_KEY] = WriteQueue()
        try:
            result = work(conn)
            send_queued_writes(conn)
            return result
        finally:
            info.pop(write_queue.QUEUE_KEY, None)

    return queued


def send_queued_writes(conn: Connection, *_event_args: object) -> None:
    """Send what the transaction queued, before any other statement of it (also SQLAlchemy's:
    this is the engine's `before_cursor_execute` listener on PostgreSQL)."""
    queue = write_queue.queue_of(conn)
    if queue is not None:
        _send(conn, queue)


def _send(conn: Connection, queue: WriteQueue) -> None:
    if queue.statements:
        sql, values = queue.take_with(None, ())
        _on_cursor(conn, sql, lambda cursor: cursor.execute(sql, values))


def execute_each(
    conn: Connection,
    prebuilt: Mapping[str, DriverSql],
    statement: Executable,
    rows: Sequence[Values],
) -> None:
    """`statement` once for each of `rows`: on the driver where it was `prebuilt` for the
    connection's dialect, else through SQLAlchemy; nothing for no rows."""
    if not rows:
        return
    compiled = prebuilt.get(conn.dialect.name)
    if compiled is None:
        conn.execute(statement, [dict(row) for row in rows])
        return
    execute_many(conn, compiled, rows)


def _on_cursor(conn: Connection, sql: str, run: Callable[[Any], object]) -> Rows:
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        run(cursor)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    except conn.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(conn, sql, cursor, error) from error
    finally:
        cursor.close()


def _as_sqlalchemy_error(conn: Connection, sql: str, cursor: Any, error: Any) -> StatementError:
    """A driver error as SQLAlchemy raises it (IntegrityError, OperationalError, ...), parameters
    hidden; a connection the server dropped is invalidated, so the pool replaces it. (A plain
    `except` at each call rather than a context manager: it costs nothing until an error.)"""
    dbapi_connection = conn.connection.dbapi_connection
    if conn.dialect.is_disconnect(error, dbapi_connection, cursor):
        conn.invalidate(error)
    wrapped: StatementError = DBAPIError.instance(
        sql,
        None,
        error,
        conn.dialect.loaded_dbapi.Error,
        hide_parameters=True,
        dialect=conn.dialect,
    )
    return wrapped


def _sqlite(conn: Connection) -> Any:
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver
