"""Queries on message rows and their delivery status."""

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db.models import Message, VerificationCode


async def insert_message(conn: AsyncConnection, values: dict[str, object]) -> None:
    await conn.execute(insert(Message).values(**values))


async def insert_code(conn: AsyncConnection, values: dict[str, object]) -> None:
    await conn.execute(insert(VerificationCode).values(**values))


async def find_message(conn: AsyncConnection, msg_id: str) -> Message | None:
    row = (
        (await conn.execute(select(Message.__table__).where(Message.id == msg_id)))
        .mappings()
        .first()
    )
    return Message(**row) if row else None


async def set_submitted(
    conn: AsyncConnection, msg_id: str, provider: str, provider_message_id: str | None, now_ms: int
) -> None:
    await conn.execute(
        update(Message)
        .where(Message.id == msg_id, Message.status == "accepted")
        .values(
            status="submitted",
            provider=provider,
            provider_message_id=provider_message_id,
            submitted_at=now_ms,
        )
    )


async def set_final_status(
    conn: AsyncConnection, msg_id: str, status: str, report_status: int, now_ms: int
) -> bool:
    result = await conn.execute(
        update(Message)
        .where(Message.id == msg_id, Message.status.in_(("accepted", "submitted")))
        .values(status=status, report_status=report_status, reported_at=now_ms)
    )
    return result.rowcount == 1
