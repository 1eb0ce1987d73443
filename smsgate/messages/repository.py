"""Queries on message rows and their delivery status."""

from sqlalchemy import Connection, insert, select, update

from smsgate.db.models import Message, VerificationCode

_OPEN = ("accepted", "submitted")


def insert_message(conn: Connection, values: dict[str, object]) -> None:
    conn.execute(insert(Message).values(**values))


def insert_code(conn: Connection, values: dict[str, object]) -> None:
    conn.execute(insert(VerificationCode).values(**values))


def find_message(conn: Connection, msg_id: str) -> Message | None:
    row = conn.execute(select(Message.__table__).where(Message.id == msg_id)).mappings().first()
    return Message(**row) if row else None


def set_submitted(
    conn: Connection, msg_id: str, provider: str, provider_message_id: str | None, now_ms: int
) -> None:
    conn.execute(
        update(Message)
        .where(Message.id == msg_id, Message.status == "accepted")
        .values(
            status="submitted",
            provider=provider,
            provider_message_id=provider_message_id,
            submitted_at=now_ms,
        )
    )


def set_final_status(
    conn: Connection, msg_id: str, status: str, report_status: int, now_ms: int
) -> bool:
    result = conn.execute(
        update(Message)
        .where(Message.id == msg_id, Message.status.in_(_OPEN))
        .values(status=status, report_status=report_status, reported_at=now_ms)
    )
    return result.rowcount == 1
