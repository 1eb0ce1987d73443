"""Text with NUL or other control characters (which PostgreSQL cannot store, and no handset can
show) is refused with the field's JSMS error before anything is written, the same on every
backend; a batch answers such a recipient on its own."""

import base64
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, update

from smsgate.context import Context
from smsgate.db.models import Message, OutboxEntry, Schedule, Sign, Template
from smsgate.messages.schedules.scheduler import send_due_schedules
from smsgate.messages.schedules.send_time import format_send_time, schedule_zone
from tests.api.helpers import assert_error, scalar
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

# NUL, other C0 and C1 controls, DEL. Tab and line breaks are ordinary text.
CONTROLS = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f"]
MOBILE = "13800138000"


async def nothing_written(ctx: Context) -> None:
    for model in (Message, OutboxEntry, Schedule):
        assert await scalar(ctx, select(func.count()).select_from(model)) == 0


def notify(tenant: Tenant, name: str, **extra: Any) -> dict[str, Any]:
    return {"temp_id": tenant.notify_temp, "temp_para": {"name": name, "order": "A1"}, **extra}


async def test_control_characters_in_temp_para(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    for char in CONTROLS:
        body = {"mobile": MOBILE, **notify(tenant, f"张{char}三")}
        assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50054)
    await nothing_written(ctx)


async def test_one_such_recipient_of_a_batch_is_answered_on_its_own(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    recipients = [
        {"mobile": "13800138000", "temp_para": {"name": "张三", "order": "A1"}},
        {"mobile": "13800138001", "temp_para": {"name": "李\x00四", "order": "A2"}},
        {"mobile": "13800138002", "temp_para": {"name": "王五\x01", "order": "A3"}},
    ]
    body = {"temp_id": tenant.notify_temp, "recipients": recipients}
    response = await api.post("/v1/messages/batch", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success_count"] == 1 and answer["failure_count"] == 2
    assert [f["error_code"] for f in answer["failure_recipients"]] == ["50054", "50054"]
    assert answer["failure_recipients"][0]["temp_para"]["name"] == "李\x00四"
    assert await scalar(ctx, select(func.count()).select_from(Message)) == 1


async def test_schedules_refuse_them_when_scheduled(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    when = format_send_time(frozen_clock.now + 3_600_000, schedule_zone(ctx.settings))
    single = {"send_time": when, "mobile": MOBILE, **notify(tenant, "张\x00三")}
    assert_error(await api.post("/v1/schedule", json=single, auth=tenant.auth), 403, 50054)
    recipients = [{"mobile": MOBILE, "temp_para": {"name": "张\x00三", "order": "A1"}}]
    batch = {"send_time": when, "temp_id": tenant.notify_temp, "recipients": recipients}
    response = await api.post("/v1/schedule/batch", json=batch, auth=tenant.auth)
    assert response.json()["failure_recipients"][0]["error_code"] == "50054", response.text
    tagged = {"send_time": when, "mobile": MOBILE, **notify(tenant, "张三"), "tag": "a\x00b"}
    assert_error(await api.post("/v1/schedule", json=tagged, auth=tenant.auth), 403, 50007)
    # Only the batch, with none of its recipients, was stored.
    assert await scalar(ctx, select(Schedule.recipients)) == "[]"
    for model in (Message, OutboxEntry):
        assert await scalar(ctx, select(func.count()).select_from(model)) == 0


async def test_templates_refuse_them(api: AsyncClient, ctx: Context, tenant: Tenant) -> None:
    before = await scalar(ctx, select(func.count()).select_from(Template))
    for char in CONTROLS:
        text = {"type": 2, "template": f"您好{char}{{{{name}}}}"}
        assert_error(await api.post("/v1/templates", json=text, auth=tenant.auth), 403, 50052)
        remark = {"type": 2, "template": "您好{{name}}", "remark": f"用于{char}通知"}
        assert_error(await api.post("/v1/templates", json=remark, auth=tenant.auth), 403, 50007)
    assert await scalar(ctx, select(func.count()).select_from(Template)) == before


async def test_line_breaks_and_tabs_are_text(api: AsyncClient, tenant: Tenant) -> None:
    body = {"type": 2, "template": "您好{{name}}\n\t订单已发货\r\n", "remark": "通知\n用"}
    response = await api.post("/v1/templates", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    send = {"mobile": MOBILE, **notify(tenant, "张\n三")}
    assert (await api.post("/v1/messages", json=send, auth=tenant.auth)).status_code == 200


async def test_signatures_refuse_them(api: AsyncClient, ctx: Context, tenant: Tenant) -> None:
    before = await scalar(ctx, select(func.count()).select_from(Sign))
    for char in CONTROLS:
        form = {"sign": (None, "极光推送"), "remark": (None, f"公司{char}名称")}
        assert_error(await api.post("/v1/sign", files=form, auth=tenant.auth), 403, 50007)
        named = {"sign": (None, f"极光{char}推送")}
        assert_error(await api.post("/v1/sign", files=named, auth=tenant.auth), 403, 50104)
    assert await scalar(ctx, select(func.count()).select_from(Sign)) == before


@pytest.mark.parametrize("user", ["a\x00b", "x" * 10_000, "键"])
async def test_credentials_that_no_app_has(api: AsyncClient, user: str) -> None:
    token = base64.b64encode(f"{user}:secret".encode()).decode()
    response = await api.get("/v1/accounts/app", headers={"Authorization": f"Basic {token}"})
    assert_error(response, 401, 50002)
    dev = await api.get("/v1/accounts/dev", headers={"Authorization": f"Basic {token}"})
    assert_error(dev, 401, 50002)


async def test_lone_surrogates_are_an_invalid_body(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    para = '{"name": "\\ud800", "order": "1"}'
    body = f'{{"mobile": "13800138000", "temp_id": {tenant.notify_temp}, "temp_para": {para}}}'
    response = await api.post("/v1/messages", content=body.encode(), auth=tenant.auth)
    assert_error(response, 403, 50007)
    await nothing_written(ctx)


async def test_a_stored_schedule_holding_one_is_refused_when_due_not_retried(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    """A schedule stored before such text was refused: its recipient is refused when it is
    sent (and recorded so), the schedule is done, nothing is retried."""
    when = format_send_time(frozen_clock.now + 3_600_000, schedule_zone(ctx.settings))
    single = {"send_time": when, "mobile": MOBILE, **notify(tenant, "张三")}
    response = await api.post("/v1/schedule", json=single, auth=tenant.auth)
    schedule_id = response.json()["schedule_id"]
    stored = await scalar(ctx, select(Schedule.recipients))
    poisoned = stored.replace("张三", "张\\u0000三")
    statement = update(Schedule).where(Schedule.id == schedule_id).values(recipients=poisoned)
    await ctx.db.write(lambda conn: conn.execute(statement))
    frozen_clock.advance(3_600_000)
    assert await send_due_schedules(ctx) == 1
    assert await send_due_schedules(ctx) == 0
    assert await scalar(ctx, select(Schedule.status)) == "sent"
    assert '"error_code":50054' in (await scalar(ctx, select(Schedule.recipients))).replace(" ", "")
    for model in (Message, OutboxEntry):
        assert await scalar(ctx, select(func.count()).select_from(model)) == 0
