"""Queries on message rows and their delivery status (built once: see apps/repository.py)."""

from typing import Any

from sqlalchemy import Connection, Row, bindparam, or_, select, update

from smsgate.db.inserts import FastInsert
from smsgate.db.models import Message, table

MESSAGES = table(Message)
_INSERT_MESSAGE = FastInsert(
    MESSAGES,
    (
        "id",
        "app_id",
        "kind",
        "channel",
        "mobile",
        "template_id",
        "content",
        "segments",
        "quota_category",
        "quota_units",
        "status",
        "created_at",
        "request_id",
    ),
)
_BY_ID = select(MESSAGES).where(MESSAGES.c.id == bindparam("msg_id"))
_TEMPLATE_OF = select(MESSAGES.c.template_id).where(MESSAGES.c.id == bindparam("msg_id"))
_SUBMITTED = (
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("target_id"), MESSAGES.c.status == "accepted")
    .values(
        status="submitted",
        provider=bindparam("new_provider"),
        provider_message_id=bindparam("new_provider_message_id"),
        submitted_at=bindparam("new_now"),
    )
)
_FINAL = (
    update(MESSAGES)
    .where(
        MESSAGES.c.id == bindparam("target_id"),
        or_(MESSAGES.c.status == "accepted", MESSAGES.c.status == "submitted"),
    )
    .values(
        status=bindparam("new_status"),
        report_status=bindparam("new_report_status"),
        reported_at=bindparam("new_now"),
    )
)

_NOT_FINAL = (
    select(
        MESSAGES.c.id,
        MESSAGES.c.app_id,
        MESSAGES.c.mobile,
        MESSAGES.c.provider,
        MESSAGES.c.submitted_at,
        MESSAGES.c.kind,
    )
    .where(
        MESSAGES.c.id.in_(bindparam("ids", expanding=True)),
        or_(MESSAGES.c.status == "accepted", MESSAGES.c.status == "submitted"),
    )
    .order_by(MESSAGES.c.id)
    .with_for_update()
)
_LAST_SENDER = (
    select(MESSAGES.c.app_id)
    .where(MESSAGES.c.mobile == bindparam("mobile"))
    .order_by(MESSAGES.c.created_at.desc())
    .limit(1)
)
_LAST_SENDER_THROUGH = _LAST_SENDER.where(MESSAGES.c.provider == bindparam("provider"))


def insert_message(conn: Connection, values: dict[str, object]) -> None:
    _INSERT_MESSAGE.execute(conn, values)


def template_of(conn: Connection, msg_id: str) -> int | None:
    found: int | None = conn.execute(_TEMPLATE_OF, {"msg_id": msg_id}).scalar()
    return found


def find_message(conn: Connection, msg_id: str) -> Row[Any] | None:
    return conn.execute(_BY_ID, {"msg_id": msg_id}).first()


def set_submitted(
    conn: Connection, accepted: list[tuple[str, str | None]], provider: str, now_ms: int
) -> None:
    """(msg_id, provider message id) pairs, in one executemany."""
    params = [
        {
            "target_id": msg_id,
            "new_provider": provider,
            "new_provider_message_id": provider_message_id,
            "new_now": now_ms,
        }
        for msg_id, provider_message_id in accepted
    ]
    conn.execute(_SUBMITTED, params)


def set_final_statuses(
    conn: Connection, reports: list[tuple[str, str, int]], now_ms: int
) -> list[Any]:
    """(msg_id, status, report status) triples, in one executemany. Returns (id, app_id,
    mobile, provider, submitted_at, kind) of the messages that became final now: they are
    locked first, so a concurrent report for the same message cannot count it final twice."""
    ids = sorted({msg_id for msg_id, _status, _report in reports})
    changing = conn.execute(_NOT_FINAL, {"ids": ids}).all()
    open_ids = {row.id for row in changing}
    params = [
        {"target_id": msg_id, "new_status": status, "new_report_status": report, "new_now": now_ms}
        for msg_id, status, report in reports
        if msg_id in open_ids
    ]
    if params:
        conn.execute(_FINAL, params)
    return list(changing)


def last_sender_app(conn: Connection, mobile: str, provider: str | None) -> int | None:
    query = _LAST_SENDER if provider is None else _LAST_SENDER_THROUGH
    found: int | None = conn.execute(query, {"mobile": mobile, "provider": provider}).scalar()
    return found


def set_final_status(
    conn: Connection, msg_id: str, status: str, report_status: int, now_ms: int
) -> bool:
    params = {
        "target_id": msg_id,
        "new_status": status,
        "new_report_status": report_status,
        "new_now": now_ms,
    }
    return conn.execute(_FINAL, params).rowcount == 1
