"""Queries on schedules. Every change is conditional on the status (and, when sending, the
version) it expects, so a change that lost a race changes nothing and says so."""

from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, bindparam, case, func, insert, select, update

from smsgate.db.leases import lease_claim
from smsgate.db.models import Schedule, table

SCHEDULES = table(Schedule)
PENDING, SENT, DELETED = "pending", "sent", "deleted"

_BY_ID = select(SCHEDULES).where(
    SCHEDULES.c.id == bindparam("schedule_id"), SCHEDULES.c.app_id == bindparam("app_id")
)
_CLAIM = lease_claim(
    SCHEDULES,
    SCHEDULES.c.id,
    SCHEDULES.c.send_at,
    where=(SCHEDULES.c.status == PENDING,),
    returning=(
        SCHEDULES.c.id,
        SCHEDULES.c.app_id,
        SCHEDULES.c.temp_id,
        SCHEDULES.c.sign_id,
        SCHEDULES.c.recipients,
        SCHEDULES.c.version,
    ),
)
_MARK_SENT = (
    update(SCHEDULES)
    .where(
        SCHEDULES.c.id == bindparam("schedule_id"),
        SCHEDULES.c.version == bindparam("expected_version"),
        SCHEDULES.c.status == PENDING,
    )
    .values(status=SENT, sent_at=bindparam("now"), lease_until=None)
)
_SET_RECIPIENTS = (
    update(SCHEDULES)
    .where(SCHEDULES.c.id == bindparam("schedule_id"))
    .values(recipients=bindparam("new_recipients"))
)
# When the next pending schedule may be claimed: its send time, or the end of another
# scheduler's lease on it.
_NEXT_DUE = select(
    func.min(
        case(
            (SCHEDULES.c.lease_until > SCHEDULES.c.send_at, SCHEDULES.c.lease_until),
            else_=SCHEDULES.c.send_at,
        )
    )
).where(SCHEDULES.c.status == PENDING)


@dataclass(frozen=True, slots=True)
class DueSchedule:
    id: str
    app_id: int
    temp_id: int
    sign_id: int | None
    recipients: list[dict[str, Any]]
    version: int


class StoredSchedule(NamedTuple):
    """A row of `schedules`."""

    id: str
    app_id: int
    kind: str  # single, batch
    temp_id: int
    sign_id: int | None
    tag: str | None
    recipients: str  # JSON: see load_recipients
    send_at: int
    status: str  # pending, sent, deleted
    version: int
    lease_until: int | None
    created_at: int
    updated_at: int
    sent_at: int | None


def insert_schedule(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(SCHEDULES).values(**values))


def find_schedule(conn: Connection, app_id: int, schedule_id: str) -> StoredSchedule | None:
    """The app's schedule (another app's is not found)."""
    row = conn.execute(_BY_ID, {"schedule_id": schedule_id, "app_id": app_id}).first()
    return None if row is None else StoredSchedule._make(row)


def change_pending(
    conn: Connection, app_id: int, schedule_id: str, kind: str | None, values: dict[str, Any]
) -> bool:
    """Change a schedule that is still pending (of `kind` when given); a new version, and any
    scheduler's lease is dropped so the new version is picked up at its own time."""
    statement = (
        update(SCHEDULES)
        .where(
            SCHEDULES.c.id == schedule_id,
            SCHEDULES.c.app_id == app_id,
            SCHEDULES.c.status == PENDING,
        )
        .values(**values, version=SCHEDULES.c.version + 1, lease_until=None)
    )
    if kind is not None:
        statement = statement.where(SCHEDULES.c.kind == kind)
    return bool(conn.execute(statement).rowcount == 1)


def claim_due(conn: Connection, now_ms: int, limit: int, lease_until: int) -> list[DueSchedule]:
    """Lease up to `limit` due schedules to this scheduler (SKIP LOCKED on PostgreSQL)."""
    params = {"now": now_ms, "limit": limit, "new_lease": lease_until}
    return [
        DueSchedule(
            row.id,
            row.app_id,
            row.temp_id,
            row.sign_id,
            load_recipients(row.recipients),
            row.version,
        )
        for row in conn.execute(_CLAIM, params).all()
    ]


def mark_sent(conn: Connection, schedule_id: str, version: int, now_ms: int) -> bool:
    """False when the schedule was changed, deleted or sent since it was claimed."""
    params = {"schedule_id": schedule_id, "expected_version": version, "now": now_ms}
    return bool(conn.execute(_MARK_SENT, params).rowcount == 1)


def set_recipients(conn: Connection, schedule_id: str, recipients: list[dict[str, Any]]) -> None:
    params = {"schedule_id": schedule_id, "new_recipients": dump_recipients(recipients)}
    conn.execute(_SET_RECIPIENTS, params)


def next_due_at(conn: Connection) -> int | None:
    value = conn.execute(_NEXT_DUE).scalar()
    return None if value is None else int(value)


def count_due(conn: Connection, now_ms: int, late_before_ms: int) -> tuple[int, int]:
    """Pending schedules due now, and those due since before `late_before_ms` (for metrics)."""
    due_at = SCHEDULES.c.send_at
    row = conn.execute(
        select(
            func.count().filter(due_at <= now_ms), func.count().filter(due_at <= late_before_ms)
        ).where(SCHEDULES.c.status == PENDING, due_at <= now_ms)
    ).one()
    return int(row[0]), int(row[1])


def release_all_leases(conn: Connection) -> int:
    """For the only scheduler there is (SQLite): what a killed predecessor held is due now."""
    statement = (
        update(SCHEDULES).where(SCHEDULES.c.lease_until.is_not(None)).values(lease_until=None)
    )
    return int(conn.execute(statement).rowcount or 0)


def load_recipients(stored: str) -> list[dict[str, Any]]:
    recipients: list[dict[str, Any]] = orjson.loads(stored)
    return recipients


def dump_recipients(recipients: list[dict[str, Any]]) -> str:
    return orjson.dumps(recipients).decode()


# --- the operator console ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleSearch:
    """What the console looks for; None matches anything. Times are send times, epoch ms."""

    app_id: int | None = None
    status: str | None = None  # pending, sent, deleted
    since: int | None = None  # inclusive
    until: int | None = None  # exclusive


def search_schedules(
    conn: Connection, chosen: ScheduleSearch, limit: int, offset: int
) -> list[StoredSchedule]:
    """Schedules by send time, latest first, through (status, send_at) or app_id."""
    query = select(SCHEDULES).order_by(SCHEDULES.c.send_at.desc(), SCHEDULES.c.id.desc())
    if chosen.app_id is not None:
        query = query.where(SCHEDULES.c.app_id == chosen.app_id)
    if chosen.status is not None:
        query = query.where(SCHEDULES.c.status == chosen.status)
    if chosen.since is not None:
        query = query.where(SCHEDULES.c.send_at >= chosen.since)
    if chosen.until is not None:
        query = query.where(SCHEDULES.c.send_at < chosen.until)
    return [StoredSchedule._make(row) for row in conn.execute(query.limit(limit).offset(offset))]


def schedule_by_id(conn: Connection, schedule_id: str) -> StoredSchedule | None:
    """Any app's schedule (the operator sees them all)."""
    row = conn.execute(select(SCHEDULES).where(SCHEDULES.c.id == schedule_id)).first()
    return None if row is None else StoredSchedule._make(row)
