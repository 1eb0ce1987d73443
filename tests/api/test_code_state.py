"""GET /v1/codes/{msg_id} (an extension): pending, verified, expired or burned, the tries left,
when it expires, and where and how it was delivered; the app's own codes only (else 50026)."""

from datetime import UTC, datetime

from httpx import AsyncClient

from smsgate.context import Context
from tests.api.helpers import assert_error
from tests.api.test_verify import delivered_code, send_code, wrong
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

TTL_MS = 300_000


async def state(api: AsyncClient, tenant: Tenant, msg_id: str) -> dict[str, object]:
    response = await api.get(f"/v1/codes/{msg_id}", auth=tenant.auth)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def test_a_code_from_pending_to_verified(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    frozen_clock: FrozenClock,
    backend: str,
) -> None:
    msg_id = await send_code(api, tenant)
    assert await state(api, tenant, msg_id) == {
        "status": "pending",
        "attempts_left": 5,
        "expires_at": iso(frozen_clock.now + TTL_MS),
        "channel": "sms",
        "delivery_status": None,
    }
    code = await delivered_code(ctx, worker, msg_id)
    assert (await state(api, tenant, msg_id))["delivery_status"] == 4001
    await api.post(f"/v1/codes/{msg_id}/valid", json={"code": wrong(code)}, auth=tenant.auth)
    assert (await state(api, tenant, msg_id))["attempts_left"] == 4
    await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    shown = await state(api, tenant, msg_id)
    assert (shown["status"], shown["attempts_left"]) == ("verified", 0)


async def test_expired_and_burned(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery, frozen_clock: FrozenClock
) -> None:
    burned = await send_code(api, tenant, "13800138001")
    code = await delivered_code(ctx, worker, burned)
    for _ in range(5):
        await api.post(f"/v1/codes/{burned}/valid", json={"code": wrong(code)}, auth=tenant.auth)
    assert (await state(api, tenant, burned))["status"] == "burned"
    expiring = await send_code(api, tenant, "13800138002")
    frozen_clock.advance(TTL_MS - 1)
    assert (await state(api, tenant, expiring))["status"] == "pending"
    frozen_clock.advance(1)
    shown = await state(api, tenant, expiring)
    assert (shown["status"], shown["attempts_left"]) == ("expired", 0)


async def test_a_voice_code_goes_by_voice(api: AsyncClient, tenant: Tenant) -> None:
    body = {"mobile": "13800138000", "code": "4321", "ttl": 90}
    msg_id = (await api.post("/v1/voice_codes", json=body, auth=tenant.auth)).json()["msg_id"]
    shown = await state(api, tenant, msg_id)
    assert (shown["channel"], shown["status"]) == ("voice", "pending")


async def test_only_the_apps_own_codes(
    api: AsyncClient, ctx: Context, tenant: Tenant, backend: str
) -> None:
    msg_id = await send_code(api, tenant)
    other = await make_tenant(ctx)
    assert_error(await api.get(f"/v1/codes/{msg_id}", auth=other.auth), 403, 50026)
    note = {
        "mobile": "13800138000",
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "a", "order": "b"},
    }
    notification = (await api.post("/v1/messages", json=note, auth=tenant.auth)).json()["msg_id"]
    assert_error(await api.get(f"/v1/codes/{notification}", auth=tenant.auth), 403, 50026)
    for unknown in ("nope", "x" * 300):
        assert_error(await api.get(f"/v1/codes/{unknown}", auth=tenant.auth), 403, 50026)
    assert (await api.get(f"/v1/codes/{msg_id}")).status_code == 400  # 50001: no credentials
