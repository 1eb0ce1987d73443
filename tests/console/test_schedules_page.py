"""The schedules page: pending, sent and cancelled schedules by app, status and send time, in
pages; one schedule; cancelling one through the rules of DELETE /v1/schedule/{id}, audited."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smsgate.context import Context
from smsgate.db.models import Schedule
from smsgate.messages.schedules.send_time import format_send_time, schedule_zone
from tests.api.helpers import rows
from tests.console.pages import field_time, listed, small_pages
from tests.console.signing_in import add_operator, csrf_of, sign_in
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant, make_tenant

HOUR = 3_600_000


@pytest.fixture
async def operator(ctx: Context, api: httpx.AsyncClient) -> str:
    await add_operator(ctx)
    assert (await sign_in(api, "ops")).status_code == 303
    return "ops"


async def schedule(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, at: int, mobile: str = "13800138000"
) -> str:
    body: dict[str, Any] = {
        "send_time": format_send_time(at, schedule_zone(ctx.settings)),
        "mobile": mobile,
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "张三", "order": "A1"},
    }
    response = await api.post("/v1/schedule", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["schedule_id"])


async def test_schedules_are_found_by_app_status_and_send_time_in_pages(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    operator: str,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = await make_tenant(ctx)
    now = frozen_clock.now - frozen_clock.now % 60_000
    mine = [await schedule(api, ctx, tenant, now + n * HOUR) for n in (1, 2, 3)]
    theirs = await schedule(api, ctx, other, now + 4 * HOUR)
    newest_first = [theirs, *reversed(mine)]
    assert listed(await api.get("/console/schedules"), "schedule") == newest_first
    by_app = await api.get("/console/schedules", params={"app": tenant.app_key})
    assert listed(by_app, "schedule") == list(reversed(mine))
    unknown_app = await api.get("/console/schedules", params={"app": "no-such-app"})
    assert listed(unknown_app, "schedule") == []
    later = {"since": field_time(now + 2 * HOUR + 30 * 60_000)}
    assert listed(await api.get("/console/schedules", params=later), "schedule") == [
        theirs,
        mine[2],
    ]
    window = {"since": field_time(now + 2 * HOUR), "until": field_time(now + 3 * HOUR)}
    assert listed(await api.get("/console/schedules", params=window), "schedule") == [mine[1]]
    assert listed(await api.get("/console/schedules?status=sent"), "schedule") == []

    small_pages(monkeypatch, 3)
    first = await api.get("/console/schedules", params={"status": "pending"})
    assert listed(first, "schedule") == newest_first[:3]
    assert 'id="next-page"' in first.text and "status=pending" in first.text
    second = await api.get("/console/schedules", params={"status": "pending", "page": "2"})
    assert listed(second, "schedule") == newest_first[3:]
    assert 'id="next-page"' not in second.text


async def test_a_schedule_is_cancelled_once_audited_and_a_second_cancel_is_refused(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    operator: str,
    frozen_clock: FrozenClock,
) -> None:
    schedule_id = await schedule(api, ctx, tenant, frozen_clock.now + HOUR, "13900139000")
    page = await api.get(f"/console/schedules/{schedule_id}")
    assert page.status_code == 200
    assert 'data-status="pending"' in page.text and "13900139000" in page.text
    assert tenant.app_key in page.text and 'id="cancel-schedule"' in page.text
    token = csrf_of(page.text)

    cancelled = await api.post(f"/console/schedules/{schedule_id}/cancel", data={"csrf": token})
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/console/schedules/{schedule_id}"
    after = await api.get(f"/console/schedules/{schedule_id}")
    assert 'data-status="deleted"' in after.text and 'id="cancel-schedule"' not in after.text
    gone = await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)
    assert gone.json()["error"]["code"] == 50028  # for the app it is deleted, as by its DELETE

    again = await api.post(f"/console/schedules/{schedule_id}/cancel", data={"csrf": token})
    assert again.status_code == 403
    assert "50029" in again.text and "wrong schedule status" in again.text
    audit = await api.get("/console/audit")
    assert audit.text.count("cancel_schedule") == 1
    assert f"schedule {schedule_id}" in audit.text and f"app={tenant.app_key}" in audit.text
    deleted = await api.get("/console/schedules", params={"status": "deleted"})
    assert listed(deleted, "schedule") == [schedule_id]


async def test_a_cancel_without_the_session_token_is_refused_and_changes_nothing(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    operator: str,
    frozen_clock: FrozenClock,
) -> None:
    schedule_id = await schedule(api, ctx, tenant, frozen_clock.now + HOUR)
    for data in ({}, {"csrf": "not-the-token"}):
        answer = await api.post(f"/console/schedules/{schedule_id}/cancel", data=data)
        assert answer.status_code == 403 and "expired" in answer.text
    assert [row.status for row in await rows(ctx, select(Schedule.status))] == ["pending"]
    assert "cancel_schedule" not in (await api.get("/console/audit")).text


async def test_an_unknown_schedule_is_not_found(api: httpx.AsyncClient, operator: str) -> None:
    assert (await api.get("/console/schedules/nope")).status_code == 404
    page = await api.get("/console/overview")
    answer = await api.post("/console/schedules/nope/cancel", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 403 and "50028" in answer.text
