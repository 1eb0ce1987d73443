"""Queries of a message's story: its events, the message row, searches and pruning.

Events are written in batches (one executemany per delivery pass, receipt batch or callback
pass). Searches read messages newest first through (mobile, created_at), (app_id, created_at)
and (status, created_at), and refusals through partial indexes that hold only refusals.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Connection,
    Select,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from smsgate.db.inserts import FastInsert
from smsgate.db.models import REFUSAL_CONDITION, Message, MessageEvent, MessageRecord, table

EVENTS = table(MessageEvent)
MESSAGES = table(Message)
STATUSES = ("accepted", "submitted", "delivered", "failed")
REFUSED = "refused"

_INSERT = FastInsert(EVENTS, ("msg_id", "app_id", "at", "kind", "mobile", "request_id", "data"))
_EVENTS_OF = (
    select(
        EVENTS.c.at,
        EVENTS.c.kind,
        EVENTS.c.request_id,
        EVENTS.c.data,
        EVENTS.c.app_id,
        EVENTS.c.mobile,
    )
    .where(EVENTS.c.msg_id == bindparam("msg_id"))
    .order_by(EVENTS.c.id)
)
_MESSAGE = select(MESSAGES).where(MESSAGES.c.id == bindparam("msg_id"))
_FOUND_COLUMNS = (
    MESSAGES.c.id.label("msg_id"),
    MESSAGES.c.app_id,
    MESSAGES.c.created_at.label("at"),
    MESSAGES.c.kind,
    MESSAGES.c.channel,
    MESSAGES.c.mobile,
    MESSAGES.c.status,
    MESSAGES.c.report_status,
    MESSAGES.c.provider,
    MESSAGES.c.template_id,
)


@dataclass(frozen=True, slots=True)
class Filters:
    """What `smsgate messages search` looks for; None matches anything."""

    mobile: str | None = None  # E.164
    app_id: int | None = None
    status: str | None = None  # one of STATUSES, or REFUSED
    since: int | None = None  # epoch ms
    limit: int = 20


class WrittenEvent(NamedTuple):
    """One written entry of a message's story."""

    at: int
    kind: str
    request_id: str | None
    data: str  # JSON
    app_id: int | None  # a refusal's
    mobile: str | None  # a refusal's


class FoundMessage(NamedTuple):
    """A message a search found."""

    msg_id: str
    app_id: int
    at: int  # its creation
    kind: str
    channel: str
    mobile: str
    status: str
    report_status: int | None
    provider: str | None
    template_id: int | None


class FoundRefusal(NamedTuple):
    """A refused send a search found."""

    msg_id: str | None  # the one a schedule announced, else None
    app_id: int | None
    at: int
    mobile: str | None
    data: str  # JSON: the error code, the rule, the kind, the template
    status: str  # always REFUSED


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    _INSERT.execute_many(conn, rows)


def events_of(conn: Connection, msg_id: str) -> list[WrittenEvent]:
    return [WrittenEvent._make(row) for row in conn.execute(_EVENTS_OF, {"msg_id": msg_id})]


def message_row(conn: Connection, msg_id: str) -> MessageRecord | None:
    row = conn.execute(_MESSAGE, {"msg_id": msg_id}).first()
    return None if row is None else MessageRecord._make(row)


def find_messages(conn: Connection, filters: Filters) -> list[FoundMessage]:
    """Messages, newest first. With no number, app or status, the newest of each status are
    merged (each read from the (status, created_at) index), so no query sorts the table."""
    if filters.status == REFUSED:
        return []
    if filters.mobile or filters.app_id is not None or filters.status:
        query = _newest(_where(select(*_FOUND_COLUMNS), filters), filters.limit)
        return [FoundMessage._make(row) for row in conn.execute(query)]
    parts = [
        _newest(_where(select(*_FOUND_COLUMNS), filters, status), filters.limit).subquery()
        for status in STATUSES
    ]
    merged = union_all(*(select(part) for part in parts)).subquery()
    query = select(merged).order_by(merged.c.at.desc()).limit(filters.limit)
    return [FoundMessage._make(row) for row in conn.execute(query)]


def _where(query: Select[Any], filters: Filters, status: str | None = None) -> Select[Any]:
    if filters.mobile:
        query = query.where(MESSAGES.c.mobile == filters.mobile)
    if filters.app_id is not None:
        query = query.where(MESSAGES.c.app_id == filters.app_id)
    if status or filters.status:
        query = query.where(MESSAGES.c.status == (status or filters.status))
    if filters.since is not None:
        query = query.where(MESSAGES.c.created_at >= filters.since)
    return query


def _newest(query: Select[Any], limit: int) -> Select[Any]:
    return query.order_by(MESSAGES.c.created_at.desc()).limit(limit)


def find_refusals(conn: Connection, filters: Filters) -> list[FoundRefusal]:
    """Refused sends, newest first."""
    if filters.status not in (None, REFUSED):
        return []
    query = select(
        EVENTS.c.msg_id,
        EVENTS.c.app_id,
        EVENTS.c.at,
        EVENTS.c.mobile,
        EVENTS.c.data,
        literal(REFUSED).label("status"),
    ).where(literal_column(REFUSAL_CONDITION))  # literal: it selects the partial indexes
    if filters.mobile:
        query = query.where(EVENTS.c.mobile == filters.mobile)
    if filters.app_id is not None:
        query = query.where(EVENTS.c.app_id == filters.app_id)
    if filters.since is not None:
        query = query.where(EVENTS.c.at >= filters.since)
    query = query.order_by(EVENTS.c.at.desc()).limit(filters.limit)
    return [FoundRefusal._make(row) for row in conn.execute(query)]


def refusal_counts(conn: Connection, since: int, limit: int) -> list[tuple[int, int]]:
    """(JSMS code, refusals) since `since`, most first: read through the partial index on
    refusals by time, the code taken from each event's JSON."""
    if conn.dialect.name == "postgresql":
        code: Any = func.json_extract_path_text(cast(EVENTS.c.data, JSON), "error_code")
    else:
        code = func.json_extract(EVENTS.c.data, "$.error_code")
    counted = func.count().label("refusals")
    query = (
        select(code.label("code"), counted)
        .where(literal_column(REFUSAL_CONDITION), EVENTS.c.at >= since)
        .group_by(code)
        .order_by(counted.desc())
        .limit(limit)
    )
    return [(int(row.code), int(row.refusals)) for row in conn.execute(query) if row.code]


def prune_events(conn: Connection, before_ms: int, chunk: int) -> int:
    """Delete up to `chunk` events older than `before_ms` (oldest first); how many went. Kept
    short, so a large backlog never holds the write lock for long."""
    oldest = select(EVENTS.c.id).where(EVENTS.c.at < before_ms).order_by(EVENTS.c.at).limit(chunk)
    pruned = conn.execute(delete(EVENTS).where(EVENTS.c.id.in_(oldest.scalar_subquery())))
    return int(pruned.rowcount)
