"""Queries on message rows and their delivery status (built once: see apps/repository.py), and
the operator console's reads of them (messages/lookup.py): searches newest first, a message's
provider ids and code state, code conversion and counts over time.

Every console search is a range scan on an index ordered by time (messages by number, by app,
by creation time) with a LIMIT, so it reads about `limit` rows whatever the table holds.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, bindparam, func, or_, select, update

from smsgate.db.inserts import FastInsert
from smsgate.db.models import (
    App,
    CodeRecord,
    Message,
    MessageRecord,
    ProviderMessageId,
    VerificationCode,
    table,
)
from smsgate.db.selects import FastSelect
from smsgate.db.updates import FastUpdate

MESSAGES = table(Message)
APPS = table(App)
PROVIDER_IDS = table(ProviderMessageId)
CODES = table(VerificationCode)
STATUSES = ("accepted", "submitted", "delivered", "failed")  # every messages.status
CODE_KINDS = ("code", "voice_code")  # messages.kind of the messages verification_codes check
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
_TEMPLATE_OF = FastSelect(
    select(MESSAGES.c.template_id).where(MESSAGES.c.id == bindparam("msg_id"))
)
_SUBMITTED = FastUpdate(
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("target_id"), MESSAGES.c.status == "accepted")
    .values(
        status="submitted",
        provider=bindparam("new_provider"),
        provider_message_id=bindparam("new_provider_message_id"),
        submitted_at=bindparam("new_now"),
    )
)
_FINAL = FastUpdate(
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


class Finalised(NamedTuple):
    """A message that became final now, with what its report, receipt and callback need."""

    id: str
    app_id: int
    mobile: str
    provider: str | None
    submitted_at: int | None
    kind: str


def insert_message(conn: Connection, values: dict[str, object]) -> None:
    _INSERT_MESSAGE.execute(conn, values)


def template_of(conn: Connection, msg_id: str) -> int | None:
    found: list[int | None] = _TEMPLATE_OF.scalars(conn, {"msg_id": msg_id})
    return found[0] if found else None


def find_message(conn: Connection, msg_id: str) -> MessageRecord | None:
    row = conn.execute(_BY_ID, {"msg_id": msg_id}).first()
    return None if row is None else MessageRecord._make(row)


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
    _SUBMITTED.execute_many(conn, params)


def set_final_statuses(
    conn: Connection, reports: list[tuple[str, str, int]], now_ms: int
) -> list[Finalised]:
    """(msg_id, status, report status) triples, in one executemany. Returns the messages that
    became final now: they are locked first, so a concurrent report for the same message
    cannot count it final twice."""
    ids = sorted({msg_id for msg_id, _status, _report in reports})
    changing = [Finalised._make(row) for row in conn.execute(_NOT_FINAL, {"ids": ids})]
    open_ids = {row.id for row in changing}
    params = [
        {"target_id": msg_id, "new_status": status, "new_report_status": report, "new_now": now_ms}
        for msg_id, status, report in reports
        if msg_id in open_ids
    ]
    _FINAL.execute_many(conn, params)
    return changing


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
    return conn.execute(_FINAL.statement, params).rowcount == 1


# --- the operator console's reads ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageFilter:
    mobile: str | None = None  # E.164
    msg_id: str | None = None
    app_key: str | None = None
    status: str | None = None
    since: int | None = None  # epoch ms, inclusive
    until: int | None = None  # epoch ms, exclusive


class MessageWithKey(NamedTuple):
    """A row of `messages` with its app's key, as the console shows it."""

    id: str
    app_id: int
    kind: str
    channel: str
    mobile: str
    template_id: int | None
    content: str | None
    segments: int
    quota_category: str | None
    quota_units: int
    status: str
    report_status: int | None
    provider: str | None
    provider_message_id: str | None
    created_at: int
    submitted_at: int | None
    reported_at: int | None
    request_id: str | None
    app_key: str


def find_messages(conn: Connection, chosen: MessageFilter, limit: int) -> list[MessageWithKey]:
    """Messages (with their app's key) that match every given field, newest first."""
    return [MessageWithKey._make(row) for row in conn.execute(_search_query(chosen, limit))]


def _search_query(chosen: MessageFilter, limit: int) -> Select[Any]:
    query = (
        select(MESSAGES, APPS.c.app_key)
        .join(APPS, APPS.c.id == MESSAGES.c.app_id)
        .order_by(MESSAGES.c.created_at.desc())
        .limit(limit)
    )
    conditions = [
        MESSAGES.c.id == chosen.msg_id if chosen.msg_id else None,
        MESSAGES.c.mobile == chosen.mobile if chosen.mobile else None,
        APPS.c.app_key == chosen.app_key if chosen.app_key else None,
        MESSAGES.c.status == chosen.status if chosen.status else None,
        MESSAGES.c.created_at >= chosen.since if chosen.since is not None else None,
        MESSAGES.c.created_at < chosen.until if chosen.until is not None else None,
    ]
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return query


class ProviderIdRow(NamedTuple):
    """An id a provider gave one part of a message, and that part's report."""

    provider: str
    provider_message_id: str
    msg_id: str
    report_status: int | None
    created_at: int


def provider_ids_of(conn: Connection, msg_id: str) -> list[ProviderIdRow]:
    """The ids providers gave a message, oldest first."""
    query = (
        select(PROVIDER_IDS)
        .where(PROVIDER_IDS.c.msg_id == msg_id)
        .order_by(PROVIDER_IDS.c.created_at)
    )
    return [ProviderIdRow._make(row) for row in conn.execute(query)]


def code_of(conn: Connection, msg_id: str) -> CodeRecord | None:
    """The verification code row of a code message (None for other messages)."""
    row = conn.execute(select(CODES).where(CODES.c.msg_id == msg_id)).first()
    return None if row is None else CodeRecord._make(row)


class ConversionCount(NamedTuple):
    """Codes sent with one app and template, and how many of them were verified."""

    app_id: int
    template_id: int | None
    sent: int
    verified: int


def code_conversion_counts(conn: Connection, since: int) -> list[ConversionCount]:
    """(app_id, template_id, sent, verified) of codes sent since `since` (the message's
    creation)."""
    # `app_id + 0`: grouped by the plain column, SQLite's planner prefers the (app_id,
    # created_at) index and reads every message row; this way the day's codes come from
    # ix_messages_created_kind alone.
    app = (MESSAGES.c.app_id + 0).label("app_id")
    query = (
        select(
            app,
            MESSAGES.c.template_id,
            func.count().label("sent"),
            func.count(CODES.c.verified_at).label("verified"),
        )
        .select_from(MESSAGES.join(CODES, CODES.c.msg_id == MESSAGES.c.id))
        .where(MESSAGES.c.created_at >= since, MESSAGES.c.kind.in_(CODE_KINDS))
        .group_by(app, MESSAGES.c.template_id)
    )
    if conn.dialect.name == "postgresql":
        # It hashes every code ever sent to join a day's worth; looking each up by its msg_id
        # is a third of the time (bench/console.py). Only for this read's transaction.
        conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
        conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")
    return [ConversionCount._make(row) for row in conn.execute(query)]


def counts_per_period(
    conn: Connection, since: int, period_ms: int
) -> list[tuple[int, str, str, int]]:
    """(period number, channel, status, messages) for messages created since `since`, where a
    period number times `period_ms` is the period's start."""
    period = MESSAGES.c.created_at // period_ms
    query = (
        select(period.label("period"), MESSAGES.c.channel, MESSAGES.c.status, func.count())
        # each status named: a range of (status, created_at, channel) per status, index only
        .where(MESSAGES.c.status.in_(STATUSES), MESSAGES.c.created_at >= since)
        .group_by("period", MESSAGES.c.channel, MESSAGES.c.status)
    )
    rows = conn.execute(query).all()
    return [(int(p), channel, status, int(n)) for p, channel, status, n in rows]
