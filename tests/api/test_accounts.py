"""GET /v1/accounts/app and how sends use the quotas."""

from httpx import AsyncClient

from smsgate.apps.service import top_up
from smsgate.context import Context
from tests.api.helpers import assert_error
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "李四", "order": "B2"}


async def balances(api: AsyncClient, tenant: Tenant) -> dict[str, int | None]:
    response = await api.get("/v1/accounts/app", auth=tenant.auth)
    assert response.status_code == 200, response.text
    body: dict[str, int | None] = response.json()
    return body


async def test_unmetered_app_has_no_quota_assigned(api: AsyncClient, tenant: Tenant) -> None:
    assert_error(await api.get("/v1/accounts/app", auth=tenant.auth), 403, 50033)


async def test_balances_shape_and_debit(api: AsyncClient, ctx: Context) -> None:
    paid = await make_tenant(ctx, quotas={"balance": 10, "voice": 2})
    assert await balances(api, paid) == {
        "app_balance": 10,
        "app_voice": 2,
        "app_industry": None,
        "app_market": None,
    }
    body = {"mobile": "13800138000", "temp_id": paid.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=paid.auth)).status_code == 200
    voice = {"mobile": "13800138001"}
    assert (await api.post("/v1/voice_codes", json=voice, auth=paid.auth)).status_code == 200
    after = await balances(api, paid)
    assert (after["app_balance"], after["app_voice"]) == (9, 1)


async def test_category_first_then_all_purpose_balance(api: AsyncClient, ctx: Context) -> None:
    paid = await make_tenant(ctx, quotas={"balance": 1, "industry": 1})
    for mobile in ("13800138000", "13800138001"):
        body = {"mobile": mobile, "temp_id": paid.code_temp}
        assert (await api.post("/v1/codes", json=body, auth=paid.auth)).status_code == 200
    after = await balances(api, paid)
    assert (after["app_industry"], after["app_balance"]) == (0, 0)
    body = {"mobile": "13800138002", "temp_id": paid.code_temp}
    assert_error(await api.post("/v1/codes", json=body, auth=paid.auth), 403, 50014)


async def test_long_message_costs_one_unit_per_part(api: AsyncClient, ctx: Context) -> None:
    paid = await make_tenant(ctx, quotas={"industry": 10})
    para = {"name": "王" * 60, "order": "C3"}  # 【smsgate】 + 80 Chinese characters: 2 parts
    body = {"mobile": "13800138000", "temp_id": paid.notify_temp, "temp_para": para}
    assert (await api.post("/v1/messages", json=body, auth=paid.auth)).status_code == 200
    assert (await balances(api, paid))["app_industry"] == 8


async def test_no_money(api: AsyncClient, ctx: Context) -> None:
    broke = await make_tenant(ctx, quotas={"industry": 0})
    body = {"mobile": "13800138000", "temp_id": broke.notify_temp, "temp_para": PARAMS}
    assert_error(await api.post("/v1/messages", json=body, auth=broke.auth), 403, 50014)
    await top_up(ctx.db, broke.app_key, {"industry": 1})
    assert (await api.post("/v1/messages", json=body, auth=broke.auth)).status_code == 200
    assert_error(await api.post("/v1/messages", json=body, auth=broke.auth), 403, 50014)


async def test_refused_message_gives_its_units_back(
    api: AsyncClient, ctx: Context, worker: Delivery
) -> None:
    paid = await make_tenant(ctx, quotas={"industry": 5})
    body = {"mobile": "17000004000", "temp_id": paid.notify_temp, "temp_para": PARAMS}
    assert (await api.post("/v1/messages", json=body, auth=paid.auth)).status_code == 200
    assert (await balances(api, paid))["app_industry"] == 4
    await worker.run_until_idle()
    assert (await balances(api, paid))["app_industry"] == 5


async def test_failed_frequency_check_costs_nothing(api: AsyncClient, ctx: Context) -> None:
    paid = await make_tenant(ctx, quotas={"industry": 5})
    body = {"mobile": "13800138000", "temp_id": paid.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=paid.auth)).status_code == 200
    assert_error(await api.post("/v1/codes", json=body, auth=paid.auth), 403, 50009)
    assert (await balances(api, paid))["app_industry"] == 4
