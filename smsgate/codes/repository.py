"""Queries on stored verification codes (built once: see apps/repository.py). Every change is
conditional, so concurrent checks of one code can neither verify it twice nor lose a wrong try."""

from sqlalchemy import Connection, bindparam, select, update

from smsgate.db.inserts import FastInsert
from smsgate.db.models import CodeRecord, VerificationCode, table
from smsgate.db.selects import FastSelect
from smsgate.db.updates import FastUpdate

CODES = table(VerificationCode)
_INSERT = FastInsert(CODES, ("msg_id", "app_id", "code_hash", "expires_at", "attempts"))
# Row-locked until the transaction ends, so concurrent checks of one code compare one at a time:
# parallel guesses get no more tries than sequential ones.
_LOCK = FastSelect(
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
# RETURNING tells whether the row changed (the driver path has no row count).
_VERIFY = FastUpdate(
    update(CODES).where(*_USABLE).values(verified_at=bindparam("now")).returning(CODES.c.msg_id)
)
_WRONG_TRY = FastUpdate(update(CODES).where(*_USABLE).values(attempts=CODES.c.attempts + 1))


def insert_code(conn: Connection, values: dict[str, object]) -> None:
    _INSERT.execute(conn, values)


def lock_code(conn: Connection, msg_id: str, app_id: int) -> CodeRecord | None:
    rows = _LOCK.rows(conn, {"code_id": msg_id, "app_id": app_id})
    return CodeRecord._make(rows[0]) if rows else None


def find_code(conn: Connection, msg_id: str, app_id: int) -> CodeRecord | None:
    """The app's code (another app's is as good as none), without locking it."""
    row = conn.execute(_FIND, {"code_id": msg_id, "app_id": app_id}).first()
    return None if row is None else CodeRecord._make(row)


def mark_verified(conn: Connection, msg_id: str, max_attempts: int, now_ms: int) -> bool:
    params = {"code_id": msg_id, "max_attempts": max_attempts, "now": now_ms}
    return len(_VERIFY.rows(conn, params)) == 1


def count_wrong_try(conn: Connection, msg_id: str, max_attempts: int) -> None:
    _WRONG_TRY.execute_many(conn, [{"code_id": msg_id, "max_attempts": max_attempts}])
