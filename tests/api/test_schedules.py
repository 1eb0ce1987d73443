"""/v1/schedule*: scheduled SMS, checked when scheduled and sent by the scheduler when due."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate.context import Context
from smsgate.db.models import App, Message, OutboxEntry, Schedule
from smsgate.messages.schedules.scheduler import send_due_schedules
from smsgate.messages.schedules.send_time import format_send_time, schedule_zone
from smsgate.templates.service import NOTIFICATION, create_template
from tests.api.helpers import assert_error, inbox, rows, scalar
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "张三", "order": "A1001"}
HOUR = 3_600_000


def send_time(ctx: Context, clock: FrozenClock, after_ms: int = HOUR) -> str:
    return format_send_time(clock.now + after_ms, schedule_zone(ctx.settings))


def single(tenant: Tenant, when: str, mobile: str = "13800138000", **extra: Any) -> dict[str, Any]:
    return {
        "send_time": when,
        "mobile": mobile,
        "temp_id": tenant.notify_temp,
        "temp_para": PARAMS,
        **extra,
    }


def batch(tenant: Tenant, when: str, recipients: Any) -> dict[str, Any]:
    return {"send_time": when, "temp_id": tenant.notify_temp, "recipients": recipients}


async def message_texts(ctx: Context) -> dict[str, str | None]:
    return {row.id: row.content for row in await rows(ctx, select(Message.id, Message.content))}


async def schedule(api: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await api.post("/v1/schedule", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    schedule_id: str = response.json()["schedule_id"]
    return schedule_id


async def test_single_schedule_is_sent_once_when_due(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery, frozen_clock: FrozenClock
) -> None:
    """Nothing goes out before send_time; the first pass after it writes the message (with the
    msg_id GET showed) and its outbox row; later passes send nothing more."""
    when = send_time(ctx, frozen_clock)
    response = await api.post("/v1/schedule", json=single(tenant, when), auth=tenant.auth)
    assert response.status_code == 200
    assert set(response.json()) == {"schedule_id"}
    schedule_id = response.json()["schedule_id"]

    shown = (await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)).json()
    [recipient] = shown["recipients"]
    assert shown == {
        "schedule_id": schedule_id,
        "send_time": when,
        "temp_id": tenant.notify_temp,
        "recipients": [
            {"msg_id": recipient["msg_id"], "mobile": "13800138000", "temp_para": PARAMS}
        ],
    }

    frozen_clock.advance(HOUR - 1000)
    assert await send_due_schedules(ctx) == 0
    assert await message_texts(ctx) == {}

    frozen_clock.advance(1000)
    assert await send_due_schedules(ctx) == 1
    text = "【smsgate】尊敬的张三，您的订单A1001已发货。"
    assert await message_texts(ctx) == {recipient["msg_id"]: text}
    assert [r.msg_id for r in await rows(ctx, select(OutboxEntry.msg_id))] == [recipient["msg_id"]]

    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == 0
    await worker.run_until_idle()
    assert [(e.msg_id, e.text) for e in await inbox(ctx)] == [(recipient["msg_id"], text)]
    # still shown once sent, but no longer changeable
    assert (await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)).json() == shown
    later = send_time(ctx, frozen_clock)
    put = await api.put(f"/v1/schedule/{schedule_id}", json=single(tenant, later), auth=tenant.auth)
    assert_error(put, 403, 50029)
    assert_error(await api.delete(f"/v1/schedule/{schedule_id}", auth=tenant.auth), 403, 50029)


@pytest.mark.parametrize(
    "when",
    [None, "", "2030-01-01", "2030/01/01 10:00:00", "2030-02-30 10:00:00", "2030-01-01T10:00:00",
     "past", "now"],
)  # fmt: skip
async def test_invalid_or_past_send_time_is_50027(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock, when: str | None
) -> None:
    if when == "past":
        when = send_time(ctx, frozen_clock, -1000)
    elif when == "now":
        frozen_clock.now -= frozen_clock.now % 1000  # exactly on a second: not in the future
        when = send_time(ctx, frozen_clock, 0)
    response = await api.post("/v1/schedule", json=single(tenant, when or ""), auth=tenant.auth)
    assert_error(response, 403, 50027)
    assert await rows(ctx, select(Schedule.id)) == []


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"mobile": "12345"}, 403, 50006),
        ({"mobile": None}, 400, 50004),
        ({"temp_id": None}, 400, 50005),
        ({"temp_id": 99999}, 403, 50013),
        ({"temp_para": {"name": "张三"}}, 403, 50022),
        ({"temp_para": {}}, 403, 50023),
        ({"temp_para": {"name": "【x】", "order": "1"}}, 403, 50054),
        ({"sign_id": 99999}, 403, 50102),
        ({"tag": "more than ten"}, 403, 50007),
    ],
)
async def test_single_schedule_is_checked_when_scheduled(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    frozen_clock: FrozenClock,
    change: dict[str, Any],
    status: int,
    code: int,
) -> None:
    body = {**single(tenant, send_time(ctx, frozen_clock)), **change}
    assert_error(await api.post("/v1/schedule", json=body, auth=tenant.auth), status, code)
    assert await rows(ctx, select(Schedule.id)) == []


async def test_schedule_needs_sms_permission(
    api: AsyncClient, ctx: Context, frozen_clock: FrozenClock
) -> None:
    tenant = await make_tenant(ctx, sms_enabled=False)
    body = single(tenant, send_time(ctx, frozen_clock))
    assert_error(await api.post("/v1/schedule", json=body, auth=tenant.auth), 403, 50008)


async def test_batch_schedule_answers_refused_recipients_and_sends_the_rest(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    recipients = [
        {"mobile": "13800138001", "temp_para": PARAMS},
        {"mobile": "12345", "temp_para": PARAMS},
        {"mobile": 13800138001, "temp_para": PARAMS},
        {"mobile": "13800138003", "temp_para": {"name": "李四"}},
        {"mobile": "13800138004", "temp_para": {"name": "王五", "order": "B2"}},
    ]
    when = send_time(ctx, frozen_clock)
    body = batch(tenant, when, recipients)
    response = await api.post("/v1/schedule/batch", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"schedule_id", "success_count", "failure_count", "failure_recipients"}
    assert (answer["success_count"], answer["failure_count"]) == (2, 3)
    assert answer["failure_recipients"] == [
        {"error_code": "50006", "error_message": "invalid mobile", "mobile": "12345",
         "temp_para": PARAMS},
        {"error_code": "50034", "error_message": "repeat send", "mobile": "13800138001",
         "temp_para": PARAMS},
        {"error_code": "50022", "error_message": "parameters not all replaced",
         "mobile": "13800138003", "temp_para": {"name": "李四"}},
    ]  # fmt: skip
    shown = (await api.get(f"/v1/schedule/{answer['schedule_id']}", auth=tenant.auth)).json()
    assert [r["mobile"] for r in shown["recipients"]] == ["13800138001", "13800138004"]

    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == 1
    assert await message_texts(ctx) == {
        shown["recipients"][0]["msg_id"]: "【smsgate】尊敬的张三，您的订单A1001已发货。",
        shown["recipients"][1]["msg_id"]: "【smsgate】尊敬的王五，您的订单B2已发货。",
    }


@pytest.mark.parametrize(("count", "code"), [(0, 50030), (1001, 50031)])
async def test_batch_schedule_recipient_count(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock, count: int, code: int
) -> None:
    recipients = [{"mobile": f"1380013{n:04d}", "temp_para": PARAMS} for n in range(count)]
    body = batch(tenant, send_time(ctx, frozen_clock), recipients)
    assert_error(await api.post("/v1/schedule/batch", json=body, auth=tenant.auth), 403, code)


async def test_changed_schedule_sends_only_its_new_version(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    """PUT replaces time, number and parameters and gives new msg_ids; the old time passes
    without a send, the new one sends the new text."""
    schedule_id = await schedule(api, tenant, single(tenant, send_time(ctx, frozen_clock)))
    old = (await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)).json()
    new_time = send_time(ctx, frozen_clock, 2 * HOUR)
    change = single(tenant, new_time, "13900139000", temp_para={"name": "李四", "order": "B2"})
    response = await api.put(f"/v1/schedule/{schedule_id}", json=change, auth=tenant.auth)
    assert response.json() == {"schedule_id": schedule_id}
    new = (await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)).json()
    assert new["send_time"] == new_time
    [recipient] = new["recipients"]
    assert recipient["mobile"] == "13900139000"
    assert recipient["msg_id"] != old["recipients"][0]["msg_id"]

    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == 0
    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == 1
    assert await message_texts(ctx) == {
        recipient["msg_id"]: "【smsgate】尊敬的李四，您的订单B2已发货。"
    }


async def test_changed_batch_schedule(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    when = send_time(ctx, frozen_clock)
    first = [{"mobile": "13800138001", "temp_para": PARAMS}]
    created = await api.post(
        "/v1/schedule/batch", json=batch(tenant, when, first), auth=tenant.auth
    )
    schedule_id = created.json()["schedule_id"]
    second = [{"mobile": "13800138002", "temp_para": PARAMS}, {"mobile": "1", "temp_para": PARAMS}]
    url = f"/v1/schedule/batch/{schedule_id}"
    answer = (await api.put(url, json=batch(tenant, when, second), auth=tenant.auth)).json()
    assert answer["schedule_id"] == schedule_id
    assert (answer["success_count"], answer["failure_count"]) == (1, 1)
    assert [f["error_code"] for f in answer["failure_recipients"]] == ["50006"]
    shown = (await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)).json()
    assert [r["mobile"] for r in shown["recipients"]] == ["13800138002"]
    assert_error(await api.put(url, json=batch(tenant, when, []), auth=tenant.auth), 403, 50030)
    # a batch is not changed through the single route, nor a single one through the batch route
    single_put = await api.put(
        f"/v1/schedule/{schedule_id}", json=single(tenant, when), auth=tenant.auth
    )
    assert_error(single_put, 403, 50028)
    single_id = await schedule(api, tenant, single(tenant, when))
    batch_put = await api.put(
        f"/v1/schedule/batch/{single_id}", json=batch(tenant, when, first), auth=tenant.auth
    )
    assert_error(batch_put, 403, 50028)


async def test_deleted_schedule_is_gone_and_never_sent(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    when = send_time(ctx, frozen_clock)
    schedule_id = await schedule(api, tenant, single(tenant, when))
    deleted = await api.delete(f"/v1/schedule/{schedule_id}", auth=tenant.auth)
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert_error(await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth), 403, 50028)
    assert_error(await api.delete(f"/v1/schedule/{schedule_id}", auth=tenant.auth), 403, 50029)
    put = await api.put(f"/v1/schedule/{schedule_id}", json=single(tenant, when), auth=tenant.auth)
    assert_error(put, 403, 50029)
    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == 0
    assert await message_texts(ctx) == {}


@pytest.mark.parametrize("schedule_id", ["no-such-id", "00000000-0000-4000-8000-000000000000"])
async def test_unknown_schedule_is_50028(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock, schedule_id: str
) -> None:
    when = send_time(ctx, frozen_clock)
    url = f"/v1/schedule/{schedule_id}"
    assert_error(await api.get(url, auth=tenant.auth), 403, 50028)
    assert_error(await api.delete(url, auth=tenant.auth), 403, 50028)
    assert_error(await api.put(url, json=single(tenant, when), auth=tenant.auth), 403, 50028)
    batch_url = f"/v1/schedule/batch/{schedule_id}"
    body = batch(tenant, when, [{"mobile": "13800138000", "temp_para": PARAMS}])
    assert_error(await api.put(batch_url, json=body, auth=tenant.auth), 403, 50028)


async def test_another_apps_schedule_does_not_exist(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    when = send_time(ctx, frozen_clock)
    schedule_id = await schedule(api, tenant, single(tenant, when))
    other = await make_tenant(ctx)
    url = f"/v1/schedule/{schedule_id}"
    assert_error(await api.get(url, auth=other.auth), 403, 50028)
    assert_error(await api.put(url, json=single(other, when), auth=other.auth), 403, 50028)
    assert_error(await api.delete(url, auth=other.auth), 403, 50028)
    assert (await api.get(url, auth=tenant.auth)).status_code == 200


async def test_quota_is_counted_when_sent(
    api: AsyncClient, ctx: Context, frozen_clock: FrozenClock
) -> None:
    """Scheduling costs nothing; at send time one unit goes to the first recipient and the
    second is refused (50014), which the schedule keeps."""
    tenant = await make_tenant(ctx, quotas={"balance": 1})
    recipients = [
        {"mobile": "13800138001", "temp_para": PARAMS},
        {"mobile": "13800138002", "temp_para": PARAMS},
    ]
    body = batch(tenant, send_time(ctx, frozen_clock), recipients)
    answer = (await api.post("/v1/schedule/batch", json=body, auth=tenant.auth)).json()
    assert answer["success_count"] == 2
    assert await scalar(ctx, select(App.balance).where(App.id == tenant.app_id)) == 1
    frozen_clock.advance(HOUR)
    assert await send_due_schedules(ctx) == 1
    assert len(await message_texts(ctx)) == 1
    assert await scalar(ctx, select(App.balance).where(App.id == tenant.app_id)) == 0
    [stored] = await rows(ctx, select(Schedule.recipients, Schedule.status))
    assert stored.status == "sent"
    assert '"error_code":50014' in stored.recipients


@pytest.mark.parametrize("settings_overrides", [{"schedule_timezone": "UTC"}])
async def test_send_time_zone_is_configurable(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    frozen_clock.now -= frozen_clock.now % 1000
    when = send_time(ctx, frozen_clock)
    assert schedule_zone(ctx.settings).key == "UTC"
    await schedule(api, tenant, single(tenant, when))
    stored = await scalar(ctx, select(Schedule.send_at))
    assert stored == frozen_clock.now + HOUR


async def test_default_zone_is_shanghai(ctx: Context) -> None:
    assert format_send_time(0, schedule_zone(ctx.settings)) == "1970-01-01 08:00:00"


async def test_message_count_for_many_schedules(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    """More schedules due than one pass claims: passes until none is left send each once."""
    when = send_time(ctx, frozen_clock)
    count = ctx.settings.schedule_batch + 3
    for n in range(count):
        await schedule(api, tenant, single(tenant, when, f"138001{n:05d}"))
    frozen_clock.advance(HOUR)
    claimed = [await send_due_schedules(ctx) for _ in range(3)]
    assert claimed == [ctx.settings.schedule_batch, 3, 0]
    assert await scalar(ctx, select(func.count()).select_from(Message)) == count


async def test_sdk_body_quirks_are_accepted(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    """C# sends nulls and its template's type and ttl (§6.3); PHP sends numbers as mobiles,
    temp_id as a string and an empty temp_para as [] (§6.2)."""
    when = send_time(ctx, frozen_clock)
    csharp = {**single(tenant, when), "sign_id": None, "tag": None, "type": 1, "ttl": 0}
    assert (await api.post("/v1/schedule", json=csharp, auth=tenant.auth)).status_code == 200
    plain = await create_template(
        ctx.db, tenant.app_id, template_type=NOTIFICATION, text="系统维护通知。", approve=True
    )
    php = {
        "send_time": when,
        "temp_id": str(plain),
        "recipients": [{"mobile": 13800138000, "temp_para": []}],
    }
    response = await api.post("/v1/schedule/batch", json=php, auth=tenant.auth)
    assert response.json()["success_count"] == 1, response.text
    shown = (
        await api.get(f"/v1/schedule/{response.json()['schedule_id']}", auth=tenant.auth)
    ).json()
    assert shown["recipients"][0]["mobile"] == "13800138000"
    assert shown["temp_id"] == plain
