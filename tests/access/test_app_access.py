"""Access policy on every call (jsms-api.md §3): blacklisted apps (50036) and IP allowlists
(50035), with the client found behind trusted proxies."""

from collections.abc import AsyncIterator

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate.app import create_app
from smsgate.apps.service import find_app, set_access
from smsgate.context import Context
from smsgate.db.models import Message
from smsgate.errors import JsmsError
from smsgate.messages.service import send_template_message
from tests.api.helpers import assert_error, scalar
from tests.support.tenants import Tenant

PARAMS = {"name": "张三", "order": "A1001"}
MOBILE = "13800138000"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Changes to an app must show at once here; the cache bound has a test of its own.
    return {"auth_cache_seconds": 0.0}


def notify(tenant: Tenant, **para: str) -> dict[str, object]:
    return {"mobile": MOBILE, "temp_id": tenant.notify_temp, "temp_para": {**PARAMS, **para}}


async def message_count(ctx: Context) -> int:
    return int(await scalar(ctx, select(func.count()).select_from(Message)))


async def client_from(ctx: Context, address: str) -> AsyncIterator[AsyncClient]:
    app = create_app(ctx.settings, ctx)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://smsgate") as client:
        yield client


# --- 50036 blacklisted app ---------------------------------------------------------------------


async def test_blocked_app_is_refused_everywhere(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_access(ctx.db, tenant.app_key, blocked=True)
    calls = [
        api.post("/v1/messages", json=notify(tenant), auth=tenant.auth),
        api.post(
            "/v1/codes", json={"mobile": MOBILE, "temp_id": tenant.code_temp}, auth=tenant.auth
        ),
        api.post("/v1/voice_codes", json={"mobile": MOBILE}, auth=tenant.auth),
        api.get("/v1/accounts/app", auth=tenant.auth),
        api.get(f"/v1/templates/{tenant.notify_temp}", auth=tenant.auth),
        api.get("/v1/report", auth=tenant.auth),
    ]
    for call in calls:
        assert_error(await call, 403, 50036)
    assert await message_count(ctx) == 0
    await set_access(ctx.db, tenant.app_key, blocked=False)
    assert (
        await api.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
    ).status_code == 200


async def test_wrong_secret_of_a_blocked_app_is_still_an_auth_failure(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_access(ctx.db, tenant.app_key, blocked=True)
    response = await api.post("/v1/messages", json=notify(tenant), auth=(tenant.app_key, "x" * 24))
    assert_error(response, 401, 50002)


async def test_sends_without_a_request_are_refused_for_a_blocked_app(
    ctx: Context, tenant: Tenant
) -> None:
    """A due schedule is sent by the server itself: the block holds there too."""
    await set_access(ctx.db, tenant.app_key, blocked=True)
    app = await find_app(ctx.db, tenant.app_key)
    with pytest.raises(JsmsError) as refused:
        await send_template_message(
            ctx, app, mobile=MOBILE, temp_id=tenant.notify_temp, sign_id=None, temp_para=PARAMS
        )
    assert refused.value.code == 50036


# --- 50035 IP allowlist ------------------------------------------------------------------------


async def test_allowlist_admits_listed_networks_only(ctx: Context, tenant: Tenant) -> None:
    await set_access(ctx.db, tenant.app_key, allowed_ips="203.0.113.0/24,2001:db8::/32")
    async for inside in client_from(ctx, "203.0.113.7"):
        response = await inside.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
        assert response.status_code == 200, response.text
    async for v6 in client_from(ctx, "2001:db8::5"):
        response = await v6.post(
            "/v1/voice_codes", json={"mobile": "13800138009"}, auth=tenant.auth
        )
        assert response.status_code == 200, response.text
    async for outside in client_from(ctx, "198.51.100.1"):
        response = await outside.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
        assert_error(response, 403, 50035)
        codes = {"mobile": MOBILE, "temp_id": tenant.code_temp}
        assert_error(await outside.post("/v1/codes", json=codes, auth=tenant.auth), 403, 50035)
    await set_access(ctx.db, tenant.app_key, allowed_ips="")
    async for anywhere in client_from(ctx, "198.51.100.1"):
        body = notify(tenant, order="B2")
        assert (await anywhere.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200


async def test_forwarded_for_counts_only_from_trusted_proxies(ctx: Context, tenant: Tenant) -> None:
    await set_access(ctx.db, tenant.app_key, allowed_ips="203.0.113.7")
    forged = {"X-Forwarded-For": "203.0.113.7"}
    async for direct in client_from(ctx, "198.51.100.1"):
        response = await direct.get("/v1/accounts/app", auth=tenant.auth, headers=forged)
        assert_error(response, 403, 50035)
    ctx.settings = ctx.settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"})
    async for proxied in client_from(ctx, "10.1.1.1"):
        through = {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=through)
        assert_error(response, 403, 50033)  # past the allowlist: this app has no quota
        other = {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=other)
        assert_error(response, 403, 50035)


@pytest.mark.parametrize(
    ("header", "claim"),
    [
        ("x-forwarded-for", {"X-Forwarded-For": "203.0.113.7"}),
        ("x-real-ip", {"X-Real-IP": "203.0.113.7"}),
        ("forwarded", {"Forwarded": 'for="203.0.113.7:5000"'}),
    ],
)
async def test_a_trusted_proxy_names_the_client_only_in_its_own_header(
    ctx: Context, tenant: Tenant, header: str, claim: dict[str, str]
) -> None:
    """A proxy passes on any header it does not write itself, as the client sent it."""
    await set_access(ctx.db, tenant.app_key, allowed_ips="203.0.113.7")
    ctx.settings = ctx.settings.model_copy(
        update={"trusted_proxies": "10.0.0.0/8", "trusted_proxy_header": header}
    )
    every_claim = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Real-IP": "203.0.113.7",
        "Forwarded": "for=203.0.113.7",
    }
    others = {name: value for name, value in every_claim.items() if name not in claim}
    async for proxied in client_from(ctx, "10.1.1.1"):
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=claim)
        assert_error(response, 403, 50033)  # past the allowlist: this app has no quota
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=others)
        assert_error(response, 403, 50035)
    async for direct in client_from(ctx, "198.51.100.1"):
        response = await direct.get("/v1/accounts/app", auth=tenant.auth, headers=claim)
        assert_error(response, 403, 50035)
