"""Limits, quotas and verification stay exact when many requests race.

On PostgreSQL these run as truly concurrent transactions on separate pooled connections; on
SQLite the write lock serialises them; with Redis the limiter's Lua script decides.
"""

import asyncio

import pytest
from httpx import AsyncClient, Response

from smsgate.context import Context
from tests.api.helpers import code_in, inbox
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

BURST = 50


pytestmark = pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"code_limits": "7/3600", "notification_limits": ""}


def outcomes(responses: list[Response]) -> tuple[int, list[int]]:
    ok = sum(r.status_code == 200 for r in responses)
    errors = sorted({r.json()["error"]["code"] for r in responses if r.status_code != 200})
    return ok, errors


async def test_burst_to_one_number_passes_exactly_the_limit(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    responses = await asyncio.gather(
        *(api.post("/v1/codes", json=body, auth=tenant.auth) for _ in range(BURST))
    )
    assert outcomes(list(responses)) == (7, [50009])
    await worker.run_until_idle()
    assert len(await inbox(ctx)) == 7


async def test_burst_against_a_quota_succeeds_exactly_quota_times(
    api: AsyncClient, ctx: Context
) -> None:
    paid = await make_tenant(ctx, quotas={"industry": 13})
    para = {"name": "x", "order": "y"}
    bodies = [
        {"mobile": f"138001{i:05d}", "temp_id": paid.notify_temp, "temp_para": para}
        for i in range(BURST)
    ]
    responses = await asyncio.gather(
        *(api.post("/v1/messages", json=body, auth=paid.auth) for body in bodies)
    )
    assert outcomes(list(responses)) == (13, [50014])
    balance = await api.get("/v1/accounts/app", auth=paid.auth)
    assert balance.json()["app_industry"] == 0


async def delivered_code(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> tuple[str, str]:
    """(msg_id, code) of a code sent and delivered to the sandbox."""
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    msg_id = (await api.post("/v1/codes", json=body, auth=tenant.auth)).json()["msg_id"]
    await worker.run_until_idle()
    return msg_id, code_in((await inbox(ctx))[0].text)


async def test_parallel_verifies_of_one_code_succeed_once(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    msg_id, code = await delivered_code(api, ctx, tenant, worker)
    responses = await asyncio.gather(
        *(
            api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
            for _ in range(BURST)
        )
    )
    assert outcomes(list(responses)) == (1, [50012])


async def test_parallel_wrong_guesses_cannot_exceed_five(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    msg_id, code = await delivered_code(api, ctx, tenant, worker)
    guesses = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, BURST + 1)]
    responses = await asyncio.gather(
        *(
            api.post(f"/v1/codes/{msg_id}/valid", json={"code": guess}, auth=tenant.auth)
            for guess in guesses
        )
    )
    codes = [r.json()["error"]["code"] for r in responses]
    assert codes.count(50010) == 5  # counted wrong tries; the rest find the code burned
    assert codes.count(50011) == BURST - 5
    late = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert late.json()["error"]["code"] == 50011
