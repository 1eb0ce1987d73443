"""Verification codes: text codes, voice codes, and checking them."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import AppAccount
from smsgate.codes import repository
from smsgate.codes.secrets import code_matches, generate_code, hash_code
from smsgate.content.service import screen_message
from smsgate.context import Context
from smsgate.errors import Code, JsmsError
from smsgate.fraud.service import note_verified
from smsgate.limits.service import limit_key
from smsgate.messages.service import (
    OutgoingMessage,
    RecordCode,
    SendGuard,
    accept_message,
    code_delivery,
    compose_sms,
    require_sms,
    template_of,
)
from smsgate.messages.voice_fallback.service import FallbackPlan, plan_fallback
from smsgate.mobiles import normalise_mobile
from smsgate.signs.service import signature_for_send
from smsgate.story.recording import record_code_check
from smsgate.story.refusals import recording_refusals
from smsgate.telemetry import metrics
from smsgate.templates.rendering import render_template
from smsgate.templates.service import CODE, MAX_TTL, SendableTemplate, sendable_template
from smsgate.text.voice import spoken_code_text

VOICE_LANGS = (0, 1, 2)
MAX_MSG_ID_LENGTH = 64


@metrics.counting_refusals("sms", "code")
@recording_refusals("code")
async def send_code(
    ctx: Context,
    app: AppAccount,
    *,
    mobile: object,
    temp_id: int | None,
    sign_id: int | None,
    guard: SendGuard[str] | None = None,
) -> str:
    """Generate a code, render it into the app's type-1 template and queue the SMS."""
    require_sms(app)
    number = normalise_mobile(mobile)
    if temp_id is None:
        raise JsmsError(Code.MISSING_TEMP_ID)
    code = generate_code(ctx.settings.code_length)
    rules = app.policy.rate_rules("code", ctx.settings.rate_rules)

    def build(conn: Connection) -> OutgoingMessage:
        template = sendable_template(conn, app.id, temp_id, (CODE,))
        sign = signature_for_send(conn, app.id, sign_id)
        message = OutgoingMessage(
            kind="code",
            mobile=number,
            text=compose_sms(sign, render_template(template.text, {"code": code})),
            limit_key=limit_key("code", app.id, number),
            rules=rules,
            template_id=template.id,
            code=code,
            record_code=code_recorder(
                ctx.server_key, app.id, code, template.ttl, number, _fallback_plan(template)
            ),
            keep_content=False,
        )
        screen_message(ctx.settings, conn, app, message)  # 50036, 50037
        return message

    return await accept_message(ctx, app, build, guard)


def _fallback_plan(template: SendableTemplate) -> FallbackPlan | None:
    if template.voice_fallback_after is None:
        return None
    return FallbackPlan(template.voice_fallback_after, template.voice_fallback_lang)


@metrics.counting_refusals("voice", "voice_code")
@recording_refusals("voice_code")
async def send_voice_code(
    ctx: Context,
    app: AppAccount,
    *,
    mobile: object,
    code: str | None,
    voice_lang: int | None,
    ttl: int | None,
    guard: SendGuard[str] | None = None,
) -> str:
    """Queue a call that reads out the caller's code (4-8 digits) or a generated one."""
    require_sms(app)
    number = normalise_mobile(mobile)
    if code is not None:
        check_voice_code(code)
    lang = 0 if voice_lang is None else voice_lang
    if lang not in VOICE_LANGS:
        raise JsmsError(Code.INVALID_VOICE_LANGUAGE)
    lifetime = ctx.settings.voice_code_ttl if ttl is None else ttl
    if not 0 < lifetime <= MAX_TTL:
        raise JsmsError(Code.INVALID_TTL)
    spoken = code if code is not None else generate_code(ctx.settings.code_length)
    message = OutgoingMessage(
        kind="voice_code",
        mobile=number,
        text=spoken_code_text(spoken, lang, ctx.settings.voice_code_repeats),
        limit_key=limit_key("voice_code", app.id, number),
        rules=app.policy.rate_rules("voice_code", ctx.settings.rate_rules),
        code=spoken,
        record_code=code_recorder(ctx.server_key, app.id, spoken, lifetime, number),
        keep_content=False,
        voice_lang=lang,
    )
    return await accept_message(ctx, app, lambda _conn: message, guard)


def code_recorder(
    server_key: bytes,
    app_id: int,
    code: str,
    ttl_seconds: int,
    mobile: str,
    fallback: FallbackPlan | None = None,
) -> RecordCode:
    """Stores the code's hash (never the code) for GET .../valid, in the send's transaction;
    with a voice fallback, its plan (the code sealed with the server key) too."""

    def record(conn: Connection, msg_id: str, now: int) -> None:
        expires_at = now + ttl_seconds * 1000
        values = {
            "msg_id": msg_id,
            "app_id": app_id,
            "code_hash": hash_code(server_key, msg_id, code),
            "expires_at": expires_at,
            "attempts": 0,
        }
        repository.insert_code(conn, values)
        if fallback is not None:
            plan_fallback(
                conn,
                server_key,
                fallback,
                app_id=app_id,
                msg_id=msg_id,
                mobile=mobile,
                code=code,
                expires_at=expires_at,
                now=now,
            )

    return record


def check_voice_code(code: str) -> None:
    if not (code.isascii() and code.isdigit()):
        raise JsmsError(Code.INVALID_CODE_TYPE)
    if not 4 <= len(code) <= 8:
        raise JsmsError(Code.INVALID_CONTENT_LENGTH)


async def verify_code(ctx: Context, app: AppAccount, msg_id: str, code: str | None) -> None:
    """Accept a correct code once. Raises 50015 (no code), 50026 (no such msg_id for this app),
    50012 (already verified), 50011 (expired or burned by wrong tries), 50010 (wrong)."""
    if not code or len(msg_id) > MAX_MSG_ID_LENGTH:
        refusal = Code.MISSING_CODE if not code else Code.WRONG_MSG_ID
        metrics.code_checked(app.app_key, None, refusal)
        raise JsmsError(refusal)
    outcome, temp_id = await ctx.db.write(lambda conn: _check(ctx, conn, app, msg_id, code))
    metrics.code_checked(app.app_key, temp_id, outcome)
    if outcome is not None:
        raise JsmsError(outcome)


@dataclass(frozen=True, slots=True)
class CodeState:
    """GET /v1/codes/{msg_id}: where a code stands (an extension; the SDKs never call it)."""

    status: str  # pending, verified, expired, burned
    attempts_left: int  # wrong tries left before it burns; 0 unless pending
    expires_at: str  # ISO 8601, UTC, milliseconds
    channel: str  # sms, or voice once a fallback call was placed (voice codes: voice)
    delivery_status: int | None  # that message's report status, None until reported


async def code_state(ctx: Context, app: AppAccount, msg_id: str) -> CodeState:
    """The app's own code; 50026 for any other msg_id (unknown, another app's, not a code)."""
    if len(msg_id) > MAX_MSG_ID_LENGTH:
        raise JsmsError(Code.WRONG_MSG_ID)
    max_attempts = ctx.settings.code_max_attempts

    def read(conn: Connection) -> CodeState:
        stored = repository.find_code(conn, msg_id, app.id)
        if stored is None:
            raise JsmsError(Code.WRONG_MSG_ID)
        delivery = code_delivery(conn, msg_id)
        if stored.verified_at is not None:
            status = "verified"
        elif stored.attempts >= max_attempts:
            status = "burned"
        elif clock.now_ms() >= stored.expires_at:
            status = "expired"
        else:
            status = "pending"
        left = max_attempts - stored.attempts if status == "pending" else 0
        return CodeState(
            status, left, iso_utc(stored.expires_at), delivery.channel, delivery.report_status
        )

    return await ctx.db.read(read)


def iso_utc(epoch_ms: int) -> str:
    """`2025-01-31T08:00:00.000Z`."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# A check's outcome in the message's story, and the JSMS code it answers (None: verified).
CHECK_ANSWERS = {
    "right": None,
    "wrong": Code.INVALID_CODE,
    "expired": Code.EXPIRED_CODE,
    "burned": Code.EXPIRED_CODE,
    "already_verified": Code.VERIFIED_CODE,
}


def _check(
    ctx: Context, conn: Connection, app: AppAccount, msg_id: str, code: str
) -> tuple[int | None, int | None]:
    """The error code of the check (None when it passed) and the code's template (for the
    conversion metrics). Never raises, so a counted wrong try commits with the transaction,
    and so does its entry in the message's story."""
    max_attempts = ctx.settings.code_max_attempts
    stored = repository.lock_code(conn, msg_id, app.id)
    if stored is None:
        return Code.WRONG_MSG_ID, None  # not this app's code: nothing of its story to tell
    temp_id = template_of(conn, msg_id)
    tries_left = None
    if stored.verified_at is not None:
        outcome = "already_verified"
    elif clock.now_ms() >= stored.expires_at:
        outcome = "expired"
    elif stored.attempts >= max_attempts:
        outcome = "burned"
    elif code_matches(ctx.server_key, msg_id, code, stored.code_hash):
        verified = repository.mark_verified(conn, msg_id, max_attempts, clock.now_ms())
        outcome = "right" if verified else "already_verified"
        if verified:
            note_verified(ctx.settings, conn, msg_id)  # feeds the pumping defence's conversion
    else:
        repository.count_wrong_try(conn, msg_id, max_attempts)
        outcome, tries_left = "wrong", max_attempts - stored.attempts - 1
    record_code_check(conn, msg_id, outcome, tries_left)
    return CHECK_ANSWERS[outcome], temp_id
