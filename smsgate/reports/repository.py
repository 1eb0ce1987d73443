"""Queries on pull records and clocks, reply numbers, and the kept replies and final statuses
the console lists."""

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, delete, insert, or_, select, update

from smsgate.db.inserts import FastInsert
from smsgate.db.models import Message, PullClock, PullRecord, Reply, ReplyNumber, table
from smsgate.db.upserts import dialect_insert

CLOCKS = table(PullClock)
RECORDS = table(PullRecord)
REPLY_NUMBERS = table(ReplyNumber)
REPLIES = table(Reply)
MESSAGES = table(Message)

# Every delivery report writes through it.
_INSERT_RECORDS = FastInsert(RECORDS, ("app_id", "kind", "data", "received_at"))


# --- pull records ------------------------------------------------------------------------------


def insert_records(conn: Connection, rows: list[dict[str, object]]) -> None:
    _INSERT_RECORDS.execute_many(conn, rows)


def take_pull_turn(conn: Connection, app_id: int, kind: str, now_ms: int, every_ms: int) -> bool:
    """Count one pull of `kind` by the app; False when its last one was under `every_ms` ago."""
    moved = conn.execute(
        update(CLOCKS)
        .where(
            CLOCKS.c.app_id == app_id,
            CLOCKS.c.kind == kind,
            CLOCKS.c.pulled_at <= now_ms - every_ms,
        )
        .values(pulled_at=now_ms)
    )
    if moved.rowcount == 1:
        return True
    first = (
        dialect_insert(conn, CLOCKS)
        .values(app_id=app_id, kind=kind, pulled_at=now_ms)
        .on_conflict_do_nothing()
    )
    return conn.execute(first).rowcount == 1


def lease_records(
    conn: Connection,
    app_id: int,
    kind: str,
    limit: int,
    token: str,
    now_ms: int,
    until_ms: int,
    oldest_ms: int,
) -> list[str]:
    """Lease the app's oldest unleased records (received since `oldest_ms`) to one pull; their
    JSON texts, oldest first."""
    chosen = (
        select(RECORDS.c.id, RECORDS.c.data)
        .where(
            RECORDS.c.app_id == app_id,
            RECORDS.c.kind == kind,
            RECORDS.c.received_at >= oldest_ms,
            or_(RECORDS.c.lease_until.is_(None), RECORDS.c.lease_until <= now_ms),
        )
        .order_by(RECORDS.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = conn.execute(chosen).all()
    if rows:
        conn.execute(
            update(RECORDS)
            .where(RECORDS.c.id.in_([row.id for row in rows]))
            .values(lease_token=token, lease_until=until_ms)
        )
    return [row.data for row in rows]


def delete_leased(conn: Connection, token: str) -> int:
    return conn.execute(delete(RECORDS).where(RECORDS.c.lease_token == token)).rowcount


def release_leased(conn: Connection, token: str) -> int:
    """The pull's answer did not reach its client: the next pull hands the records out."""
    released = update(RECORDS).where(RECORDS.c.lease_token == token)
    return conn.execute(released.values(lease_token=None, lease_until=None)).rowcount


def prune_records(conn: Connection, before_ms: int) -> int:
    return conn.execute(delete(RECORDS).where(RECORDS.c.received_at < before_ms)).rowcount


# --- reply numbers -----------------------------------------------------------------------------


def reply_number_owners(conn: Connection, candidates: list[str]) -> dict[str, int]:
    rows = conn.execute(
        select(REPLY_NUMBERS.c.number, REPLY_NUMBERS.c.app_id).where(
            REPLY_NUMBERS.c.number.in_(candidates)
        )
    )
    return {row.number: row.app_id for row in rows}


def replace_reply_numbers(conn: Connection, app_id: int, numbers: list[str]) -> None:
    conn.execute(delete(REPLY_NUMBERS).where(REPLY_NUMBERS.c.app_id == app_id))
    if numbers:
        conn.execute(insert(REPLY_NUMBERS), [{"number": n, "app_id": app_id} for n in numbers])


def reply_numbers_of(conn: Connection, app_id: int) -> list[str]:
    query = (
        select(REPLY_NUMBERS.c.number)
        .where(REPLY_NUMBERS.c.app_id == app_id)
        .order_by(REPLY_NUMBERS.c.number)
    )
    return list(conn.execute(query).scalars())


def add_reply_number(conn: Connection, app_id: int, number: str) -> None:
    conn.execute(insert(REPLY_NUMBERS).values(number=number, app_id=app_id))


def remove_reply_number(conn: Connection, app_id: int, number: str) -> bool:
    removed = conn.execute(
        delete(REPLY_NUMBERS).where(
            REPLY_NUMBERS.c.app_id == app_id, REPLY_NUMBERS.c.number == number
        )
    )
    return removed.rowcount > 0


# --- what the console lists ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListSearch:
    """A search of reports or replies; None matches anything. Times are epoch ms."""

    app_id: int | None = None
    mobile: str | None = None  # E.164
    msg_id: str | None = None  # reports only
    status: str | None = None  # reports only: delivered, failed
    text: str | None = None  # replies only: a part of the text
    since: int | None = None  # inclusive
    until: int | None = None  # exclusive


def insert_reply(conn: Connection, values: dict[str, object]) -> None:
    conn.execute(insert(REPLIES).values(values))


def prune_replies(conn: Connection, before_ms: int) -> int:
    return conn.execute(delete(REPLIES).where(REPLIES.c.received_at < before_ms)).rowcount


class FinalMessage(NamedTuple):
    """A message with a final status, as the console lists reports."""

    id: str
    app_id: int
    mobile: str
    channel: str
    status: str  # delivered, failed
    report_status: int | None
    provider: str | None
    reported_at: int  # never None: only final messages are searched


class KeptReply(NamedTuple):
    """A row of `replies`."""

    id: int
    app_id: int
    mobile: str
    reply_number: str  # the number it was sent to
    text: str
    received_at: int


def search_reports(
    conn: Connection, chosen: ListSearch, limit: int, offset: int
) -> list[FinalMessage]:
    """Messages with a final status, newest report first: through (reported_at), (app_id,
    reported_at), (mobile, created_at) or the msg_id."""
    reported = MESSAGES.c.reported_at
    query: Select[Any] = select(
        MESSAGES.c.id,
        MESSAGES.c.app_id,
        MESSAGES.c.mobile,
        MESSAGES.c.channel,
        MESSAGES.c.status,
        MESSAGES.c.report_status,
        MESSAGES.c.provider,
        reported,
    ).where(reported.is_not(None))
    if chosen.msg_id:
        query = query.where(MESSAGES.c.id == chosen.msg_id)
    if chosen.mobile:
        query = query.where(MESSAGES.c.mobile == chosen.mobile)
    if chosen.status:
        query = query.where(MESSAGES.c.status == chosen.status)
    query = _in_range(query, MESSAGES.c.app_id, reported, chosen)
    query = query.order_by(reported.desc(), MESSAGES.c.id.desc())
    return [FinalMessage._make(row) for row in conn.execute(query.limit(limit).offset(offset))]


def search_replies(
    conn: Connection, chosen: ListSearch, limit: int, offset: int
) -> list[KeptReply]:
    received = REPLIES.c.received_at
    query: Select[Any] = select(REPLIES)
    if chosen.mobile:
        query = query.where(REPLIES.c.mobile == chosen.mobile)
    if chosen.text:
        query = query.where(REPLIES.c.text.contains(chosen.text, autoescape=True))
    query = _in_range(query, REPLIES.c.app_id, received, chosen)
    query = query.order_by(received.desc(), REPLIES.c.id.desc())
    return [KeptReply._make(row) for row in conn.execute(query.limit(limit).offset(offset))]


def _in_range(query: Select[Any], app: Any, at: Any, chosen: ListSearch) -> Select[Any]:
    if chosen.app_id is not None:
        query = query.where(app == chosen.app_id)
    if chosen.since is not None:
        query = query.where(at >= chosen.since)
    if chosen.until is not None:
        query = query.where(at < chosen.until)
    return query
