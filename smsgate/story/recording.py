"""Writing a message's story: what the send, delivery, receipt, callback and verify paths call
inside the transactions that make each change, so an event exists exactly when its change
committed. Each call writes its events in one statement, and logs one JSON line per event
with the msg_id and the request id (never a code, a secret or a whole number).

The acceptance itself is the message row (with the request id of the send): nothing more is
written for it, which keeps the send path at the statements it had.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.mobiles import mask_mobile
from smsgate.outbox.repository import ClaimedEntry
from smsgate.provider_answers import Accepted, Rejected, SubmitResult, fails_for_good
from smsgate.story import repository
from smsgate.telemetry.access_log import current_request_id
from smsgate.telemetry.redaction import redact_text

log = structlog.get_logger("smsgate.story")
REFUSED = repository.REFUSED
MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class StoryEvent:
    """One event to write. Only refusals name their app and number: every other event belongs
    to a message row that does."""

    msg_id: str | None
    kind: str
    data: dict[str, Any]
    app_id: int | None = None
    mobile: str | None = None  # E.164, refusals only


def write_events(conn: Connection, events: Sequence[StoryEvent], now: int | None = None) -> None:
    """Inside the caller's transaction: the events in one statement, and their log lines. The
    request id is the access log's, when a request caused them."""
    if not events:
        return
    at = clock.now_ms() if now is None else now
    request_id = current_request_id()
    repository.insert_events(
        conn,
        [
            {
                "msg_id": event.msg_id,
                "app_id": event.app_id,
                "at": at,
                "kind": event.kind,
                "mobile": event.mobile,
                "request_id": request_id,
                "data": orjson.dumps(event.data).decode(),
            }
            for event in events
        ],
    )
    for event in events:
        log.info(f"message {event.kind}", msg_id=event.msg_id, **event.data)


def reason_text(reason: str) -> str:
    """A provider's or peer's free text, made safe to keep: numbers masked, secret values (a
    URL's password or text parameter) emptied, and bounded."""
    return redact_text(reason)[:MAX_REASON]


# --- delivery -----------------------------------------------------------------------------------


def record_delivery_pass(
    conn: Connection,
    entries: Sequence[ClaimedEntry],
    results: Sequence[SubmitResult],
    provider: str,
    max_attempts: int,
    now: int,
) -> None:
    """One pass of the delivery worker: per message, the providers it failed over from, then
    the outcome of the try (submitted, refused by the provider, deferred, or given up). `now`
    is the pass's time, taken before any status changed, so a final status made by this pass
    is never older than the try that made it."""
    events: list[StoryEvent] = []
    for entry, result in zip(entries, results, strict=True):
        events += try_events(entry, result, provider, max_attempts)
    write_events(conn, events, now)


def try_events(
    entry: ClaimedEntry, result: SubmitResult, provider: str, max_attempts: int
) -> list[StoryEvent]:
    via, msg_id = result.via, entry.msg_id
    tried: dict[str, Any] = {"try": entry.attempts}
    if via is not None and via.route is not None:
        tried["route"] = via.route
    events = [
        StoryEvent(msg_id, "failover", {**tried, "provider": name, "reason": reason_text(reason)})
        for name, reason in (via.failed_over if via else ())
    ]
    name = via.provider if via is not None else provider
    if name is not None:
        tried["provider"] = name
    if isinstance(result, Accepted):
        ids = result.part_ids or (result.provider_message_id or "",)
        tried["provider_ids"] = [pid for pid in ids if pid]
        events.append(StoryEvent(msg_id, "submitted", tried))
    elif isinstance(result, Rejected):
        tried |= {"status": result.report_status, "reason": reason_text(result.reason)}
        events.append(StoryEvent(msg_id, "provider_refused", tried))
    else:
        final = fails_for_good(result, entry.attempts, max_attempts)
        tried["reason"] = reason_text(result.reason)
        events.append(StoryEvent(msg_id, "gave_up" if final else "deferred", tried))
    return events


def record_receipts(
    conn: Connection, provider: str, receipts: Sequence[tuple[str, str, int]], now: int
) -> None:
    """Delivery reports matched to messages: (msg_id, the provider's id, JSMS status)."""
    write_events(
        conn,
        [
            StoryEvent(msg_id, "receipt", {"provider": provider, "provider_id": pid, "status": s})
            for msg_id, pid, s in receipts
        ],
        now,
    )


# --- callbacks and code checks ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallbackTry:
    """One POST of a message's SMS_REPORT callback and what the app's server answered."""

    msg_id: str
    attempt: int
    outcome: str  # sent, failed (tried again later), dead
    answer: str  # "HTTP 200", "HTTP 503", "ConnectTimeout: ..."


def record_callback_tries(conn: Connection, tries: Sequence[CallbackTry]) -> None:
    write_events(
        conn,
        [
            StoryEvent(
                t.msg_id,
                "callback",
                {"try": t.attempt, "outcome": t.outcome, "answer": reason_text(t.answer)},
            )
            for t in tries
        ],
    )


def record_code_check(
    conn: Connection, msg_id: str, outcome: str, tries_left: int | None = None
) -> None:
    """One check of a code: right, wrong, expired, burned (out of tries) or already_verified.
    What was submitted is never kept."""
    data: dict[str, Any] = {"outcome": outcome}
    if tries_left is not None:
        data["tries_left"] = tries_left
    write_events(conn, [StoryEvent(msg_id, "verify", data)])


# --- acceptance ---------------------------------------------------------------------------------


def log_accepted(
    msg_id: str,
    app_key: str,
    mobile: str,
    kind: str,
    units: int,
    category: str | None,
) -> None:
    """The log line of an acceptance, after its transaction committed (the row is the event)."""
    log.info(
        "message accepted",
        msg_id=msg_id,
        app_key=app_key,
        mobile=mask_mobile(mobile),
        kind=kind,
        units=units,
        category=category,
    )
