"""Verification codes: text codes, voice codes, and checking them."""

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import AppAccount
from smsgate.codes import repository
from smsgate.codes.secrets import code_matches, generate_code, hash_code
from smsgate.content.service import screen_message
from smsgate.context import Context
from smsgate.errors import JsmsError
from smsgate.limits.service import limit_key
from smsgate.messages.service import (
    OutgoingMessage,
    RecordCode,
    accept_message,
    compose_sms,
    require_sms,
    template_of,
)
from smsgate.mobiles import normalise_mobile
from smsgate.observability import metrics
from smsgate.signs.service import signature_for_send
from smsgate.templates.rendering import render_template
from smsgate.templates.service import CODE, MAX_TTL, sendable_template
from smsgate.text.voice import spoken_code_text

VOICE_LANGS = (0, 1, 2)
MAX_MSG_ID_LENGTH = 64


@metrics.counting_refusals("sms", "code")
async def send_code(
    ctx: Context, app: AppAccount, *, mobile: object, temp_id: int | None, sign_id: int | None
) -> str:
    """Generate a code, render it into the app's type-1 template and queue the SMS."""
    require_sms(app)
    number = normalise_mobile(mobile)
    if temp_id is None:
        raise JsmsError(50005)
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
            record_code=code_recorder(ctx.server_key, app.id, code, template.ttl),
            keep_content=False,
        )
        screen_message(ctx.settings, conn, app, message)  # 50036, 50037
        return message

    return await accept_message(ctx, app, build)


@metrics.counting_refusals("voice", "voice_code")
async def send_voice_code(
    ctx: Context,
    app: AppAccount,
    *,
    mobile: object,
    code: str | None,
    voice_lang: int | None,
    ttl: int | None,
) -> str:
    """Queue a call that reads out the caller's code (4-8 digits) or a generated one."""
    require_sms(app)
    number = normalise_mobile(mobile)
    if code is not None:
        check_voice_code(code)
    lang = 0 if voice_lang is None else voice_lang
    if lang not in VOICE_LANGS:
        raise JsmsError(50040)
    lifetime = ctx.settings.voice_code_ttl if ttl is None else ttl
    if not 0 < lifetime <= MAX_TTL:
        raise JsmsError(50041)
    spoken = code if code is not None else generate_code(ctx.settings.code_length)
    message = OutgoingMessage(
        kind="voice_code",
        mobile=number,
        text=spoken_code_text(spoken, lang, ctx.settings.voice_code_repeats),
        limit_key=limit_key("voice_code", app.id, number),
        rules=app.policy.rate_rules("voice_code", ctx.settings.rate_rules),
        code=spoken,
        record_code=code_recorder(ctx.server_key, app.id, spoken, lifetime),
        keep_content=False,
        voice_lang=lang,
    )
    return await accept_message(ctx, app, lambda _conn: message)


def code_recorder(server_key: bytes, app_id: int, code: str, ttl_seconds: int) -> RecordCode:
    """Stores the code's hash (never the code) for GET .../valid, in the send's transaction."""

    def record(conn: Connection, msg_id: str, now: int) -> None:
        values = {
            "msg_id": msg_id,
            "app_id": app_id,
            "code_hash": hash_code(server_key, msg_id, code),
            "expires_at": now + ttl_seconds * 1000,
            "attempts": 0,
        }
        repository.insert_code(conn, values)

    return record


def check_voice_code(code: str) -> None:
    if not (code.isascii() and code.isdigit()):
        raise JsmsError(50039)
    if not 4 <= len(code) <= 8:
        raise JsmsError(50038)


async def verify_code(ctx: Context, app: AppAccount, msg_id: str, code: str | None) -> None:
    """Accept a correct code once. Raises 50015 (no code), 50026 (no such msg_id for this app),
    50012 (already verified), 50011 (expired or burned by wrong tries), 50010 (wrong)."""
    if not code or len(msg_id) > MAX_MSG_ID_LENGTH:
        refusal = 50015 if not code else 50026
        metrics.code_checked(app.app_key, None, refusal)
        raise JsmsError(refusal)
    outcome, temp_id = await ctx.db.write(lambda conn: _check(ctx, conn, app, msg_id, code))
    metrics.code_checked(app.app_key, temp_id, outcome)
    if outcome is not None:
        raise JsmsError(outcome)


def _check(
    ctx: Context, conn: Connection, app: AppAccount, msg_id: str, code: str
) -> tuple[int | None, int | None]:
    """The error code of the check (None when it passed) and the code's template (for the
    conversion metrics). Never raises, so a counted wrong try commits with the transaction."""
    max_attempts = ctx.settings.code_max_attempts
    stored = repository.lock_code(conn, msg_id, app.id)
    if stored is None:
        return 50026, None
    temp_id = template_of(conn, msg_id)
    if stored.verified_at is not None:
        return 50012, temp_id
    if clock.now_ms() >= stored.expires_at or stored.attempts >= max_attempts:
        return 50011, temp_id
    if code_matches(ctx.server_key, msg_id, code, stored.code_hash):
        if repository.mark_verified(conn, msg_id, max_attempts, clock.now_ms()):
            return None, temp_id
        return 50012, temp_id
    repository.count_wrong_try(conn, msg_id, max_attempts)
    return 50010, temp_id
