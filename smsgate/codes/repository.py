"""Queries on stored verification codes (built once: see apps/repository.py). Every change is
conditional, so concurrent checks of one code can neither verify it twice nor lose a wrong try."""

from sqlalchemy import Connection, bindparam, select, update

from smsgate.db.inserts import FastInsert
from smsgate.db.models import CodeRecord, VerificationCode, table

CODES = table(VerificationCode)
_INSERT = FastInsert(CODES, ("msg_id", "app_id", "code_hash", "expires_at", "attempts"))
# Row-locked until the transaction ends, so concurrent checks of one code compare one at a time:
# parallel guesses get no more tries than sequential ones.
_LOCK = (
    select(CODES)
    .where(CODES.c.msg_id == bindparam("code_id"), CODES.c.app_id == bindparam("app_id"))
    .with_for_update()
)
_USABLE = (
    CODES.c.msg_id == bindparam("code_id"),
    CODES.c.verified_at.is_(None),
    CODES.c.attempts < bindparam("max_attempts"),
)
_FIND = select(CODES).where(
    CODES.c.msg_id == bindparam("code_id"), CODES.c.app_id == bindparam("app_id")
)
_VERIFY = update(CODES).where(*_USABLE).values(verified_at=bindparam("now"))
_WRONG_TRY = update(CODES).where(*_USABLE).values(attempts=CODES.c.attempts + 1)


def insert_code(conn: Connection, values: dict[str, object]) -> None:
    _INSERT.execute(conn, values)


def lock_code(conn: Connection, msg_id: str, app_id: int) -> CodeRecord | None:
    row = conn.execute(_LOCK, {"code_id": msg_id, "app_id": app_id}).first()
    return None if row is None else CodeRecord._make(row)


def find_code(conn: Connection, msg_id: str, app_id: int) -> CodeRecord | None:
    """The app's code (another app's is as good as none), without locking it."""
    row = conn.execute(_FIND, {"code_id": msg_id, "app_id": app_id}).first()
    return None if row is None else CodeRecord._make(row)


def mark_verified(conn: Connection, msg_id: str, max_attempts: int, now_ms: int) -> bool:
    params = {"code_id": msg_id, "max_attempts": max_attempts, "now": now_ms}
    return conn.execute(_VERIFY, params).rowcount == 1


def count_wrong_try(conn: Connection, msg_id: str, max_attempts: int) -> None:
    conn.execute(_WRONG_TRY, {"code_id": msg_id, "max_attempts": max_attempts})
