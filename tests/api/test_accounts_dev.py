"""GET /v1/accounts/dev (jsms-api.md §2.20, §1.2, §7 A25): the developer's own pool, opened
only by devKey:devSecret, a separate identity from every app."""

import base64

import pytest
from httpx import AsyncClient

from smsgate.apps.service import create_app as create_account
from smsgate.context import Context
from smsgate.devs.service import NewDev, create_dev, top_up, transfer
from tests.api.helpers import assert_error
from tests.support.tenants import Tenant

PATH = "/v1/accounts/dev"


@pytest.fixture
async def dev(ctx: Context) -> NewDev:
    return await create_dev(ctx.db, "studio")


def dev_auth(new: NewDev) -> tuple[str, str]:
    return (new.account.dev_key, new.dev_secret)


async def test_new_developer_has_nothing_allocated(api: AsyncClient, dev: NewDev) -> None:
    response = await api.get(PATH, auth=dev_auth(dev))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "dev_balance": None,
        "dev_voice": None,
        "dev_industry": None,
        "dev_market": None,
    }


async def test_pool_after_top_up_and_transfer(api: AsyncClient, ctx: Context, dev: NewDev) -> None:
    await top_up(ctx.db, dev.account.dev_key, {"balance": 100, "voice": 5})
    owned = await create_account(ctx.db, "shop", dev_id=dev.account.id)
    await transfer(ctx.db, dev.account.dev_key, owned.account.app_key, {"balance": 30})
    body = (await api.get(PATH, auth=dev_auth(dev))).json()
    assert body == {"dev_balance": 70, "dev_voice": 5, "dev_industry": None, "dev_market": None}
    for value in body.values():
        assert value is None or type(value) is int
    app_auth = (owned.account.app_key, owned.master_secret)
    app_body = (await api.get("/v1/accounts/app", auth=app_auth)).json()
    assert app_body["app_balance"] == 30 and app_body["app_voice"] is None


async def test_missing_and_wrong_credentials(api: AsyncClient, dev: NewDev) -> None:
    assert_error(await api.get(PATH), 400, 50001)
    assert_error(await api.get(PATH, auth=(dev.account.dev_key, "0" * 24)), 401, 50002)
    assert_error(await api.get(PATH, auth=("0" * 24, dev.dev_secret)), 401, 50002)
    garbage = {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}
    assert_error(await api.get(PATH, headers=garbage), 401, 50002)


async def test_app_credentials_do_not_open_the_dev_account(
    api: AsyncClient, tenant: Tenant, dev: NewDev
) -> None:
    assert_error(await api.get(PATH, auth=tenant.auth), 401, 50002)
    # The developer's key with an app's secret, and the reverse, are no better.
    assert_error(await api.get(PATH, auth=(dev.account.dev_key, tenant.secret)), 401, 50002)


async def test_dev_credentials_do_not_open_app_endpoints(
    api: AsyncClient, tenant: Tenant, dev: NewDev
) -> None:
    assert_error(await api.get("/v1/accounts/app", auth=dev_auth(dev)), 401, 50002)
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    assert_error(await api.post("/v1/codes", json=body, auth=dev_auth(dev)), 401, 50002)
    assert_error(
        await api.get("/v1/accounts/app", auth=(tenant.app_key, dev.dev_secret)), 401, 50002
    )


async def test_wrong_method_is_50018(api: AsyncClient, dev: NewDev) -> None:
    assert_error(await api.post(PATH, auth=dev_auth(dev)), 405, 50018)
