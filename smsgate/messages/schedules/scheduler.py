"""The scheduler: turns due schedules into messages and outbox rows.

A schedule is claimed with a lease (SKIP LOCKED on PostgreSQL, like the outbox), then sent in
one transaction that first marks it sent, on the condition that it is still pending at the
version that was claimed, and then accepts its messages through the batch path. So a schedule
is sent once however many schedulers run, a scheduler that dies mid-send only delays it (the
transaction rolls back, the lease runs out), and a schedule changed or deleted after it was
claimed is never sent in its old version. Schedules live in the database: one that fell due
while no process ran is sent by the first scheduler that starts.
"""

import asyncio
import contextlib
from typing import Any

import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import AppAccount, app_by_id
from smsgate.context import Context
from smsgate.errors import Code, JsmsError
from smsgate.messages import service
from smsgate.messages.batch import BatchItem, accept_batch
from smsgate.messages.batch_format import BatchOutcome
from smsgate.messages.schedules import repository
from smsgate.messages.schedules.repository import DueSchedule
from smsgate.report_status import ReportStatus
from smsgate.reports.service import FinalStatus, record_final_statuses
from smsgate.story.recording import write_events
from smsgate.story.refusals import refusal_event

log = structlog.get_logger(__name__)
HEARTBEAT = "scheduler"
# Never look again sooner than this, whatever the database says is due.
MIN_WAIT_SECONDS = 0.05
# The report status of a recipient refused at sending time: 4005 balance exhausted for 50014,
# else 4100 other error (jsms-api.md §4.3 has nothing closer).
OTHER_ERROR = ReportStatus.OTHER_ERROR
REFUSAL_STATUS: dict[int, int] = {Code.NO_MONEY: ReportStatus.CARRIER_BALANCE_EXHAUSTED}


class ScheduleChanged(Exception):
    """The claimed version is no longer the pending one: nothing of it is sent."""


async def run_scheduler(ctx: Context) -> None:
    """Send due schedules until the process stops or until cancelled; sleep until the next one
    is due, a schedule is created or changed in this process, or `schedule_poll_seconds`
    passed (other processes)."""
    if ctx.db.is_sqlite:  # SQLite runs one scheduler: a lease can only be a dead predecessor's
        released = await ctx.db.write(repository.release_all_leases)
        if released:
            log.info("resuming schedules claimed before a restart", count=released)
    while not ctx.process.stopping.is_set():
        ctx.schedule_wakeup.clear()
        try:
            sent = await send_due_schedules(ctx)
            ctx.process.heartbeats.beat(HEARTBEAT)
            if sent >= ctx.settings.schedule_batch:
                continue  # more may be due at once
            next_due = await ctx.db.read(repository.next_due_at)
        except Exception:
            log.exception("scheduler pass failed")
            next_due = None
        ctx.process.heartbeats.beat(HEARTBEAT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.schedule_wakeup.wait(), _wait_seconds(ctx, next_due))


def _wait_seconds(ctx: Context, next_due: int | None) -> float:
    wait = ctx.settings.schedule_poll_seconds
    if next_due is not None:
        wait = min(wait, (next_due - clock.now_ms()) / 1000)
    return max(wait, MIN_WAIT_SECONDS)


async def send_due_schedules(ctx: Context) -> int:
    """One pass: claim what is due and send each; returns how many were claimed."""
    settings = ctx.settings
    now = clock.now_ms()
    lease_until = now + int(settings.schedule_lease_seconds * 1000)
    claimed = await ctx.db.write(
        lambda conn: repository.claim_due(conn, now, settings.schedule_batch, lease_until)
    )
    for schedule in claimed:
        try:
            await send_schedule(ctx, schedule)
        except ScheduleChanged:
            log.info("schedule changed before it was sent", schedule_id=schedule.id)
        except Exception:  # the lease runs out and another pass tries again
            log.exception("sending a schedule failed", schedule_id=schedule.id)
    return len(claimed)


async def send_schedule(ctx: Context, schedule: DueSchedule) -> None:
    app = await ctx.db.read(lambda conn: app_by_id(conn, schedule.app_id))
    if app is None:
        return  # the app is gone, and its schedules with it
    choose = service.chosen_once(app.id, schedule.temp_id, schedule.sign_id)
    items = [
        BatchItem(r["msg_id"], _recipient_message(ctx, app, schedule, r, choose))
        for r in schedule.recipients
    ]

    def claim(conn: Connection) -> None:
        if not repository.mark_sent(conn, schedule.id, schedule.version, clock.now_ms()):
            raise ScheduleChanged(schedule.id)

    def finish(conn: Connection, outcomes: list[BatchOutcome]) -> None:
        refused = [isinstance(outcome, JsmsError) for outcome in outcomes]
        if not any(refused):
            return
        recipients = [
            {**r, "error_code": o.code} if isinstance(o, JsmsError) else r
            for r, o in zip(schedule.recipients, outcomes, strict=True)
        ]
        repository.set_recipients(conn, schedule.id, recipients)
        report_refusals(conn, app.id, schedule.recipients, outcomes)

    outcomes = await accept_batch(ctx, app, items, claim=claim, finish=finish)
    refusals = sum(isinstance(outcome, JsmsError) for outcome in outcomes)
    log.info(
        "schedule sent",
        schedule_id=schedule.id,
        accepted=len(outcomes) - refusals,
        refused=refusals,
    )


def report_refusals(
    conn: Connection,
    app_id: int,
    recipients: list[dict[str, Any]],
    outcomes: list[BatchOutcome],
) -> None:
    """The app was given each recipient's msg_id when it scheduled: one refused when its time
    came (its template or signature deleted, quota, limits ...) is reported as failed under
    that msg_id (/v1/report and SMS_REPORT), so the app is not left waiting for it."""
    finals = [
        FinalStatus(r["msg_id"], app_id, r["number"], REFUSAL_STATUS.get(o.code, OTHER_ERROR))
        for r, o in zip(recipients, outcomes, strict=True)
        if isinstance(o, JsmsError)
    ]
    record_final_statuses(conn, finals)
    write_events(
        conn,
        [
            refusal_event(app_id, r["number"], "template", o, msg_id=r["msg_id"])
            for r, o in zip(recipients, outcomes, strict=True)
            if isinstance(o, JsmsError)
        ],
    )


def _recipient_message(
    ctx: Context,
    app: AppAccount,
    schedule: DueSchedule,
    recipient: dict[str, Any],
    choose: service.ChooseTemplate,
) -> service.BuildMessage:
    number, para = recipient["number"], recipient["temp_para"]
    build = service.template_message(
        ctx, app, number, schedule.temp_id, schedule.sign_id, para, choose
    )

    def checked(conn: Connection) -> service.OutgoingMessage:
        service.require_sms(app)  # the app may have lost SMS since it scheduled
        return build(conn)

    return checked
