"""Queries on stored verification codes. Every change is conditional, so concurrent checks of one
code can neither verify it twice nor lose a wrong try."""

from typing import Any

from sqlalchemy import Connection, select, update

from smsgate.db.models import VerificationCode


def lock_code(conn: Connection, msg_id: str, app_id: int) -> VerificationCode | None:
    """The stored code, row-locked until the transaction ends, so concurrent checks of one code
    compare one at a time: parallel guesses get no more tries than sequential ones."""
    row = (
        conn.execute(
            select(VerificationCode.__table__)
            .where(VerificationCode.msg_id == msg_id, VerificationCode.app_id == app_id)
            .with_for_update()
        )
        .mappings()
        .first()
    )
    return VerificationCode(**row) if row else None


def _usable(msg_id: str, max_attempts: int) -> tuple[Any, ...]:
    return (
        VerificationCode.msg_id == msg_id,
        VerificationCode.verified_at.is_(None),
        VerificationCode.attempts < max_attempts,
    )


def mark_verified(conn: Connection, msg_id: str, max_attempts: int, now_ms: int) -> bool:
    result = conn.execute(
        update(VerificationCode).where(*_usable(msg_id, max_attempts)).values(verified_at=now_ms)
    )
    return result.rowcount == 1


def count_wrong_try(conn: Connection, msg_id: str, max_attempts: int) -> None:
    conn.execute(
        update(VerificationCode)
        .where(*_usable(msg_id, max_attempts))
        .values(attempts=VerificationCode.attempts + 1)
    )
