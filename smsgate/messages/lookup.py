"""Finding messages for people (the operator console): search newest first, one message with
its provider ids and code checks, and counts per hour. Read-only; the queries are
messages/repository.py's.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from smsgate.apps.service import app_keys
from smsgate.db.engine import Database
from smsgate.messages import repository
from smsgate.messages.repository import MessageFilter, MessageWithKey

HOUR_MS = 3_600_000


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
    message: MessageWithKey
    provider_ids: list[ProviderId]
    code: CodeState | None


async def search_messages(
    db: Database, chosen: MessageFilter, limit: int = 50
) -> list[MessageWithKey]:
    """Messages that match every given field, newest first."""
    return await db.read(lambda conn: repository.find_messages(conn, chosen, limit))


async def message_detail(db: Database, msg_id: str) -> MessageDetail | None:
    def read(conn: Connection) -> MessageDetail | None:
        found = repository.find_messages(conn, MessageFilter(msg_id=msg_id), 1)
        if not found:
            return None
        ids = repository.provider_ids_of(conn, msg_id)
        code = repository.code_of(conn, msg_id)
        return MessageDetail(
            found[0],
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

    def read(conn: Connection) -> list[Conversion]:
        rows = repository.code_conversion_counts(conn, since)
        keys = app_keys(conn, sorted({r.app_id for r in rows}))
        found = [
            Conversion(keys.get(r.app_id, "?"), r.template_id, int(r.sent), int(r.verified))
            for r in rows
        ]
        return sorted(found, key=lambda c: (c.app_key, c.template_id or 0))

    return await db.read(read)


async def hourly_counts(db: Database, since: int) -> list[tuple[int, str, str, int]]:
    """(hour start in ms, channel, status, messages) for messages created since `since`."""
    rows = await db.read(lambda conn: repository.counts_per_period(conn, since, HOUR_MS))
    return [(period * HOUR_MS, channel, status, n) for period, channel, status, n in rows]
