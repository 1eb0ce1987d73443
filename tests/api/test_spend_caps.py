"""Spend caps: refused at the cap with a clear error, alerted once per window, cleared by the
next window, and exact under parallel sends from two processes' worth of connections."""

import asyncio

import httpx
from httpx import AsyncClient, Response
from structlog.testing import capture_logs

from smsgate.app import create_app
from smsgate.context import Context, open_context
from smsgate.fraud import service as fraud_service
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

PARAMS = {"name": "张三", "order": "A1001"}
HOUR = 3600_000
BURST = 40
CAP = 13


def notification(tenant: Tenant, n: int) -> dict[str, object]:
    return {"mobile": f"138001{n:05d}", "temp_id": tenant.notify_temp, "temp_para": PARAMS}


async def send(api: AsyncClient, tenant: Tenant, n: int) -> Response:
    return await api.post("/v1/messages", json=notification(tenant, n), auth=tenant.auth)


CAP_REACHED = {"error": {"code": 50231, "message": "spend cap reached: hourly cap"}}


async def test_the_cap_refuses_alerts_once_and_clears_next_hour(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    frozen_clock.now -= frozen_clock.now % HOUR  # the start of a clock hour
    await fraud_service.update_policy(ctx.db, ctx.settings, tenant.app_key, hourly_cap="3")
    assert [(await send(api, tenant, n)).status_code for n in range(3)] == [200] * 3
    with capture_logs() as logs:
        for n in range(3, 5):
            answer = await send(api, tenant, n)
            assert (answer.status_code, answer.json()) == (403, CAP_REACHED)
    alerts = [entry for entry in logs if entry["event"] == "spend cap reached"]
    assert len(alerts) == 1 and alerts[0]["log_level"] == "warning"
    assert (alerts[0]["cap"], alerts[0]["limit"]) == ("hourly cap", 3)
    frozen_clock.advance(HOUR)
    assert (await send(api, tenant, 5)).status_code == 200


async def test_a_country_cap_counts_only_that_country(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await fraud_service.update_policy(
        ctx.db,
        ctx.settings,
        tenant.app_key,
        allowed_countries="CN,HK",
        country_caps="HK=-/1",
    )
    body = {"mobile": "+85291234567", "temp_id": tenant.notify_temp, "temp_para": PARAMS}
    assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200
    body["mobile"] = "+85291234568"
    again = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert again.json() == {"error": {"code": 50231, "message": "spend cap reached: daily cap HK"}}
    assert (await send(api, tenant, 1)).status_code == 200


async def test_parallel_sends_from_two_processes_pass_exactly_the_cap(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """Two contexts with their own connections, as two server processes would have."""
    await fraud_service.update_policy(ctx.db, ctx.settings, tenant.app_key, daily_cap=str(CAP))
    other = open_context(ctx.settings)
    transport = httpx.ASGITransport(app=create_app(other.settings, other))
    try:
        async with AsyncClient(transport=transport, base_url="http://smsgate") as second:
            clients = (api, second)
            answers = await asyncio.gather(*(send(clients[n % 2], tenant, n) for n in range(BURST)))
    finally:
        await other.close()
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == CAP
    assert {a.json()["error"]["code"] for a in answers if a.status_code != 200} == {50231}
