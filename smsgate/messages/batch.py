"""Batch sends: many messages accepted in one transaction (POST /v1/messages/batch and the
scheduler), and the batch request's recipients and answer.

Every recipient goes through the checks a single send makes (number, parameters, content,
frequency limits, quota), through the same functions, and gets its own answer; the accepted
ones commit in one transaction. What applies to the whole request (SMS permission, temp_id,
the template, the signature) is checked once and refuses the whole request.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import AppAccount
from smsgate.context import Context
from smsgate.control_characters import refuse_control_characters
from smsgate.errors import JsmsError
from smsgate.lenient import string_map
from smsgate.messages import service
from smsgate.messages.ids import new_msg_id
from smsgate.messages.service import (
    BuildMessage,
    Charged,
    OutgoingMessage,
    SendGuard,
    count_and_record,
)
from smsgate.messages.story.recording import StoryEvent, write_events
from smsgate.messages.story.refusals import refusal_event, write_refusals
from smsgate.mobiles import normalise_mobile
from smsgate.observability import metrics

MAX_RECIPIENTS = 1000
MAX_TAG_LENGTH = 10


@dataclass(frozen=True, slots=True)
class Recipient:
    """One entry of `recipients` as sent; `problem` when the entry itself is malformed."""

    mobile: object
    temp_para: Mapping[str, str | None]
    problem: JsmsError | None = None

    @property
    def mobile_text(self) -> str:
        """The number as the answer echoes it (PHP sends it as a JSON number)."""
        return "" if self.mobile is None else str(self.mobile)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One recipient of a batch: its msg_id (chosen up front) and how to build its message."""

    msg_id: str
    build: BuildMessage


# What became of one recipient: its msg_id when accepted, else why not.
BatchOutcome = str | JsmsError
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
            built.append(JsmsError(50034, "the same message twice in one batch"))
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


def parse_recipients(value: object) -> list[Recipient]:
    """`recipients`: 50030 when missing or empty, 50031 beyond 1000, 50007 when not a list.
    A malformed entry is refused on its own, not with the request."""
    if value is None or value == []:
        raise JsmsError(50030)
    if not isinstance(value, list):
        raise JsmsError(50007)
    if len(value) > MAX_RECIPIENTS:
        raise JsmsError(50031)
    return [_parse_recipient(entry) for entry in value]


def _parse_recipient(entry: object) -> Recipient:
    if not isinstance(entry, dict):
        return Recipient(None, {}, JsmsError(50007))
    mobile = entry.get("mobile")
    try:
        return Recipient(mobile, string_map(entry.get("temp_para")))
    except JsmsError as error:
        return Recipient(mobile, {}, error)


def check_tag(value: object) -> None:
    """`tag`: a free label of at most 10 characters (the JSMS schedule page; applied everywhere)."""
    if value is None:
        return
    if not isinstance(value, str) or len(value) > MAX_TAG_LENGTH:
        raise JsmsError(50007)
    refuse_control_characters(value, 50007)


def check_template(
    conn: Connection, app: AppAccount, temp_id: int | None, sign_id: int | None
) -> service.ChosenTemplate:
    """What refuses the whole request: SMS permission, temp_id, template and signature."""
    service.require_sms(app)
    if temp_id is None:
        raise JsmsError(50005)
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


def failure_entry(recipient: Recipient, error: JsmsError) -> dict[str, Any]:
    """A refused recipient as JSMS answers it: the code as a string, the short message."""
    return {
        "error_code": str(error.code),
        "error_message": error.message,
        "mobile": recipient.mobile_text,
        "temp_para": dict(recipient.temp_para),
    }


def batch_answer(
    recipients: Sequence[Recipient], outcomes: Sequence[BatchOutcome]
) -> dict[str, Any]:
    """§2.5: every recipient in request order; refused ones also carry a msg_id (§7 A4: an id
    that names no message) and are repeated in `failure_recipients`, which the Java SDK reads
    (§7 A3)."""
    answers: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for recipient, outcome in zip(recipients, outcomes, strict=True):
        if isinstance(outcome, JsmsError):
            failure = failure_entry(recipient, outcome)
            failures.append(failure)
            answers.append({**failure, "msg_id": new_msg_id()})
        else:
            answers.append({"msg_id": outcome, "mobile": recipient.mobile_text})
    return {
        "success_count": len(answers) - len(failures),
        "failure_count": len(failures),
        "recipients": answers,
        "failure_recipients": failures,
    }
