"""Finding messages for people (the operator console): search newest first, one message with
its provider ids and code checks, and counts per hour. Read-only.

Every search is a range scan on an index ordered by time (messages by number, by app, by
creation time) with a LIMIT, so it reads about `limit` rows whatever the table holds.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, func, select

from smsgate.apps.service import app_keys
from smsgate.db.engine import Database
from smsgate.db.models import App, Message, ProviderMessageId, VerificationCode, table

MESSAGES = table(Message)
APPS = table(App)
PROVIDER_IDS = table(ProviderMessageId)
CODES = table(VerificationCode)
HOUR_MS = 3_600_000
STATUSES = ("accepted", "submitted", "delivered", "failed")  # every messages.status
CODE_KINDS = ("code", "voice_code")  # messages.kind of the messages verification_codes check


@dataclass(frozen=True, slots=True)
class MessageFilter:
    mobile: str | None = None  # E.164
    msg_id: str | None = None
    app_key: str | None = None
    status: str | None = None
    since: int | None = None  # epoch ms, inclusive
    until: int | None = None  # epoch ms, exclusive


@dataclass(frozen=True, slots=True)
class ProviderId:
    provider: str
    provider_message_id: str
    report_status: int | None
    created_at: int


@dataclass(frozen=True, slots=True)
class CodeState:
    expires_at: int
    attempts: int
    verified_at: int | None


@dataclass(frozen=True, slots=True)
class MessageDetail:
    message: Row[Any]  # the messages row with app_key
    provider_ids: list[ProviderId]
    code: CodeState | None


def _search_query(chosen: MessageFilter, limit: int) -> Any:
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


async def search_messages(db: Database, chosen: MessageFilter, limit: int = 50) -> list[Row[Any]]:
    """Messages that match every given field, newest first."""
    query = _search_query(chosen, limit)
    return await db.read(lambda conn: list(conn.execute(query).all()))


async def message_detail(db: Database, msg_id: str) -> MessageDetail | None:
    def read(conn: Connection) -> MessageDetail | None:
        row = conn.execute(_search_query(MessageFilter(msg_id=msg_id), 1)).first()
        if row is None:
            return None
        ids = conn.execute(
            select(PROVIDER_IDS)
            .where(PROVIDER_IDS.c.msg_id == msg_id)
            .order_by(PROVIDER_IDS.c.created_at)
        ).all()
        code = conn.execute(select(CODES).where(CODES.c.msg_id == msg_id)).first()
        return MessageDetail(
            row,
            [
                ProviderId(r.provider, r.provider_message_id, r.report_status, r.created_at)
                for r in ids
            ],
            CodeState(code.expires_at, code.attempts, code.verified_at) if code else None,
        )

    return await db.read(read)


@dataclass(frozen=True, slots=True)
class Conversion:
    """Codes sent (text and voice) and how many of them were verified, for one app and
    template (None: an app's codes sent without a template)."""

    app_key: str
    template_id: int | None
    sent: int
    verified: int

    @property
    def rate(self) -> float:
        return self.verified / self.sent if self.sent else 0.0


async def code_conversion(db: Database, since: int) -> list[Conversion]:
    """Per app and template, for codes sent since `since` (the message's creation), from the
    database: every process's sends and verifications."""
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

    def read(conn: Connection) -> list[Conversion]:
        if conn.dialect.name == "postgresql":
            # It hashes every code ever sent to join a day's worth; looking each up by its
            # msg_id is a third of the time (bench/console.py). Only for this read.
            conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
            conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")
        rows = conn.execute(query).all()
        keys = app_keys(conn, sorted({r.app_id for r in rows}))
        found = [
            Conversion(keys.get(r.app_id, "?"), r.template_id, int(r.sent), int(r.verified))
            for r in rows
        ]
        return sorted(found, key=lambda c: (c.app_key, c.template_id or 0))

    return await db.read(read)


async def hourly_counts(db: Database, since: int) -> list[tuple[int, str, str, int]]:
    """(hour start in ms, channel, status, messages) for messages created since `since`."""
    hour = MESSAGES.c.created_at // HOUR_MS
    query = (
        select(hour.label("hour"), MESSAGES.c.channel, MESSAGES.c.status, func.count())
        # each status named: a range of (status, created_at, channel) per status, index only
        .where(MESSAGES.c.status.in_(STATUSES), MESSAGES.c.created_at >= since)
        .group_by("hour", MESSAGES.c.channel, MESSAGES.c.status)
    )
    rows = await db.read(lambda conn: conn.execute(query).all())
    return [(int(h) * HOUR_MS, channel, status, int(n)) for h, channel, status, n in rows]
