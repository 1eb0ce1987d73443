"""Queries on voice fallbacks, and what deciding one reads of its message and code (built once:
see apps/repository.py). The message and code tables belong to this slice too."""

from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, insert, select, update

from smsgate.db.leases import lease_claim
from smsgate.db.models import (
    CodeRecord,
    Message,
    MessageRecord,
    VerificationCode,
    VoiceFallback,
    table,
)

FALLBACKS = table(VoiceFallback)
MESSAGES = table(Message)
CODES = table(VerificationCode)
WAITING, PLACED, SKIPPED = "waiting", "placed", "skipped"

_INSERT = insert(FALLBACKS)
_DUE_NOW = (
    update(FALLBACKS)
    .where(
        FALLBACKS.c.msg_id.in_(bindparam("ids", expanding=True)),
        FALLBACKS.c.state == WAITING,
        FALLBACKS.c.due_at > bindparam("now"),
    )
    .values(due_at=bindparam("now"))
)
_CLOSE_WAITING = (
    update(FALLBACKS)
    .where(FALLBACKS.c.msg_id.in_(bindparam("ids", expanding=True)), FALLBACKS.c.state == WAITING)
    .values(
        state=bindparam("new_state"),
        reason=bindparam("new_reason"),
        call_id=bindparam("new_call_id"),
        sealed_code=None,
        lease_until=None,
        done_at=bindparam("now"),
    )
)
_CLAIM = lease_claim(
    FALLBACKS,
    FALLBACKS.c.msg_id,
    FALLBACKS.c.due_at,
    where=(FALLBACKS.c.state == WAITING,),
    returning=(FALLBACKS.c.msg_id,),
)
# Row-locked until the deciding transaction ends: two processes never place one call twice.
_LOCK_WAITING = (
    select(FALLBACKS)
    .where(FALLBACKS.c.msg_id == bindparam("target"), FALLBACKS.c.state == WAITING)
    .with_for_update()
)
_MESSAGE = select(MESSAGES).where(MESSAGES.c.id == bindparam("target"))
_CODE = select(CODES).where(CODES.c.msg_id == bindparam("target"))
_BY_MSG_ID = select(FALLBACKS).where(FALLBACKS.c.msg_id == bindparam("target"))
_RELEASE_ALL = (
    update(FALLBACKS).where(FALLBACKS.c.lease_until.is_not(None)).values(lease_until=None)
)


class Fallback(NamedTuple):
    """A row of `voice_fallbacks`."""

    msg_id: str  # the SMS's
    app_id: int
    mobile: str  # E.164
    voice_lang: int
    sealed_code: str | None  # wiped once decided
    state: str  # waiting, placed, skipped
    reason: str | None
    due_at: int
    lease_until: int | None
    call_id: str | None  # the call's message, once placed
    created_at: int
    done_at: int | None


def insert_fallback(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_INSERT, values)


def make_due_now(conn: Connection, msg_ids: list[str], now_ms: int) -> None:
    conn.execute(_DUE_NOW, {"ids": msg_ids, "now": now_ms})


def close_waiting(
    conn: Connection,
    msg_ids: list[str],
    state: str,
    reason: str,
    now_ms: int,
    call_id: str | None = None,
) -> int:
    """Waiting fallbacks become placed or skipped; the sealed code is wiped."""
    params = {
        "ids": msg_ids,
        "new_state": state,
        "new_reason": reason,
        "new_call_id": call_id,
        "now": now_ms,
    }
    return int(conn.execute(_CLOSE_WAITING, params).rowcount or 0)


def claim_due(conn: Connection, now_ms: int, limit: int, lease_until: int) -> list[str]:
    """Lease up to `limit` due fallbacks to this process (SKIP LOCKED on PostgreSQL)."""
    params = {"now": now_ms, "limit": limit, "new_lease": lease_until}
    return [row.msg_id for row in conn.execute(_CLAIM, params).all()]


def lock_waiting(conn: Connection, msg_id: str) -> Fallback | None:
    row = conn.execute(_LOCK_WAITING, {"target": msg_id}).first()
    return None if row is None else Fallback._make(row)


def message_status(conn: Connection, msg_id: str) -> MessageRecord | None:
    row = conn.execute(_MESSAGE, {"target": msg_id}).first()
    return None if row is None else MessageRecord._make(row)


def code_state(conn: Connection, msg_id: str) -> CodeRecord | None:
    row = conn.execute(_CODE, {"target": msg_id}).first()
    return None if row is None else CodeRecord._make(row)


def find_fallback(conn: Connection, msg_id: str) -> Fallback | None:
    row = conn.execute(_BY_MSG_ID, {"target": msg_id}).first()
    return None if row is None else Fallback._make(row)


def release_all_leases(conn: Connection) -> int:
    return int(conn.execute(_RELEASE_ALL).rowcount or 0)
