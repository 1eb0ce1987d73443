"""Batch sends: many messages accepted in one transaction (POST /v1/messages/batch and the
scheduler). The request's body and answer are in batch_format.py.

Every recipient goes through the checks a single send makes (number, parameters, content,
frequency limits, quota), through the same functions, and gets its own answer; the accepted
ones commit in one transaction. What applies to the whole request (SMS permission, temp_id,
the template, the signature) is checked once and refuses the whole request.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import AppAccount
from smsgate.context import Context
from smsgate.errors import Code, JsmsError
from smsgate.messages import service
from smsgate.messages.batch_format import BatchOutcome, Recipient
from smsgate.messages.service import (
    BuildMessage,
    Charged,
    OutgoingMessage,
    SendGuard,
    count_and_record,
)
from smsgate.mobiles import normalise_mobile
from smsgate.msg_ids import new_msg_id
from smsgate.story.recording import StoryEvent, write_events
from smsgate.story.refusals import refusal_event, write_refusals
from smsgate.telemetry import metrics


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One recipient of a batch: its msg_id (chosen up front) and how to build its message."""

    msg_id: str
    build: BuildMessage


ClaimBatch = Callable[[Connection], None]
FinishBatch = Callable[[Connection, list[BatchOutcome]], None]


async def accept_batch(
    ctx: Context,
    app: AppAccount,
    items: Sequence[BatchItem],
    *,
    claim: ClaimBatch | None = None,
    finish: FinishBatch | None = None,
) -> list[BatchOutcome]:
    """Many messages in one transaction. Each recipient is built, counted and charged exactly as
    a single send (`count_and_record`), in a savepoint of its own, so one refused (limits,
    quota, content) leaves the others alone; everything accepted commits together, or nothing.

    `claim` runs first in the transaction and may refuse the whole batch before anything is
    written; `finish` runs last with the outcomes (the scheduler marks its schedule with them).
    The same message twice in one batch (number and text) is refused as a repeat (50034).
    """
    now = clock.now_ms()
    charged: list[Charged] = []  # what the committed attempt charged, for metrics

    def write(conn: Connection, built: list[OutgoingMessage | JsmsError]) -> list[BatchOutcome]:
        return _record_all(ctx, conn, app, items, built, now, finish, charged)

    outcomes = await ctx.limiter.write_batch(
        ctx.db, claim or _nothing_to_claim, lambda conn: _build_each(conn, items), write, now
    )
    ctx.outbox_wakeup.set()
    for charge in charged:
        charge.count(app)
    for outcome in outcomes:
        if isinstance(outcome, JsmsError):
            metrics.send_refused(outcome.code, "sms", "template")
    return outcomes


def _nothing_to_claim(_conn: Connection) -> None:
    """A batch without an Idempotency-Key or a schedule to claim."""


def _build_each(
    conn: Connection, items: Sequence[BatchItem]
) -> list["OutgoingMessage | JsmsError"]:
    seen: set[tuple[str, str]] = set()
    built: list[OutgoingMessage | JsmsError] = []
    for item in items:
        try:
            message = item.build(conn)
        except JsmsError as error:
            built.append(error)
            continue
        if (message.mobile, message.text) in seen:
            built.append(JsmsError(Code.REPEAT_SEND, "the same message twice in one batch"))
            continue
        seen.add((message.mobile, message.text))
        built.append(message)
    return built


def _record_all(
    ctx: Context,
    conn: Connection,
    app: AppAccount,
    items: Sequence[BatchItem],
    built: Sequence["OutgoingMessage | JsmsError"],
    now: int,
    finish: FinishBatch | None,
    charged: list[Charged],
) -> list[BatchOutcome]:
    """Every recipient in order, then `finish` with the outcomes, in the same transaction.
    `charged` is refilled on every attempt (a transaction may be run again)."""
    charged.clear()
    outcomes = [
        _record_one(ctx, conn, app, item.msg_id, message, now, charged)
        for item, message in zip(items, built, strict=True)
    ]
    if finish is not None:
        finish(conn, outcomes)
    return outcomes


def _record_one(
    ctx: Context,
    conn: Connection,
    app: AppAccount,
    msg_id: str,
    message: "OutgoingMessage | JsmsError",
    now: int,
    charged: list[Charged],
) -> BatchOutcome:
    """One recipient in a savepoint: a refusal rolls back its limit hit and nothing else."""
    if isinstance(message, JsmsError):
        return message
    try:
        with conn.begin_nested():  # with Redis the limit was counted before the transaction
            outcome = count_and_record(ctx, conn, app, message, msg_id, now)
    except JsmsError as error:
        return error
    if isinstance(outcome, JsmsError):
        return outcome  # the pumping defence or a cap: its record commits, the send does not
    charged.append(outcome)
    return msg_id


def check_template(
    conn: Connection, app: AppAccount, temp_id: int | None, sign_id: int | None
) -> service.ChosenTemplate:
    """What refuses the whole request: SMS permission, temp_id, template and signature."""
    service.require_sms(app)
    if temp_id is None:
        raise JsmsError(Code.MISSING_TEMP_ID)
    return service.choose_template(conn, app.id, temp_id, sign_id)


def recipient_item(
    ctx: Context,
    app: AppAccount,
    temp_id: int,
    sign_id: int | None,
    recipient: Recipient,
    choose: service.ChooseTemplate,
) -> BatchItem:
    """A recipient as one send of the batch; its refusals become its own answer."""

    def build(conn: Connection) -> service.OutgoingMessage:
        if recipient.problem is not None:
            raise recipient.problem
        number = normalise_mobile(recipient.mobile)
        para = recipient.temp_para
        return service.template_message(ctx, app, number, temp_id, sign_id, para, choose)(conn)

    return BatchItem(new_msg_id(), build)


async def send_batch(
    ctx: Context,
    app: AppAccount,
    *,
    temp_id: int | None,
    sign_id: int | None,
    recipients: Sequence[Recipient],
    guard: SendGuard[list[BatchOutcome]] | None = None,
) -> list[BatchOutcome]:
    """Accept the batch; one outcome per recipient, in request order."""
    try:
        await ctx.db.read(lambda conn: check_template(conn, app, temp_id, sign_id))
    except JsmsError as error:  # the whole request is refused: each recipient was a send
        metrics.send_refused(error.code, "sms", "template", len(recipients))
        await write_refusals(ctx, _refusals(app, temp_id, recipients, [error] * len(recipients)))
        raise
    assert temp_id is not None  # check_template refused it otherwise
    choose = service.chosen_once(app.id, temp_id, sign_id)
    items = [recipient_item(ctx, app, temp_id, sign_id, r, choose) for r in recipients]

    def finish(conn: Connection, outcomes: list[BatchOutcome]) -> None:
        write_events(conn, _refusals(app, temp_id, recipients, outcomes))
        if guard is not None:
            guard.keep(conn, outcomes)

    claim = None if guard is None else guard.claim
    return await accept_batch(ctx, app, items, claim=claim, finish=finish)


def _refusals(
    app: AppAccount,
    temp_id: int | None,
    recipients: Sequence[Recipient],
    outcomes: Sequence[BatchOutcome],
) -> list[StoryEvent]:
    """The refused recipients of a batch request, for the story (their answer's msg_id names
    no message, so the entries have none)."""
    return [
        refusal_event(app.id, recipient.mobile, "template", outcome, temp_id=temp_id)
        for recipient, outcome in zip(recipients, outcomes, strict=True)
        if isinstance(outcome, JsmsError)
    ]
