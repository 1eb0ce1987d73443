"""send_time at the edges of what a date can hold: refused with 50027 (never a 500) when it
cannot be kept, kept exactly when it can, for single and batch schedules alike."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate.context import Context
from smsgate.db.models import Schedule
from tests.api.helpers import assert_error, scalar
from tests.support.tenants import Tenant

PARAMS = {"name": "张三", "order": "A1"}
# Before now, or a UTC time outside years 1-9999 once converted, or no date at all.
REFUSED = [
    "0001-01-01 00:00:00",
    "0001-01-01 07:59:59",
    "0000-01-01 00:00:00",
    "1970-01-01 00:00:00",
    "1969-12-31 23:59:59",
    "2024-02-30 12:00:00",
    "9999-12-31 24:00:00",
    "10000-01-01 00:00:00",
    "9999-13-01 00:00:00",
]


def bodies(tenant: Tenant, when: str) -> tuple[dict[str, Any], dict[str, Any]]:
    single = {"send_time": when, "mobile": "13800138000", "temp_id": tenant.notify_temp}
    batch = {
        "send_time": when,
        "temp_id": tenant.notify_temp,
        "recipients": [{"mobile": "13800138000", "temp_para": PARAMS}],
    }
    return {**single, "temp_para": PARAMS}, batch


async def test_send_times_no_schedule_can_keep(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    for when in REFUSED:
        single, batch = bodies(tenant, when)
        assert_error(await api.post("/v1/schedule", json=single, auth=tenant.auth), 403, 50027)
        answer = await api.post("/v1/schedule/batch", json=batch, auth=tenant.auth)
        assert_error(answer, 403, 50027)
    assert await scalar(ctx, select(func.count()).select_from(Schedule)) == 0


async def test_the_last_second_of_year_9999_is_kept_and_shown(
    api: AsyncClient, tenant: Tenant
) -> None:
    single, batch = bodies(tenant, "9999-12-31 23:59:59")
    for url, body in (("/v1/schedule", single), ("/v1/schedule/batch", batch)):
        response = await api.post(url, json=body, auth=tenant.auth)
        assert response.status_code == 200, response.text
        schedule_id = response.json()["schedule_id"]
        shown = await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)
        assert shown.json()["send_time"] == "9999-12-31 23:59:59"
    existing = (await api.post("/v1/schedule", json=single, auth=tenant.auth)).json()
    single["send_time"] = "0001-01-01 00:00:00"
    changed = await api.put(
        f"/v1/schedule/{existing['schedule_id']}", json=single, auth=tenant.auth
    )
    assert_error(changed, 403, 50027)


@pytest.mark.parametrize("settings_overrides", [{"schedule_timezone": "America/New_York"}])
async def test_west_of_greenwich_the_end_of_9999_is_year_10000(
    api: AsyncClient, tenant: Tenant
) -> None:
    single, batch = bodies(tenant, "9999-12-31 23:59:59")
    assert_error(await api.post("/v1/schedule", json=single, auth=tenant.auth), 403, 50027)
    assert_error(await api.post("/v1/schedule/batch", json=batch, auth=tenant.auth), 403, 50027)
    single["send_time"] = "9999-12-31 12:00:00"
    assert (await api.post("/v1/schedule", json=single, auth=tenant.auth)).status_code == 200
