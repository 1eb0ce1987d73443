"""Voice fallback of text codes: planned with the send, decided once it is due.

A code sent with a template that opts in (`smsgate template ... --voice-fallback-after N`) gets
a fallback row in the send's transaction, due N seconds later (at the latest when the code
expires), with the code sealed under the server key: the outbox payload, the only other place
the plaintext lives, is scrubbed once a provider accepts the SMS. A failed SMS makes it due at
once; a delivered one closes it. When it is due (`place_due_fallbacks`) and the code is still
open, a voice call with the same code is queued as a message of its own (kind
`voice_fallback`, charged to the voice quota, then balance) and the row records it; in every
case the sealed code is wiped. /valid keeps working on the SMS's msg_id, whose code row is the
only one. The call's outcome is not reported to the app as a report of an unknown msg_id; GET
/v1/codes/{msg_id} shows it.
"""

from dataclasses import dataclass
from functools import partial

import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import app_by_id, debit_quota
from smsgate.context import Context
from smsgate.db.models import MessageRecord
from smsgate.errors import JsmsError
from smsgate.messages import repository as messages
from smsgate.messages.voice_fallback import repository
from smsgate.messages.voice_fallback.repository import PLACED, SKIPPED, WAITING, Fallback
from smsgate.msg_ids import new_msg_id
from smsgate.outbox import repository as outbox
from smsgate.report_status import ReportStatus
from smsgate.sealed import UnreadableSeal, seal, unseal
from smsgate.story.recording import StoryEvent, write_events
from smsgate.text.voice import spoken_code_text

log = structlog.get_logger(__name__)
FALLBACK_CALL = "voice_fallback"  # the kind of the call's message
DELIVERED = ReportStatus.DELIVERED
PURPOSE = b"smsgate voice fallback code v1"


@dataclass(frozen=True, slots=True)
class FallbackPlan:
    """A template's opt-in: call after this many seconds without a receipt, in this language."""

    after_seconds: int
    voice_lang: int


@dataclass(frozen=True, slots=True)
class CodeDelivery:
    """Where a code last went out: `sms`, or `voice` once a fallback call was placed, and the
    delivery status of that message (None until its report)."""

    channel: str
    report_status: int | None


def plan_fallback(
    conn: Connection,
    server_key: bytes,
    plan: FallbackPlan,
    *,
    app_id: int,
    msg_id: str,
    mobile: str,
    code: str,
    expires_at: int,
    now: int,
) -> None:
    """In the send's transaction: the fallback row, with the code sealed to this msg_id."""
    values = {
        "msg_id": msg_id,
        "app_id": app_id,
        "mobile": mobile,
        "voice_lang": plan.voice_lang,
        "sealed_code": seal(server_key, PURPOSE, msg_id, code),
        "state": WAITING,
        "due_at": min(now + plan.after_seconds * 1000, expires_at),
        "created_at": now,
    }
    repository.insert_fallback(conn, values)


def sms_finished(conn: Connection, finals: list[tuple[str, int]]) -> None:
    """Messages that just became final, (msg_id, report status): a failed text code's fallback
    is due now, a delivered one's is not needed."""
    if not finals:
        return
    now = clock.now_ms()
    failed = [msg_id for msg_id, status in finals if status != DELIVERED]
    delivered = [msg_id for msg_id, status in finals if status == DELIVERED]
    if failed:
        repository.make_due_now(conn, failed, now)
    if delivered:
        repository.close_waiting(conn, delivered, SKIPPED, "sms delivered", now)


def code_delivery(conn: Connection, msg_id: str) -> CodeDelivery:
    fallback = repository.find_fallback(conn, msg_id)
    target = fallback.call_id if fallback is not None and fallback.state == PLACED else msg_id
    found = None if target is None else repository.message_status(conn, target)
    if found is None:
        return CodeDelivery("sms", None)
    return CodeDelivery(found.channel, found.report_status)


async def place_due_fallbacks(ctx: Context) -> int:
    """One pass: lease what is due, decide each in a transaction of its own; returns how many
    were claimed."""
    settings = ctx.settings
    now = clock.now_ms()
    lease_until = now + int(settings.voice_fallback_lease_seconds * 1000)
    claimed = await ctx.db.write(
        lambda conn: repository.claim_due(conn, now, settings.voice_fallback_batch, lease_until)
    )
    for msg_id in claimed:
        try:
            await ctx.db.write(partial(_decide, ctx, msg_id=msg_id))
        except Exception:  # the lease runs out and another pass decides it
            log.exception("voice fallback failed", msg_id=msg_id)
    if claimed:
        ctx.outbox_wakeup.set()
    return len(claimed)


def _decide(ctx: Context, conn: Connection, *, msg_id: str) -> None:
    fallback = repository.lock_waiting(conn, msg_id)
    if fallback is None:
        return  # decided by another process, or closed by a receipt
    now = clock.now_ms()
    sms = repository.message_status(conn, msg_id)
    why_not = _needless(ctx, conn, fallback, sms, now)
    if why_not is None:
        assert sms is not None  # _needless says so otherwise
        failed = sms.status == "failed"
        reason = f"sms failed {sms.report_status}" if failed else "no receipt"
        why_not = _place_call(ctx, conn, fallback, reason, now)
    if why_not is not None:
        repository.close_waiting(conn, [msg_id], SKIPPED, why_not, now)
        write_events(
            conn, [StoryEvent(msg_id, "voice_fallback", {"decision": "skipped", "reason": why_not})]
        )


def _needless(
    ctx: Context, conn: Connection, fallback: Fallback, sms: MessageRecord | None, now: int
) -> str | None:
    """Why no call is placed, or None when it must be."""
    code = repository.code_state(conn, fallback.msg_id)
    if code is None or sms is None:
        return "message gone"
    if code.verified_at is not None:
        return "code verified"
    if code.attempts >= ctx.settings.code_max_attempts:
        return "code burned"
    if now >= code.expires_at:
        return "code expired"
    if sms.status == "delivered":
        return "sms delivered"
    app = app_by_id(conn, fallback.app_id)
    if app is None or app.blocked or not app.sms_enabled:
        return "app may not send"
    return None


def _place_call(
    ctx: Context, conn: Connection, fallback: Fallback, reason: str, now: int
) -> str | None:
    """Queue the call; returns why it was not placed instead."""
    try:
        code = unseal(ctx.server_key, PURPOSE, fallback.msg_id, fallback.sealed_code or "")
    except (UnreadableSeal, ValueError):
        return "code unreadable"
    try:
        category = debit_quota(conn, fallback.app_id, "voice", 1)
    except JsmsError:
        return "no money"
    call_id = new_msg_id()
    messages.insert_message(conn, _call_row(call_id, fallback, category, now))
    text = spoken_code_text(code, fallback.voice_lang, ctx.settings.voice_code_repeats)
    payload = {"mobile": fallback.mobile, "text": text, "code": code}
    outbox.enqueue(conn, call_id, "voice", {**payload, "voice_lang": fallback.voice_lang}, now)
    repository.close_waiting(conn, [fallback.msg_id], PLACED, reason, now, call_id)
    placed = {"decision": "placed", "call_id": call_id, "reason": reason}
    write_events(conn, [StoryEvent(fallback.msg_id, "voice_fallback", placed)])
    return None


def _call_row(
    call_id: str, fallback: Fallback, category: str | None, now: int
) -> dict[str, object]:
    return {
        "id": call_id,
        "app_id": fallback.app_id,
        "kind": FALLBACK_CALL,
        "channel": "voice",
        "mobile": fallback.mobile,
        "template_id": None,
        "content": None,  # it holds the code
        "segments": 1,
        "quota_category": category,
        "quota_units": 1 if category else 0,
        "status": "accepted",
        "created_at": now,
        "request_id": None,  # placed by a background loop, not asked for by a request
    }


async def release_leases(ctx: Context) -> int:
    """For the only process there is (SQLite): what a killed predecessor held is due now."""
    return await ctx.db.write(repository.release_all_leases)
