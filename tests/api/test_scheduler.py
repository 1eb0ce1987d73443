"""The scheduler: exactly once under racing passes, never an outdated version, and on time."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate import clock
from smsgate.context import Context, open_context
from smsgate.db.models import Message, OutboxEntry, Schedule
from smsgate.messages.schedules import repository
from smsgate.messages.schedules.scheduler import (
    ScheduleChanged,
    run_scheduler,
    send_due_schedules,
    send_schedule,
)
from smsgate.messages.schedules.send_time import format_send_time, schedule_zone
from smsgate.settings import Settings
from tests.api.helpers import rows, scalar
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

PARAMS = {"name": "张三", "order": "A1001"}
HOUR = 3_600_000
RECIPIENTS = 20


async def schedule_batch(api: AsyncClient, ctx: Context, tenant: Tenant, due_at_ms: int) -> str:
    recipients = [{"mobile": f"1380013{n:04d}", "temp_para": PARAMS} for n in range(RECIPIENTS)]
    body = {
        "send_time": format_send_time(due_at_ms, schedule_zone(ctx.settings)),
        "temp_id": tenant.notify_temp,
        "recipients": recipients,
    }
    response = await api.post("/v1/schedule/batch", json=body, auth=tenant.auth)
    assert response.json()["success_count"] == RECIPIENTS, response.text
    schedule_id: str = response.json()["schedule_id"]
    return schedule_id


async def counts(ctx: Context) -> tuple[int, int]:
    messages = await scalar(ctx, select(func.count()).select_from(Message))
    outbox = await scalar(ctx, select(func.count(func.distinct(OutboxEntry.msg_id))))
    return int(messages), int(outbox)


@pytest.fixture
async def second_ctx(settings: Settings) -> AsyncIterator[Context]:
    """Another process's view of the same database: its own engine and connections."""
    other = open_context(settings)
    yield other
    await other.close()


@pytest.mark.parametrize("settings_overrides", [{"schedule_lease_seconds": 0.0}])
async def test_racing_schedulers_send_once(
    api: AsyncClient,
    ctx: Context,
    second_ctx: Context,
    tenant: Tenant,
    frozen_clock: FrozenClock,
) -> None:
    """Two schedulers with their own connections run passes at the same time. With no lease at
    all both may claim the schedule; its conditional mark-as-sent still lets one send."""
    await schedule_batch(api, ctx, tenant, frozen_clock.now + HOUR)
    frozen_clock.advance(HOUR)
    claimed = await asyncio.gather(
        *(send_due_schedules(c) for c in (ctx, second_ctx, ctx, second_ctx))
    )
    assert sum(claimed) >= 1
    assert await counts(ctx) == (RECIPIENTS, RECIPIENTS)
    assert await scalar(ctx, select(Schedule.status)) == "sent"


@pytest.mark.parametrize("settings_overrides", [{"schedule_lease_seconds": 0.0}])
async def test_two_schedulers_holding_one_schedule_send_it_once(
    api: AsyncClient,
    ctx: Context,
    second_ctx: Context,
    tenant: Tenant,
    frozen_clock: FrozenClock,
) -> None:
    """Both schedulers claimed the schedule (the first one's lease ran out) and send it at the
    same time: one transaction marks it sent and commits its messages, the other sends none."""
    await schedule_batch(api, ctx, tenant, frozen_clock.now + HOUR)
    frozen_clock.advance(HOUR)
    now = frozen_clock.now
    [first] = await ctx.db.write(lambda conn: repository.claim_due(conn, now, 10, now))
    [second] = await second_ctx.db.write(lambda conn: repository.claim_due(conn, now, 10, now))
    outcomes = await asyncio.gather(
        send_schedule(ctx, first), send_schedule(second_ctx, second), return_exceptions=True
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "NoneType",
        "ScheduleChanged",
    ]
    assert await counts(ctx) == (RECIPIENTS, RECIPIENTS)


async def test_lease_keeps_a_second_scheduler_away(
    api: AsyncClient, ctx: Context, second_ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    """A claimed schedule is not claimed again while its lease lasts."""
    await schedule_batch(api, ctx, tenant, frozen_clock.now + HOUR)
    frozen_clock.advance(HOUR)
    now = frozen_clock.now
    [claimed] = await ctx.db.write(lambda conn: repository.claim_due(conn, now, 10, now + 60_000))
    assert await send_due_schedules(second_ctx) == 0
    await send_schedule(ctx, claimed)
    assert await counts(ctx) == (RECIPIENTS, RECIPIENTS)


@pytest.mark.parametrize("change", ["put", "delete"])
async def test_claimed_then_changed_is_not_sent_in_its_old_version(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock, change: str
) -> None:
    """A scheduler claimed the schedule, then the app changed or deleted it before the send:
    the claimed version sends nothing; a changed schedule goes out later in its new version."""
    schedule_id = await schedule_batch(api, ctx, tenant, frozen_clock.now + HOUR)
    frozen_clock.advance(HOUR)
    now = frozen_clock.now
    [claimed] = await ctx.db.write(lambda conn: repository.claim_due(conn, now, 10, now + 60_000))
    new_time = format_send_time(now + HOUR, schedule_zone(ctx.settings))
    if change == "put":
        body: dict[str, Any] = {
            "send_time": new_time,
            "temp_id": tenant.notify_temp,
            "recipients": [{"mobile": "13900139000", "temp_para": PARAMS}],
        }
        url = f"/v1/schedule/batch/{schedule_id}"
        assert (await api.put(url, json=body, auth=tenant.auth)).status_code == 200
    else:
        url = f"/v1/schedule/{schedule_id}"
        assert (await api.delete(url, auth=tenant.auth)).status_code == 200

    with pytest.raises(ScheduleChanged):
        await send_schedule(ctx, claimed)
    assert await counts(ctx) == (0, 0)

    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == (1 if change == "put" else 0)
    mobiles = [row.mobile for row in await rows(ctx, select(Message.mobile))]
    assert mobiles == (["+8613900139000"] if change == "put" else [])


async def test_a_failed_send_leaves_the_schedule_for_a_later_pass(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A crash inside the send transaction (here: the outbox write) rolls it all back; after
    the lease the schedule is sent whole."""
    from smsgate.outbox import repository as outbox

    await schedule_batch(api, ctx, tenant, frozen_clock.now + HOUR)
    frozen_clock.advance(HOUR)
    enqueue = outbox.enqueue
    with monkeypatch.context() as patched:
        patched.setattr(outbox, "enqueue", _fail)
        assert await send_due_schedules(ctx) == 1
    assert await counts(ctx) == (0, 0)
    assert await scalar(ctx, select(Schedule.status)) == "pending"
    assert outbox.enqueue is enqueue
    assert await send_due_schedules(ctx) == 0  # leased
    frozen_clock.advance(int(ctx.settings.schedule_lease_seconds * 1000))
    assert await send_due_schedules(ctx) == 1
    assert await counts(ctx) == (RECIPIENTS, RECIPIENTS)


def _fail(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("disk gone")


@pytest.mark.parametrize("settings_overrides", [{"schedule_poll_seconds": 3600.0}])
async def test_loop_wakes_at_the_due_time_not_the_poll_interval(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """The running scheduler, polling only hourly, sends a schedule due two seconds ahead as
    soon as it is due: it woke on the new schedule and slept until its time."""
    task = asyncio.create_task(run_scheduler(ctx))
    try:
        await asyncio.sleep(0)  # the first pass finds nothing and goes to sleep for an hour
        due_at = (clock.now_ms() // 1000 + 2) * 1000
        ctx.outbox_wakeup.clear()
        await schedule_batch(api, ctx, tenant, due_at)
        assert await counts(ctx) == (0, 0)
        async with asyncio.timeout(30):
            await ctx.outbox_wakeup.wait()  # set when the scheduler's messages committed
        assert clock.now_ms() >= due_at
        assert await counts(ctx) == (RECIPIENTS, RECIPIENTS)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
