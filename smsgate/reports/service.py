"""Delivery reports and replies (MO): what other slices hand to this one, and the read-once
pulls GET /v1/report and GET /v1/reply.

Every final status and every matched reply becomes a pull record (kept `report_keep_seconds`,
read once) and, when the app has a callback URL, a signed callback in the callback outbox, both
in the transaction that produced it. An app may use both (docs/decisions.md: pull and callbacks).
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import UnknownApp, app_id_by_key, app_keys
from smsgate.callbacks.service import (
    apps_with_callback_url,
    callback_json,
    enqueue_checked,
    has_callback_url,
)
from smsgate.content.service import is_unsubscribe_request, record_unsubscribe
from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.errors import Code, JsmsError
from smsgate.mobiles import display_mobile
from smsgate.reports import repository
from smsgate.reports.repository import ListSearch

log = structlog.get_logger(__name__)
REPORT, REPLY = "report", "reply"


@dataclass(frozen=True, slots=True)
class FinalStatus:
    """A message that has just become final (delivered or failed)."""

    msg_id: str
    app_id: int
    mobile: str  # E.164
    report_status: int


@dataclass(frozen=True, slots=True)
class LeasedPull:
    """The records one pull answers with: `settle_pull` deletes them once the client took the
    answer, or hands them back for the next pull. Until then (and, should the process die, until
    the lease ends) no other pull gets them."""

    token: str
    kind: str
    records: list[str]  # JSON objects, oldest first

    def body(self) -> bytes:
        return ("[" + ",".join(self.records) + "]").encode()


def record_final_statuses(conn: Connection, finals: Sequence[FinalStatus]) -> None:
    """Messages that became final in this transaction: a report record and an SMS_REPORT each,
    a statement for each kind however many messages there are."""
    if not finals:
        return
    now = clock.now_ms()
    with_callback = apps_with_callback_url(conn, {final.app_id for final in finals})
    rows: list[dict[str, object]] = []
    callbacks: list[tuple[int, str]] = []
    for final in finals:
        data = {
            "msgId": final.msg_id,
            "phone": display_mobile(final.mobile),
            "receiveTime": now,
            "status": final.report_status,
        }
        encoded = callback_json(data)
        rows.append(_encoded_record(final.app_id, REPORT, encoded, now))
        if final.app_id in with_callback:
            callbacks.append((final.app_id, encoded))
    enqueue_checked(conn, "SMS_REPORT", callbacks, now)
    repository.insert_records(conn, rows)


def _record(app_id: int, kind: str, data: dict[str, Any], now: int) -> dict[str, object]:
    return _encoded_record(app_id, kind, callback_json(data), now)


def _encoded_record(app_id: int, kind: str, data: str, now: int) -> dict[str, object]:
    return {"app_id": app_id, "kind": kind, "data": data, "received_at": now}


def store_reply(
    conn: Connection, app_id: int, mobile: str, text: str, now: int, reply_number: str = ""
) -> None:
    """A reply (MO) the app is to read, by pull and callback, and operators in the console.
    "TD" or "退订" also unsubscribes the number from the app's marketing (smsgate.content)."""
    if is_unsubscribe_request(text):
        record_unsubscribe(conn, app_id, mobile)
    kept = {"app_id": app_id, "mobile": mobile[:20], "reply_number": reply_number[:32]}
    repository.insert_reply(conn, {**kept, "text": text, "received_at": now})
    data = {"phone": display_mobile(mobile), "replyTime": now, "content": text}
    repository.insert_records(conn, [_record(app_id, REPLY, data, now)])
    if has_callback_url(conn, app_id):
        enqueue_checked(conn, "SMS_REPLY", [(app_id, callback_json(data))], now)


def reply_number_app(conn: Connection, to: str) -> int | None:
    """The app whose reply number is the longest prefix of the number a reply was sent to (a
    long code plus the app's extension), if any."""
    digits = "".join(c for c in to if c.isdigit())
    prefixes = [digits[:n] for n in range(len(digits), 0, -1)]
    owners = repository.reply_number_owners(conn, prefixes) if prefixes else {}
    for prefix in prefixes:
        if prefix in owners:
            return owners[prefix]
    return None


# --- pulls -------------------------------------------------------------------------------------


async def lease_pull(ctx: Context, app_id: int, kind: str) -> LeasedPull:
    """One GET /v1/report or /v1/reply: at most one per `report_pull_interval_seconds` per app
    and kind (else 50009), the oldest unread records up to `report_pull_max_records`.

    The records are leased for one interval plus the grace in which the answer's fate is
    watched; `settle_pull` ends the lease sooner, either way.
    """
    settings = ctx.settings
    every = int(settings.report_pull_interval_seconds * 1000)
    lease_ms = every + int(settings.report_pull_grace_seconds * 1000)
    now = clock.now_ms()
    oldest = now - settings.report_keep_seconds * 1000
    token = secrets.token_hex(16)

    def lease(conn: Connection) -> LeasedPull:
        if not repository.take_pull_turn(conn, app_id, kind, now, every):
            raise JsmsError(Code.OUT_OF_FREQ)
        records = repository.lease_records(
            conn, app_id, kind, settings.report_pull_max_records, token, now, now + lease_ms, oldest
        )
        return LeasedPull(token, kind, records)

    return await ctx.db.write(lease)


async def settle_pull(db: Database, pull: LeasedPull, received: bool) -> None:
    """The client took the answer: its records are read and gone. It did not: they go back,
    oldest first as before, to the app's next pull."""
    if not pull.records:
        return
    settle = repository.delete_leased if received else repository.release_leased
    await db.write(lambda conn: settle(conn, pull.token))
    if not received:
        log.info(
            "pull answer not taken: records offered again", kind=pull.kind, count=len(pull.records)
        )


async def prune_records(db: Database, keep_seconds: int) -> int:
    """Drop records older than the keeping time, read or not, and the replies kept as long."""
    before = clock.now_ms() - keep_seconds * 1000

    def prune(conn: Connection) -> int:
        repository.prune_replies(conn, before)
        return repository.prune_records(conn, before)

    return await db.write(prune)


# --- what operators read (the console) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportLine:
    """A message's final status, as its delivery report said it."""

    msg_id: str
    app_key: str
    mobile: str  # E.164
    channel: str
    status: str  # delivered, failed
    report_status: int | None
    provider: str | None
    reported_at: int


@dataclass(frozen=True, slots=True)
class ReplyLine:
    app_key: str
    mobile: str
    reply_number: str
    text: str
    received_at: int


async def list_reports(
    db: Database, chosen: ListSearch, limit: int, offset: int = 0
) -> list[ReportLine]:
    """Newest report first, whatever the apps have pulled."""

    def read(conn: Connection) -> list[ReportLine]:
        rows = repository.search_reports(conn, chosen, limit, offset)
        keys = app_keys(conn, sorted({row.app_id for row in rows}))
        return [
            ReportLine(
                r.id,
                keys.get(r.app_id, "?"),
                r.mobile,
                r.channel,
                r.status,
                r.report_status,
                r.provider,
                r.reported_at,
            )
            for r in rows
        ]

    return await db.read(read)


async def list_replies(
    db: Database, chosen: ListSearch, limit: int, offset: int = 0
) -> list[ReplyLine]:
    """Newest reply first, whatever the apps have pulled (kept `report_keep_seconds`)."""

    def read(conn: Connection) -> list[ReplyLine]:
        rows = repository.search_replies(conn, chosen, limit, offset)
        keys = app_keys(conn, sorted({row.app_id for row in rows}))
        return [
            ReplyLine(keys.get(r.app_id, "?"), r.mobile, r.reply_number, r.text, r.received_at)
            for r in rows
        ]

    return await db.read(read)


# --- reply numbers -----------------------------------------------------------------------------


class NumberTaken(ValueError):
    """A reply number belongs to another app."""


class InvalidReplyNumber(ValueError):
    """A reply number that is not a number (digits, with spaces, "+", "-" or brackets)."""


def clean_reply_numbers(numbers: Sequence[str]) -> list[str]:
    """The digits of each number, sorted and without repeats; "" adds none (alone it means no
    numbers). InvalidReplyNumber for an entry with anything else, rather than dropping it."""
    cleaned = set()
    for number in numbers:
        digits = "".join(c for c in number if c not in " +-()")
        if digits and not (digits.isascii() and digits.isdigit()):
            raise InvalidReplyNumber(f"reply number {number!r} is not a number")
        cleaned.add(digits)
    return sorted(cleaned - {""})


async def check_reply_numbers_free(
    db: Database, numbers: Sequence[str], app_key: str | None = None
) -> None:
    """Before anything else changes: each is a number, and none is another app's (any app's,
    for an app still to be created)."""
    cleaned = clean_reply_numbers(numbers)

    def taken(conn: Connection) -> list[str]:
        own = app_id_by_key(conn, app_key) if app_key else None
        owners = repository.reply_number_owners(conn, cleaned) if cleaned else {}
        return sorted(number for number, owner in owners.items() if owner != own)

    if numbers_taken := await db.read(taken):
        raise NumberTaken(", ".join(numbers_taken))


async def set_reply_numbers(db: Database, app_key: str, numbers: Sequence[str]) -> list[str]:
    """Replace the app's reply numbers (digits only; an empty list removes them)."""
    cleaned = clean_reply_numbers(numbers)

    def replace(conn: Connection) -> list[str]:
        app_id = app_id_by_key(conn, app_key)
        if app_id is None:
            raise UnknownApp(app_key)
        owners = repository.reply_number_owners(conn, cleaned) if cleaned else {}
        taken = sorted(n for n, owner in owners.items() if owner != app_id)
        if taken:
            raise NumberTaken(", ".join(taken))
        repository.replace_reply_numbers(conn, app_id, cleaned)
        return cleaned

    return await db.write(replace)


def reply_numbers_of(conn: Connection, app_id: int) -> list[str]:
    """The app's reply numbers, in order, in the caller's transaction."""
    return repository.reply_numbers_of(conn, app_id)


async def change_reply_number(db: Database, app_key: str, number: str, *, add: bool) -> list[str]:
    """Add one reply number to the app or remove one, in one transaction (a concurrent change
    to its other numbers is kept); the app's numbers after it. The same rules as
    set_reply_numbers: digits only (InvalidReplyNumber), another app's number is NumberTaken."""
    cleaned = clean_reply_numbers([number])
    if len(cleaned) != 1:
        raise InvalidReplyNumber("give one reply number")
    [digits] = cleaned

    def change(conn: Connection) -> list[str]:
        app_id = app_id_by_key(conn, app_key)
        if app_id is None:
            raise UnknownApp(app_key)
        if add:
            owner = repository.reply_number_owners(conn, [digits]).get(digits)
            if owner not in (None, app_id):
                raise NumberTaken(digits)
            if owner is None:
                repository.add_reply_number(conn, app_id, digits)
        else:
            repository.remove_reply_number(conn, app_id, digits)
        return repository.reply_numbers_of(conn, app_id)

    return await db.write(change)
