"""SQL of the console's own tables: operators, sessions, failed sign-ins, the audit list."""

from typing import NamedTuple

from sqlalchemy import Connection, delete, func, insert, select, update

from smsgate.db.models import AuditEntry, ConsoleSession, LoginFailure, Operator, table

OPERATORS = table(Operator)
SESSIONS = table(ConsoleSession)
FAILURES = table(LoginFailure)
AUDIT = table(AuditEntry)


def insert_operator(conn: Connection, values: dict[str, object]) -> int:
    return int(
        conn.execute(insert(OPERATORS).values(values).returning(OPERATORS.c.id)).scalar_one()
    )


class OperatorRow(NamedTuple):
    """An operator as stored: the password as its argon2 hash only."""

    id: int
    name: str
    password_hash: str
    created_at: int


def operator_by_name(conn: Connection, name: str) -> OperatorRow | None:
    row = conn.execute(select(OPERATORS).where(OPERATORS.c.name == name)).first()
    return None if row is None else OperatorRow._make(row)


def count_operators(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(OPERATORS)).scalar_one())


def insert_session(conn: Connection, values: dict[str, object]) -> None:
    conn.execute(insert(SESSIONS).values(values))


class SessionRow(NamedTuple):
    """A signed-in browser's session, with the name of its operator."""

    token_hash: str
    operator_id: int
    csrf_token: str
    created_at: int
    seen_at: int
    expires_at: int
    name: str  # the operator's


def session_with_operator(conn: Connection, token_hash: str) -> SessionRow | None:
    query = (
        select(SESSIONS, OPERATORS.c.name)
        .join(OPERATORS, OPERATORS.c.id == SESSIONS.c.operator_id)
        .where(SESSIONS.c.token_hash == token_hash)
    )
    row = conn.execute(query).first()
    return None if row is None else SessionRow._make(row)


def touch_session(conn: Connection, token_hash: str, seen_at: int, expires_at: int) -> None:
    conn.execute(
        update(SESSIONS)
        .where(SESSIONS.c.token_hash == token_hash)
        .values(seen_at=seen_at, expires_at=expires_at)
    )


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == token_hash))


def delete_expired_sessions(conn: Connection, now: int) -> None:
    conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at <= now))


def recent_failures(conn: Connection, key: str, since: int, most: int) -> list[int]:
    """Times of the newest failures of `key` after `since`, newest first."""
    query = (
        select(FAILURES.c.at)
        .where(FAILURES.c.key == key, FAILURES.c.at > since)
        .order_by(FAILURES.c.at.desc())
        .limit(most)
    )
    return list(conn.execute(query).scalars())


def insert_failures(conn: Connection, keys: list[str], at: int) -> None:
    conn.execute(insert(FAILURES), [{"key": key, "at": at} for key in keys])


def prune_failures(conn: Connection, before: int) -> None:
    conn.execute(delete(FAILURES).where(FAILURES.c.at <= before))


def insert_audit(conn: Connection, values: dict[str, object]) -> None:
    conn.execute(insert(AUDIT).values(values))


class AuditRecord(NamedTuple):
    """One change made in the console, as stored."""

    id: int
    operator: str
    action: str
    target: str
    detail: str
    at: int


def audit_entries(conn: Connection, limit: int, operator: str | None) -> list[AuditRecord]:
    """The newest `limit` changes, newest first; of one operator when named."""
    query = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
    if operator:
        query = query.where(AUDIT.c.operator == operator)
    return [AuditRecord._make(row) for row in conn.execute(query)]
