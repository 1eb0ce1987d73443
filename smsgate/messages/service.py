"""Accepting messages: the one path every send takes into the outbox, and their status after.

accept_message runs the checks that need the database in one transaction (limits, quota) and
commits the message row, the code hash and the outbox row together: an answered msg_id is durable.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate import clock
from smsgate.apps.service import AppAccount, debit_quota, refund_quota
from smsgate.codes.secrets import hash_code
from smsgate.context import Context
from smsgate.delivery import outbox
from smsgate.errors import JsmsError
from smsgate.limits.rules import RateRule
from smsgate.limits.service import limit_key, within_hours
from smsgate.messages import repository
from smsgate.messages.segments import count_segments
from smsgate.mobiles import normalise_mobile
from smsgate.signs.service import signature_for_send
from smsgate.templates.rendering import has_special_brackets, render_template
from smsgate.templates.service import CODE, MARKETING, NOTIFICATION, sendable_template

MAX_CONTENT_LENGTH = 350
DELIVERED = 4001
TEMPLATE_KINDS = {CODE: "code", NOTIFICATION: "notification", MARKETING: "marketing"}
QUOTA_CATEGORY = {
    "code": "industry",
    "notification": "industry",
    "marketing": "market",
    "voice_code": "voice",
}


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A send that passed the request checks, ready to be counted, charged and queued."""

    kind: str  # code, voice_code, notification, marketing
    mobile: str
    text: str  # what the handset receives or the callee hears
    limit_key: str
    rules: tuple[RateRule, ...]
    template_id: int | None = None
    code: str | None = None  # a code the service must be able to verify
    code_ttl_seconds: int = 0
    keep_content: bool = True  # False when the text holds a code
    voice_lang: int | None = None


def require_sms(app: AppAccount) -> None:
    if not app.sms_enabled:
        raise JsmsError(50008)


def compose_sms(sign: str, body: str, suffix: str = "") -> str:
    """`【sign】body[suffix]`: 50054 for brackets in the body, 50038 beyond 350 characters."""
    if has_special_brackets(body):
        raise JsmsError(50054)
    text = f"【{sign}】{body}{suffix}"
    if len(text) > MAX_CONTENT_LENGTH:
        raise JsmsError(50038)
    return text


async def accept_message(ctx: Context, app: AppAccount, message: OutgoingMessage) -> str:
    msg_id = str(uuid.uuid4())
    now = clock.now_ms()
    async with (
        ctx.limiter.reserve(message.limit_key, message.rules, now),
        ctx.db.write() as conn,
    ):
        await ctx.limiter.count(conn, message.limit_key, message.rules, now)
        await _record(ctx, conn, app, message, msg_id, now)
    ctx.outbox_wakeup.set()
    return msg_id


async def _record(
    ctx: Context,
    conn: AsyncConnection,
    app: AppAccount,
    message: OutgoingMessage,
    msg_id: str,
    now: int,
) -> None:
    channel = "voice" if message.kind == "voice_code" else "sms"
    units = 1 if channel == "voice" else count_segments(message.text)
    category = await debit_quota(conn, app.id, QUOTA_CATEGORY[message.kind], units)
    await repository.insert_message(
        conn,
        {
            "id": msg_id,
            "app_id": app.id,
            "kind": message.kind,
            "channel": channel,
            "mobile": message.mobile,
            "template_id": message.template_id,
            "content": message.text if message.keep_content else None,
            "segments": units,
            "quota_category": category,
            "quota_units": units if category else 0,
            "status": "accepted",
            "created_at": now,
        },
    )
    if message.code is not None:
        await repository.insert_code(
            conn,
            {
                "msg_id": msg_id,
                "app_id": app.id,
                "code_hash": hash_code(ctx.server_key, msg_id, message.code),
                "expires_at": now + message.code_ttl_seconds * 1000,
                "attempts": 0,
            },
        )
    payload: dict[str, Any] = {"mobile": message.mobile, "text": message.text}
    if message.code is not None:
        payload["code"] = message.code
    if message.voice_lang is not None:
        payload["voice_lang"] = message.voice_lang
    await outbox.enqueue(conn, msg_id, channel, payload, now)


async def send_template_message(
    ctx: Context,
    app: AppAccount,
    *,
    mobile: object,
    temp_id: int | None,
    sign_id: int | None,
    temp_para: Mapping[str, str | None],
) -> str:
    """Render an approved template of any type and queue it.

    Type 1 here is a code the caller chose (JSMS's "custom verification code"): it is not kept.
    Type 2 is limited per identical text, type 3 per number, inside marketing hours, with the
    unsubscribe wording appended.
    """
    require_sms(app)
    number = normalise_mobile(mobile)
    if temp_id is None:
        raise JsmsError(50005)
    settings = ctx.settings
    async with ctx.db.read() as conn:
        template = await sendable_template(conn, app.id, temp_id, (CODE, NOTIFICATION, MARKETING))
        sign = await signature_for_send(conn, app.id, sign_id)
    body = render_template(template.text, temp_para)
    kind = TEMPLATE_KINDS[template.type]
    if kind == "marketing" and not within_hours(
        clock.now_ms(), settings.marketing_hours, settings.timezone
    ):
        raise JsmsError(50009, "outside marketing hours")
    text = compose_sms(sign, body, settings.unsubscribe_suffix if kind == "marketing" else "")
    message = OutgoingMessage(
        kind=kind,
        mobile=number,
        text=text,
        limit_key=limit_key(kind, app.id, number, text if kind == "notification" else None),
        rules=settings.rate_rules[kind],
        template_id=template.id,
        keep_content=kind != "code",
    )
    return await accept_message(ctx, app, message)


async def mark_submitted(
    conn: AsyncConnection, msg_id: str, provider: str, provider_message_id: str | None
) -> None:
    await repository.set_submitted(conn, msg_id, provider, provider_message_id, clock.now_ms())


async def record_delivery_report(conn: AsyncConnection, msg_id: str, report_status: int) -> bool:
    """A final status from a provider; False when the message was already final or is unknown."""
    status = "delivered" if report_status == DELIVERED else "failed"
    return await repository.set_final_status(conn, msg_id, status, report_status, clock.now_ms())


async def fail_before_provider(conn: AsyncConnection, msg_id: str, report_status: int) -> None:
    """No provider took the message: it is final as failed and its quota units go back."""
    message = await repository.find_message(conn, msg_id)
    if message is None:
        return
    failed_now = await repository.set_final_status(
        conn, msg_id, "failed", report_status, clock.now_ms()
    )
    if failed_now and message.quota_category and message.quota_units:
        await refund_quota(conn, message.app_id, message.quota_category, message.quota_units)
