"""Reading a message's story: its whole timeline in order, searches over messages and refused
sends, and pruning old events.

The timeline is the message row's acceptance (app, template, channel, number, parts, units and
the category that paid, the request that sent it), then its events in the order they were
written (refusals, delivery tries, failovers, receipts, callback tries, code checks), with the
final status placed where it was reached. Numbers are masked unless asked for.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import app_keys
from smsgate.db.engine import Database
from smsgate.db.models import MessageRecord
from smsgate.mobiles import mask_mobile
from smsgate.story import repository
from smsgate.story.repository import (
    Filters,
    FoundMessage,
    FoundRefusal,
    WrittenEvent,
)

PRUNE_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline."""

    at: int  # epoch ms
    event: str
    details: dict[str, Any]
    request_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "event": self.event, "request_id": self.request_id} | self.details


@dataclass(frozen=True, slots=True)
class Story:
    msg_id: str
    app_key: str | None
    status: str  # accepted, submitted, delivered, failed; refused when it never was a message
    report_status: int | None
    entries: list[Entry] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "msg_id": self.msg_id,
            "app_key": self.app_key,
            "status": self.status,
            "report_status": self.report_status,
            "events": [entry.as_json() for entry in self.entries],
        }


def number(mobile: str | None, show: bool) -> str | None:
    if mobile is None or show:
        return mobile
    return mask_mobile(mobile)


async def message_story(db: Database, msg_id: str, *, show_numbers: bool = False) -> Story | None:
    """The whole story of a msg_id, or None when smsgate knows nothing of it."""

    def read(conn: Connection) -> Story | None:
        message = repository.message_row(conn, msg_id)
        events = repository.events_of(conn, msg_id)
        if message is None and not events:
            return None
        entries = [_event_entry(row, show_numbers) for row in events]
        if message is None:  # a scheduled recipient refused when its time came
            return Story(msg_id, _app_key(conn, events[0].app_id), "refused", None, entries)
        entries.insert(0, _accepted(message, show_numbers))
        if message.reported_at is not None:
            _place(entries, _final(message, message.reported_at))
        app_key = _app_key(conn, message.app_id)
        return Story(msg_id, app_key, message.status, message.report_status, entries)

    return await db.read(read)


def _accepted(message: MessageRecord, show_numbers: bool) -> Entry:
    details: dict[str, Any] = {
        "kind": message.kind,
        "channel": message.channel,
        "temp_id": message.template_id,
        "mobile": number(message.mobile, show_numbers),
        "parts": message.segments,
        "units": message.quota_units,
        "category": message.quota_category,
    }
    return Entry(message.created_at, "accepted", details, message.request_id)


def _final(message: MessageRecord, reported_at: int) -> Entry:
    details = {"status": message.status, "report_status": message.report_status}
    return Entry(reported_at, "final", details)


def _place(entries: list[Entry], final: Entry) -> None:
    """After every event written up to the moment the status became final (the receipt or
    the try that made it so comes in the same transaction, hence the same millisecond)."""
    position = len(entries)
    while position > 1 and entries[position - 1].at > final.at:
        position -= 1
    entries.insert(position, final)


def _event_entry(row: WrittenEvent, show_numbers: bool) -> Entry:
    details = json.loads(row.data)
    if show_numbers and row.mobile is not None:  # a refusal's number, kept whole for search
        details["mobile"] = row.mobile
    return Entry(row.at, row.kind, details, row.request_id)


def _app_key(conn: Connection, app_id: int | None) -> str | None:
    return None if app_id is None else app_keys(conn, [app_id]).get(app_id)


# --- search ------------------------------------------------------------------------------------


async def search_messages(
    db: Database, filters: Filters, *, show_numbers: bool = False
) -> list[dict[str, Any]]:
    """Messages and refused sends matching the filters, newest first, at most `limit`."""

    def read(conn: Connection) -> list[dict[str, Any]]:
        messages = repository.find_messages(conn, filters)
        refusals = repository.find_refusals(conn, filters)
        found = [_found_message(row, show_numbers) for row in messages]
        found += [_found_refusal(row, show_numbers) for row in refusals]
        found.sort(key=lambda item: item["at"], reverse=True)
        found = found[: filters.limit]
        keys = app_keys(conn, sorted({item["app_id"] for item in found}))
        for item in found:
            item["app_key"] = keys.get(item.pop("app_id"))
        return found

    return await db.read(read)


def _found_message(row: FoundMessage, show_numbers: bool) -> dict[str, Any]:
    return {
        "at": row.at,
        "msg_id": row.msg_id,
        "app_id": row.app_id,
        "status": row.status,
        "report_status": row.report_status,
        "kind": row.kind,
        "channel": row.channel,
        "temp_id": row.template_id,
        "mobile": number(row.mobile, show_numbers),
        "provider": row.provider,
    }


def _found_refusal(row: FoundRefusal, show_numbers: bool) -> dict[str, Any]:
    data = json.loads(row.data)
    return {
        "at": row.at,
        "msg_id": row.msg_id,
        "app_id": row.app_id,
        "status": "refused",
        "error_code": data["error_code"],
        "rule": data["rule"],
        "kind": data["kind"],
        "temp_id": data.get("temp_id"),
        "mobile": number(row.mobile, show_numbers),
    }


# --- pruning -----------------------------------------------------------------------------------


async def top_refusals(db: Database, since: int, limit: int) -> list[tuple[int, int]]:
    """(JSMS code, refused sends) since `since`, most first, from the stories: every process's
    refusals, kept as long as the stories are."""
    return await db.read(lambda conn: repository.refusal_counts(conn, since, limit))


async def prune_story(db: Database, keep_seconds: int) -> int:
    """Drop events older than the keeping time (reports' `report_keep_seconds`), a chunk per
    transaction; the message rows, and with them acceptance and final status, stay."""
    before = clock.now_ms() - keep_seconds * 1000
    pruned = 0
    while True:
        count = await db.write(lambda conn: repository.prune_events(conn, before, PRUNE_CHUNK))
        pruned += count
        if count < PRUNE_CHUNK:
            return pruned


STATUSES: Sequence[str] = (*repository.STATUSES, repository.REFUSED)
