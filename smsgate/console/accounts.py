"""Operators and their sessions: create, sign in (throttled), find a session, sign out.

A session is a random token in the browser's cookie and its SHA-256 in the database, so a copy
of the database signs nobody in. It ends after `console_session_idle_seconds` without a request
and at the latest `console_session_max_seconds` after sign-in; its CSRF token is bound to it.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from smsgate import clock
from smsgate.console import repository
from smsgate.console.passwords import MIN_LENGTH, hash_password, new_password, password_matches
from smsgate.db.engine import Database
from smsgate.limits.rules import RateRule, parse_rules
from smsgate.limits.service import within_limits
from smsgate.settings import Settings

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
FIRST_OPERATOR = "admin"
# Sessions are touched (and their expiry moved) at most this often: reading a page is not a write.
TOUCH_EVERY_MS = 60_000


class OperatorRefused(ValueError):
    """An operator that cannot be created: a bad name, a short password, a name taken."""


class SignInRefused(Exception):
    """Wrong name or password (which one is not said), or too many failures."""

    def __init__(self, throttled: bool) -> None:
        super().__init__("throttled" if throttled else "wrong name or password")
        self.throttled = throttled


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    operator_id: int
    operator: str
    csrf_token: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # for the cookie; never stored
    session: Session


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_operator(db: Database, name: str, password: str | None) -> str:
    """A new operator; returns the password (generated when none is given)."""
    if not NAME_PATTERN.fullmatch(name):
        raise OperatorRefused("a name is 1-64 letters, digits and _ . @ -, starting alnum")
    chosen = password if password is not None else new_password()
    if len(chosen) < MIN_LENGTH:
        raise OperatorRefused(f"a password has at least {MIN_LENGTH} characters")
    values = {"name": name, "password_hash": hash_password(chosen), "created_at": clock.now_ms()}
    try:
        await db.write(lambda conn: repository.insert_operator(conn, values))
    except IntegrityError:
        raise OperatorRefused(f"an operator named {name} exists") from None
    return chosen


async def first_operator_if_none(db: Database) -> tuple[str, str] | None:
    """On a database with no operator: create `admin` with a generated password, returned once."""
    if await db.read(repository.count_operators):
        return None
    return FIRST_OPERATOR, await create_operator(db, FIRST_OPERATOR, None)


def _throttle_keys(name: str, address: str) -> list[str]:
    return [f"name:{name.lower()[:64]}", f"address:{address[:64]}"]


async def sign_in(
    db: Database, settings: Settings, name: str, password: str, address: str
) -> NewSession:
    """A new session for the right name and password; SignInRefused otherwise. While the name
    or the address has too many recent failures, even the right password is refused."""
    now = clock.now_ms()
    keys = _throttle_keys(name, address)
    rules = [
        parse_rules(settings.console_login_limits),
        parse_rules(settings.console_login_address_limits),
    ]

    def throttled(conn: Connection) -> bool:
        for key, key_rules in zip(keys, rules, strict=True):
            longest = max((rule.window_seconds for rule in key_rules), default=0) * 1000
            most = max((rule.limit for rule in key_rules), default=0)
            recent = repository.recent_failures(conn, key, now - longest, most)
            if key_rules and not within_limits(recent, key_rules, now):
                return True
        return False

    if await db.read(throttled):
        raise SignInRefused(throttled=True)
    operator = await db.read(lambda conn: repository.operator_by_name(conn, name))
    if not password_matches(password, operator.password_hash if operator else None):
        await db.write(lambda conn: _record_failure(conn, keys, rules, now))
        raise SignInRefused(throttled=False)
    assert operator is not None
    token = secrets.token_urlsafe(32)
    session = Session(
        _hash_token(token),
        operator.id,
        operator.name,
        secrets.token_urlsafe(32),
        _expiry(settings, now, now),
    )
    values = {
        "token_hash": session.token_hash,
        "operator_id": operator.id,
        "csrf_token": session.csrf_token,
        "created_at": now,
        "seen_at": now,
        "expires_at": session.expires_at,
    }

    def start(conn: Connection) -> None:
        repository.delete_expired_sessions(conn, now)
        repository.insert_session(conn, values)

    await db.write(start)
    return NewSession(token, session)


def _record_failure(
    conn: Connection, keys: list[str], rules: list[tuple[RateRule, ...]], now: int
) -> None:
    longest = max((rule.window_seconds for key_rules in rules for rule in key_rules), default=0)
    repository.prune_failures(conn, now - longest * 1000)
    repository.insert_failures(conn, keys, now)


def _expiry(settings: Settings, created_at: int, now: int) -> int:
    idle = now + settings.console_session_idle_seconds * 1000
    return min(idle, created_at + settings.console_session_max_seconds * 1000)


async def find_session(db: Database, settings: Settings, token: str) -> Session | None:
    """The live session of a cookie's token, its idle expiry moved on; None when unknown or
    expired (an expired row is removed)."""
    token_hash = _hash_token(token)
    now = clock.now_ms()
    row = await db.read(lambda conn: repository.session_with_operator(conn, token_hash))
    if row is None:
        return None
    if row.expires_at <= now:
        await db.write(lambda conn: repository.delete_session(conn, token_hash))
        return None
    expires_at = row.expires_at
    if now - row.seen_at >= TOUCH_EVERY_MS:
        expires_at = _expiry(settings, row.created_at, now)
        await db.write(lambda conn: repository.touch_session(conn, token_hash, now, expires_at))
    return Session(token_hash, row.operator_id, row.name, row.csrf_token, expires_at)


async def sign_out(db: Database, session: Session) -> None:
    await db.write(lambda conn: repository.delete_session(conn, session.token_hash))
