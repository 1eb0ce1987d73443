"""Queries of the delivery slice: providers' message ids and early reports, provider health, and
the sandbox inbox.

Receipts arrive by the thousand a second: every statement on their path is built once, at
import, with bind parameters (expanding ones for id lists), so SQLAlchemy reuses its compiled
form, and each batch of reports runs one statement per step however many reports it holds.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, delete, select, text, update

from smsgate.db.models import (
    PendingReport,
    ProviderHealth,
    ProviderMessageId,
    SandboxDelivery,
    table,
)
from smsgate.db.updates import FastUpdate
from smsgate.db.upserts import Upsert, insert_or_ignore, insert_or_update

IDS = table(ProviderMessageId)
PENDING = table(PendingReport)
HEALTH = table(ProviderHealth)
INBOX = table(SandboxDelivery)
_INBOX_REPORTED = FastUpdate(
    update(INBOX).where(INBOX.c.msg_id == bindparam("reported_id")).values(report_due_at=None)
)
_REPORT_LOCK_SPACE = 0x5250  # the first key of smsgate's two-key advisory locks for reports

_LOCK = text("SELECT pg_advisory_xact_lock(:space, hashtext(:provider))")
_OF_PROVIDER = IDS.c.provider == bindparam("provider")
_FIND_IDS = select(IDS.c.provider_message_id, IDS.c.msg_id).where(
    _OF_PROVIDER, IDS.c.provider_message_id.in_(bindparam("ids", expanding=True))
)
_SET_REPORT = FastUpdate(
    update(IDS)
    .where(IDS.c.provider == bindparam("of"), IDS.c.provider_message_id == bindparam("pid"))
    .values(report_status=bindparam("status"))
)
_PARTS = select(IDS.c.msg_id, IDS.c.report_status).where(
    IDS.c.msg_id.in_(bindparam("ids", expanding=True))
)
_EARLY = select(PENDING.c.provider_message_id, PENDING.c.report_status, PENDING.c.report_key).where(
    PENDING.c.provider == bindparam("provider"),
    PENDING.c.provider_message_id.in_(bindparam("ids", expanding=True)),
)
_DROP_PENDING_IDS = delete(PENDING).where(
    PENDING.c.provider == bindparam("provider"),
    PENDING.c.provider_message_id.in_(bindparam("ids", expanding=True)),
)
_DROP_PENDING_KEYS = delete(PENDING).where(
    PENDING.c.provider == bindparam("provider"),
    PENDING.c.report_key.in_(bindparam("keys", expanding=True)),
)


# An id seen again (a retried submit the carrier numbered the same) now names this message.
_REMEMBER = Upsert(
    IDS,
    lambda insert: insert.on_conflict_do_update(
        index_elements=["provider", "provider_message_id"],
        set_={"msg_id": insert.excluded.msg_id, "report_status": None},
    ),
)
_KEEP = insert_or_update(
    PENDING, ["provider", "provider_message_id"], ["report_status", "received_at", "report_key"]
)
_SAVE_HEALTH = insert_or_update(
    HEALTH, ["provider", "worker"], [column.name for column in HEALTH.c if not column.primary_key]
)
# Redelivery after a crash finds the row already there: the handset gets it once.
_INSERT_ONCE = insert_or_ignore(INBOX, ["msg_id"])


def lock_reports(conn: Connection, providers: Iterable[str]) -> None:
    """One advisory lock per provider on PostgreSQL, in name order (SQLite's write lock already
    orders writers)."""
    if conn.dialect.name == "postgresql":
        for provider in sorted(set(providers)):
            conn.execute(_LOCK, {"space": _REPORT_LOCK_SPACE, "provider": provider})


def remember_ids(conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
    _REMEMBER.execute(conn, rows)


class EarlyReport(NamedTuple):
    """A report kept until its id is known, under one of its spellings."""

    provider_message_id: str
    report_status: int
    report_key: str  # the report's first spelling


def early_reports(conn: Connection, provider: str, ids: Sequence[str]) -> list[EarlyReport]:
    """Reports kept for these ids of the provider."""
    rows = conn.execute(_EARLY, {"provider": provider, "ids": ids})
    return [EarlyReport(row[0], row[1], row[2]) for row in rows]


def drop_pending_keys(conn: Connection, provider: str, keys: Sequence[str]) -> None:
    conn.execute(_DROP_PENDING_KEYS, {"provider": provider, "keys": keys})


def drop_pending_ids(conn: Connection, provider: str, ids: Sequence[str]) -> None:
    conn.execute(_DROP_PENDING_IDS, {"provider": provider, "ids": ids})


def find_ids(conn: Connection, provider: str, ids: Sequence[str]) -> dict[str, str]:
    """The msg_id of each of these ids the provider is known to have used."""
    return dict(conn.execute(_FIND_IDS, {"provider": provider, "ids": ids}).all())


def set_reports(conn: Connection, provider: str, statuses: Mapping[str, int]) -> None:
    _SET_REPORT.execute_many(
        conn, [{"of": provider, "pid": pid, "status": status} for pid, status in statuses.items()]
    )


def part_statuses(conn: Connection, msg_ids: Sequence[str]) -> list[tuple[str, int | None]]:
    """(msg_id, report status or None) of every part of these messages."""
    return [(row[0], row[1]) for row in conn.execute(_PARTS, {"ids": msg_ids})]


def keep_pending(conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
    _KEEP.execute(conn, rows)


def prune_ids(conn: Connection, ids_before: int, pending_before: int) -> None:
    conn.execute(delete(IDS).where(IDS.c.created_at < ids_before))
    conn.execute(delete(PENDING).where(PENDING.c.received_at < pending_before))


def save_health_rows(conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
    """One row per (provider, worker), overwritten when it exists."""
    _SAVE_HEALTH.execute(conn, rows)


@dataclass(frozen=True, slots=True)
class HealthRow:
    """A row of `provider_health`: one provider as one worker sees it."""

    provider: str
    worker: str
    state: str
    since: int | None
    submitted: int
    accepted: int
    rejected: int
    failed: int
    consecutive_failures: int
    open_until: int | None
    last_error: str | None
    last_error_at: int | None
    updated_at: int


def health_rows(conn: Connection) -> list[HealthRow]:
    query = select(HEALTH).order_by(HEALTH.c.provider, HEALTH.c.worker)
    return [HealthRow(**row) for row in conn.execute(query).mappings()]


_DUE_REPORTS = (
    select(INBOX.c.msg_id, INBOX.c.report_status)
    .where(INBOX.c.report_due_at <= bindparam("now"))
    .limit(500)
)
_NEXT_REPORT = (
    select(INBOX.c.report_due_at)
    .where(INBOX.c.report_due_at.is_not(None))
    .order_by(INBOX.c.report_due_at)
    .limit(1)
)


def deliver_to_inbox(conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
    _INSERT_ONCE.execute(conn, rows)


def due_inbox_reports(conn: Connection, now: int) -> list[tuple[str, int]]:
    """(msg_id, report status) of up to 500 inbox messages whose report is due."""
    return [(row[0], row[1]) for row in conn.execute(_DUE_REPORTS, {"now": now})]


def mark_inbox_reported(conn: Connection, msg_ids: Sequence[str]) -> None:
    _INBOX_REPORTED.execute_many(conn, [{"reported_id": msg_id} for msg_id in msg_ids])


def next_inbox_report(conn: Connection) -> int | None:
    due = conn.execute(_NEXT_REPORT).scalar()
    return None if due is None else int(due)


@dataclass(frozen=True, slots=True)
class InboxEntry:
    msg_id: str
    mobile: str
    channel: str
    text: str
    delivered_at: int
    report_status: int
    audio_path: str | None = None  # a voice code's recording


def inbox_entries(conn: Connection, mobile: str | None) -> list[InboxEntry]:
    """What the sandbox delivered, oldest first, optionally for one number (E.164)."""
    query = select(INBOX).order_by(INBOX.c.id)
    if mobile is not None:
        query = query.where(INBOX.c.mobile == mobile)
    return [
        InboxEntry(
            r["msg_id"],
            r["mobile"],
            r["channel"],
            r["text"],
            r["delivered_at"],
            r["report_status"],
            r["audio_path"],
        )
        for r in conn.execute(query).mappings()
    ]
