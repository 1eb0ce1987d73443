"""Scheduled SMS: checked when scheduled, stored, changed or deleted while pending.

A schedule is checked as far as it can be before its time: the send time, the template and
signature, and each recipient's number, parameters and content (refused recipients of a batch are
answered and left out). Frequency limits and quota are counted when it is sent, by the scheduler,
through the same path as any send. Each recipient's msg_id is chosen here, so GET shows the ids
the messages will have; a change chooses new ones.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import AppAccount, app_by_id, app_keys
from smsgate.context import Context
from smsgate.errors import Code, JsmsError
from smsgate.messages import service
from smsgate.messages.batch_format import BatchOutcome, Recipient
from smsgate.messages.schedules import repository
from smsgate.messages.schedules.repository import DELETED, PENDING, ScheduleSearch, StoredSchedule
from smsgate.messages.schedules.send_time import format_send_time, parse_send_time, schedule_zone
from smsgate.messages.service import SendGuard
from smsgate.mobiles import normalise_mobile
from smsgate.msg_ids import new_msg_id
from smsgate.settings import Settings

SINGLE, BATCH = "single", "batch"


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """A POST or PUT body: one recipient for a single schedule, 1..1000 for a batch."""

    kind: str
    send_time: object
    temp_id: int | None
    sign_id: int | None
    recipients: Sequence[Recipient]
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Scheduled:
    """The stored schedule's id and, per recipient of the request, its msg_id or refusal."""

    schedule_id: str
    outcomes: list[BatchOutcome]


@dataclass(frozen=True, slots=True)
class ScheduleView:
    schedule_id: str
    send_time: str
    temp_id: int
    recipients: list[dict[str, Any]]


async def create_schedule(
    ctx: Context,
    app: AppAccount,
    request: ScheduleRequest,
    guard: SendGuard[Scheduled] | None = None,
) -> Scheduled:
    schedule_id = new_msg_id()
    now = clock.now_ms()

    def create(conn: Connection) -> Scheduled:
        if guard is not None:
            guard.claim(conn)
        send_at, planned = _check(ctx.settings, conn, app, request, now)
        values = _stored(request, send_at, planned, now)
        first = {"id": schedule_id, "app_id": app.id, "kind": request.kind, "created_at": now}
        repository.insert_schedule(conn, {**values, **first, "status": PENDING, "version": 1})
        scheduled = Scheduled(schedule_id, _outcomes(planned))
        if guard is not None:
            guard.keep(conn, scheduled)
        return scheduled

    scheduled = await ctx.db.write(create)
    ctx.schedule_wakeup.set()
    return scheduled


async def update_schedule(
    ctx: Context, app: AppAccount, schedule_id: str, request: ScheduleRequest
) -> Scheduled:
    """Replace a pending schedule of the same kind: 50028 unknown (or another app's, or of the
    other kind), 50029 already sent or deleted, then the same checks as when it was created."""
    now = clock.now_ms()

    def change(conn: Connection) -> Scheduled:
        _require_changeable(repository.find_schedule(conn, app.id, schedule_id), request.kind)
        send_at, planned = _check(ctx.settings, conn, app, request, now)
        values = _stored(request, send_at, planned, now)
        if not repository.change_pending(conn, app.id, schedule_id, request.kind, values):
            raise JsmsError(Code.WRONG_SCHEDULE_STATUS)  # sent by a scheduler in the meantime
        return Scheduled(schedule_id, _outcomes(planned))

    scheduled = await ctx.db.write(change)
    ctx.schedule_wakeup.set()
    return scheduled


async def delete_schedule(ctx: Context, app: AppAccount, schedule_id: str) -> None:
    now = clock.now_ms()

    def delete(conn: Connection) -> None:
        _require_changeable(repository.find_schedule(conn, app.id, schedule_id), None)
        values = {"status": DELETED, "updated_at": now}
        if not repository.change_pending(conn, app.id, schedule_id, None, values):
            raise JsmsError(Code.WRONG_SCHEDULE_STATUS)

    await ctx.db.write(delete)


async def show_schedule(ctx: Context, app: AppAccount, schedule_id: str) -> ScheduleView:
    """A pending or sent schedule; a deleted one is gone (50028)."""
    row = await ctx.db.read(lambda conn: repository.find_schedule(conn, app.id, schedule_id))
    if row is None or row.status == DELETED:
        raise JsmsError(Code.INVALID_SCHEDULE_ID)
    recipients = [
        {"msg_id": r["msg_id"], "mobile": r["mobile"], "temp_para": r["temp_para"]}
        for r in repository.load_recipients(row.recipients)
    ]
    send_time = format_send_time(row.send_at, schedule_zone(ctx.settings))
    return ScheduleView(row.id, send_time, row.temp_id, recipients)


def _require_changeable(row: StoredSchedule | None, kind: str | None) -> None:
    if row is None or (kind is not None and row.kind != kind):
        raise JsmsError(Code.INVALID_SCHEDULE_ID)
    if row.status != PENDING:
        raise JsmsError(Code.WRONG_SCHEDULE_STATUS)


Planned = dict[str, Any] | JsmsError


def _check(
    settings: Settings, conn: Connection, app: AppAccount, request: ScheduleRequest, now: int
) -> tuple[int, list[Planned]]:
    """The send time and the template refuse the request; each recipient is planned (its
    message as it would be sent now) or refused on its own. A single schedule's only recipient
    refuses the request."""
    service.require_sms(app)
    send_at = parse_send_time(request.send_time, schedule_zone(settings), now)
    single = request.kind == SINGLE
    if single:
        normalise_mobile(request.recipients[0].mobile)  # 50004/50006 come before 50005
    if request.temp_id is None:
        raise JsmsError(Code.MISSING_TEMP_ID)
    chosen = service.choose_template(conn, app.id, request.temp_id, request.sign_id)
    seen: set[tuple[str, str]] = set()
    planned = [_plan(settings, chosen, recipient, seen) for recipient in request.recipients]
    if single and isinstance(planned[0], JsmsError):
        raise planned[0]
    return send_at, planned


def _plan(
    settings: Settings,
    chosen: service.ChosenTemplate,
    recipient: Recipient,
    seen: set[tuple[str, str]],
) -> Planned:
    try:
        if recipient.problem is not None:
            raise recipient.problem
        number = normalise_mobile(recipient.mobile)
        text = service.template_text(settings, chosen, recipient.temp_para)
    except JsmsError as error:
        return error
    if (number, text) in seen:
        return JsmsError(Code.REPEAT_SEND, "the same message twice in one batch")
    seen.add((number, text))
    return {
        "msg_id": new_msg_id(),
        "mobile": recipient.mobile_text,
        "number": number,
        "temp_para": dict(recipient.temp_para),
    }


def _stored(
    request: ScheduleRequest, send_at: int, planned: list[Planned], now: int
) -> dict[str, Any]:
    assert request.temp_id is not None  # _check refused it otherwise
    return {
        "temp_id": request.temp_id,
        "sign_id": request.sign_id,
        "tag": request.tag,
        "recipients": repository.dump_recipients([p for p in planned if isinstance(p, dict)]),
        "send_at": send_at,
        "updated_at": now,
    }


def _outcomes(planned: list[Planned]) -> list[BatchOutcome]:
    return [p if isinstance(p, JsmsError) else str(p["msg_id"]) for p in planned]


# --- the operator console ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    """A schedule as the console lists and shows it (any app's, deleted ones too)."""

    schedule_id: str
    app_key: str
    kind: str
    temp_id: int
    sign_id: int | None
    tag: str | None
    status: str
    send_at: int
    created_at: int
    updated_at: int
    sent_at: int | None
    recipients: list[dict[str, Any]]


async def list_schedules(
    ctx: Context, chosen: ScheduleSearch, limit: int, offset: int = 0
) -> list[ScheduleLine]:
    def read(conn: Connection) -> list[ScheduleLine]:
        rows = repository.search_schedules(conn, chosen, limit, offset)
        keys = app_keys(conn, sorted({row.app_id for row in rows}))
        return [_line(row, keys.get(row.app_id, "?")) for row in rows]

    return await ctx.db.read(read)


async def find_any_schedule(ctx: Context, schedule_id: str) -> ScheduleLine | None:
    def read(conn: Connection) -> ScheduleLine | None:
        row = repository.schedule_by_id(conn, schedule_id)
        if row is None:
            return None
        return _line(row, app_keys(conn, [row.app_id]).get(row.app_id, "?"))

    return await ctx.db.read(read)


async def cancel_schedule(ctx: Context, schedule_id: str) -> str:
    """An operator's DELETE /v1/schedule/{id} on the owning app's behalf: the same rules
    (50028 unknown, 50029 no longer pending). Returns the app's key."""

    def owner(conn: Connection) -> AppAccount | None:
        row = repository.schedule_by_id(conn, schedule_id)
        return None if row is None else app_by_id(conn, row.app_id)

    app = await ctx.db.read(owner)
    if app is None:
        raise JsmsError(Code.INVALID_SCHEDULE_ID)
    await delete_schedule(ctx, app, schedule_id)
    return app.app_key


def _line(row: StoredSchedule, app_key: str) -> ScheduleLine:
    return ScheduleLine(
        row.id,
        app_key,
        row.kind,
        row.temp_id,
        row.sign_id,
        row.tag,
        row.status,
        row.send_at,
        row.created_at,
        row.updated_at,
        row.sent_at,
        repository.load_recipients(row.recipients),
    )


async def due_schedule_counts(ctx: Context, late_after_seconds: float) -> tuple[int, int]:
    """(due, late): pending schedules whose send time has come, and those of them that have
    waited more than `late_after_seconds` (a scheduler should have taken them by then)."""
    now = clock.now_ms()
    late_before = now - int(late_after_seconds * 1000)
    return await ctx.db.read(lambda conn: repository.count_due(conn, now, late_before))
