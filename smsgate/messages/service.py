"""Accepting messages: the one path every send takes into the outbox.

A send is built from the database (template, signature), counted against its frequency limits,
charged to the app's quota and written (message row, code hash, outbox row) in one transaction:
an answered msg_id is durable, and a refused send leaves nothing behind.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import AppAccount, debit_quota
from smsgate.content.service import screen_message
from smsgate.context import Context
from smsgate.control_characters import has_control_characters
from smsgate.errors import Code, JsmsError
from smsgate.fraud import service as fraud
from smsgate.limits.rules import RateRule
from smsgate.limits.service import limit_key, within_hours
from smsgate.messages import repository
from smsgate.messages.voice_fallback import service as voice_fallback
from smsgate.messages.voice_fallback.service import CodeDelivery
from smsgate.mobiles import normalise_mobile
from smsgate.msg_ids import new_msg_id
from smsgate.outbox import repository as outbox
from smsgate.settings import Settings
from smsgate.signs.service import signature_for_send
from smsgate.story.recording import log_accepted
from smsgate.story.refusals import recording_refusals
from smsgate.telemetry import metrics
from smsgate.telemetry.access_log import current_request_id
from smsgate.templates.rendering import has_special_brackets, render_template
from smsgate.templates.service import (
    CODE,
    MARKETING,
    NOTIFICATION,
    SendableTemplate,
    sendable_template,
)
from smsgate.text.segments import count_segments

MAX_CONTENT_LENGTH = 350
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
    # Stores what verifies `code` (the codes slice's row), in the send's transaction.
    record_code: "RecordCode | None" = None
    keep_content: bool = True  # False when the text holds a code
    voice_lang: int | None = None


# Called with the transaction, the new msg_id and now, after the message row is written.
RecordCode = Callable[[Connection, str, int], None]
# Builds the message inside the send's transaction (template and signature lookups), or raises.
BuildMessage = Callable[[Connection], OutgoingMessage]
Result = TypeVar("Result", contravariant=True)


class SendGuard(Protocol[Result]):
    """Work a send does first and last in its own transaction, so that both commit with it or
    not at all (an Idempotency-Key: claiming the key, storing the answer)."""

    def claim(self, conn: Connection) -> None:
        """Before anything is written; raising stops the send."""

    def keep(self, conn: Connection, result: Result) -> None:
        """Once the send is written, with what it answers (msg_id, outcomes, schedule)."""


@dataclass(frozen=True, slots=True)
class Charged:
    """What a committed send was and what it cost, for metrics and its log line after the
    commit."""

    kind: str
    channel: str
    template_id: int | None
    units: int
    category: str | None  # the quota that paid; None when unmetered
    msg_id: str
    mobile: str

    def count(self, app: AppAccount) -> None:
        metrics.send_accepted(
            app.app_key, self.template_id, self.channel, self.kind, self.units, self.category
        )
        log_accepted(self.msg_id, app.app_key, self.mobile, self.kind, self.units, self.category)


def _claim(guard: SendGuard[str] | None) -> Callable[[Connection], None]:
    return _unguarded if guard is None else guard.claim


def _unguarded(_conn: Connection) -> None:
    """No Idempotency-Key: nothing to claim."""


def require_sms(app: AppAccount) -> None:
    if not app.sms_enabled:
        raise JsmsError(Code.NO_SMS_CODE_AUTH)


def compose_sms(sign: str, body: str, suffix: str = "") -> str:
    """`【sign】body[suffix]`: 50054 for brackets or control characters in the body (a parameter
    may carry them), 50038 beyond 350 characters."""
    if has_special_brackets(body) or has_control_characters(body):
        raise JsmsError(Code.CONTENT_SPECIAL_SYMBOL)
    text = f"【{sign}】{body}{suffix}"
    if len(text) > MAX_CONTENT_LENGTH:
        raise JsmsError(Code.INVALID_CONTENT_LENGTH)
    return text


async def accept_message(
    ctx: Context, app: AppAccount, build: BuildMessage, guard: SendGuard[str] | None = None
) -> str:
    """Build, count, charge and queue one message; returns its msg_id once committed.

    The limiter runs the transaction as its strategy needs (limits/strategy.py): all of it in
    one transaction when limits are counted in the database; with Redis the message is built
    first (the limit key may depend on the text), the hit taken, then the rest written, and a
    send that does not commit gives its hit back.
    """
    msg_id = new_msg_id()
    now = clock.now_ms()

    def write(conn: Connection, message: OutgoingMessage) -> Charged | JsmsError:
        outcome = count_and_record(ctx, conn, app, message, msg_id, now)
        if guard is not None and not isinstance(outcome, JsmsError):
            guard.keep(conn, msg_id)  # a refusal is kept by the guard once it is raised
        return outcome

    outcome = await ctx.limiter.write_one(ctx.db, _claim(guard), build, write, now)
    if isinstance(outcome, JsmsError):
        raise outcome  # a refusal of the pumping defence or a cap, raised once it committed
    ctx.outbox_wakeup.set()
    outcome.count(app)
    return msg_id


def count_and_record(
    ctx: Context,
    conn: Connection,
    app: AppAccount,
    message: OutgoingMessage,
    msg_id: str,
    now: int,
) -> Charged | JsmsError:
    """Inside a send's transaction: the pumping defence and spend caps, the frequency limit
    (counted here in the database; Redis took its hit before), then quota and rows. A refusal
    of the defence or a cap is returned, to be raised once what it recorded has committed; it
    comes first, so that it commits no frequency hit, and a pass writes its records only after
    the limit."""
    channel = "voice" if message.kind == "voice_code" else "sms"
    units = 1 if channel == "voice" else count_segments(message.text)
    send = fraud.Send(message.kind, message.mobile, units, verifiable=message.code is not None)
    screening = fraud.screen_send(ctx.settings, conn, app.id, send, msg_id, now)
    if screening.refusal is not None:
        return screening.refusal
    ctx.limiter.count(conn, message.limit_key, message.rules, now)
    charged = _record(conn, app, message, channel, units, msg_id, now)
    # Last: the pumping defence's counters are rows every code send of an app to one country
    # updates; written just before the COMMIT, their row locks are held for the least time.
    screening.accept(conn)
    return charged


def _record(
    conn: Connection,
    app: AppAccount,
    message: OutgoingMessage,
    channel: str,
    units: int,
    msg_id: str,
    now: int,
) -> Charged:
    category = debit_quota(conn, app.id, QUOTA_CATEGORY[message.kind], units)
    repository.insert_message(
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
            "request_id": current_request_id(),
        },
    )
    if message.record_code is not None:
        message.record_code(conn, msg_id, now)
    payload: dict[str, Any] = {"mobile": message.mobile, "text": message.text}
    if message.code is not None:
        payload["code"] = message.code
    if message.voice_lang is not None:
        payload["voice_lang"] = message.voice_lang
    outbox.enqueue(conn, msg_id, channel, payload, now)
    return Charged(
        message.kind, channel, message.template_id, units, category, msg_id, message.mobile
    )


@metrics.counting_refusals("sms", "template")
@recording_refusals("template")
async def send_template_message(
    ctx: Context,
    app: AppAccount,
    *,
    mobile: object,
    temp_id: int | None,
    sign_id: int | None,
    temp_para: Mapping[str, str | None],
    guard: SendGuard[str] | None = None,
) -> str:
    """Render an approved template of any type and queue it.

    Type 1 here is a code the caller chose (JSMS's "custom verification code"): it is not kept.
    Type 2 is limited per identical text, type 3 per number, inside marketing hours, with the
    unsubscribe wording appended.
    """
    require_sms(app)
    number = normalise_mobile(mobile)
    if temp_id is None:
        raise JsmsError(Code.MISSING_TEMP_ID)
    return await accept_message(
        ctx, app, template_message(ctx, app, number, temp_id, sign_id, temp_para), guard
    )


@dataclass(frozen=True, slots=True)
class ChosenTemplate:
    """The template and signature a template send uses."""

    template: SendableTemplate
    sign: str

    @property
    def kind(self) -> str:
        return TEMPLATE_KINDS[self.template.type]


def choose_template(
    conn: Connection, app_id: int, temp_id: int, sign_id: int | None
) -> ChosenTemplate:
    """The app's approved template (any type) and the signature: 50013/50020/50021, 50102/50046."""
    template = sendable_template(conn, app_id, temp_id, (CODE, NOTIFICATION, MARKETING))
    return ChosenTemplate(template, signature_for_send(conn, app_id, sign_id))


ChooseTemplate = Callable[[Connection], ChosenTemplate]


def chosen_once(app_id: int, temp_id: int, sign_id: int | None) -> ChooseTemplate:
    """`choose_template` for many recipients: looked up by the first, remembered for the rest
    (a refusal is not remembered, so each recipient gets it)."""
    remembered: list[ChosenTemplate] = []

    def choose(conn: Connection) -> ChosenTemplate:
        if not remembered:
            remembered.append(choose_template(conn, app_id, temp_id, sign_id))
        return remembered[0]

    return choose


def template_text(
    settings: Settings, chosen: ChosenTemplate, temp_para: Mapping[str, str | None]
) -> str:
    """The whole SMS: parameters filled in (50022/50023), signed, unsubscribe wording for
    marketing, and the content rules (50054/50038)."""
    body = render_template(chosen.template.text, temp_para)
    suffix = settings.unsubscribe_suffix if chosen.kind == "marketing" else ""
    return compose_sms(chosen.sign, body, suffix)


def template_message(
    ctx: Context,
    app: AppAccount,
    number: str,
    temp_id: int,
    sign_id: int | None,
    temp_para: Mapping[str, str | None],
    choose: "ChooseTemplate | None" = None,
) -> BuildMessage:
    """How to build one template SMS inside a send's transaction (single, batch, schedule).
    A batch passes `choose` to look its template and signature up once for all recipients."""
    settings = ctx.settings
    pick = choose or (lambda conn: choose_template(conn, app.id, temp_id, sign_id))

    def build(conn: Connection) -> OutgoingMessage:
        chosen = pick(conn)
        text = template_text(settings, chosen, temp_para)
        kind = chosen.kind
        if kind == "marketing" and not within_hours(
            clock.now_ms(), settings.marketing_hours, settings.timezone
        ):
            raise JsmsError(Code.OUT_OF_FREQ, "outside marketing hours")
        message = OutgoingMessage(
            kind=kind,
            mobile=number,
            text=text,
            limit_key=limit_key(kind, app.id, number, text if kind == "notification" else None),
            rules=app.policy.rate_rules(kind, settings.rate_rules),
            template_id=chosen.template.id,
            keep_content=kind != "code",
        )
        screen_message(settings, conn, app, message)  # 50036, 50037, 50024
        return message

    return build


def code_delivery(conn: Connection, msg_id: str) -> CodeDelivery:
    """Where a code last went out (its SMS, or the voice fallback call) and how that went."""
    return voice_fallback.code_delivery(conn, msg_id)


def template_of(conn: Connection, msg_id: str) -> int | None:
    """The template a message was rendered from (None for voice codes)."""
    return repository.template_of(conn, msg_id)


def last_sender_app(conn: Connection, mobile: str, provider: str | None) -> int | None:
    """The app that most recently sent to this number through `provider` (any provider when
    None): where a reply without a reply number goes."""
    return repository.last_sender_app(conn, mobile, provider)
