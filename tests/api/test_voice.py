"""POST /v1/voice_codes: a code read out by a call; verifiable like a text code."""

import pytest
from httpx import AsyncClient

from smsgate.context import Context
from tests.api.helpers import assert_error, inbox
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant


async def test_caller_code_is_spoken_and_verifiable(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {"mobile": "13800138000", "code": "039482", "voice_lang": 1, "ttl": 30}
    response = await api.post("/v1/voice_codes", json=body, auth=tenant.auth)
    assert response.status_code == 200
    msg_id = response.json()["msg_id"]
    await worker.run_until_idle()
    [entry] = await inbox(ctx)
    assert entry.channel == "voice"
    assert entry.text.count("0 3 9 4 8 2") == 2
    assert entry.text.startswith("Your verification code is")
    ok = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": "039482"}, auth=tenant.auth)
    assert ok.json() == {"is_valid": True}


async def test_generated_code_default_ttl_sixty_seconds(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    frozen_clock: FrozenClock,
) -> None:
    response = await api.post("/v1/voice_codes", json={"mobile": 13800138000}, auth=tenant.auth)
    msg_id = response.json()["msg_id"]
    await worker.run_until_idle()
    [entry] = await inbox(ctx)
    assert entry.text.startswith("您的验证码是")  # voice_lang defaults to Mandarin
    code = "".join(entry.text.split("，")[0].removeprefix("您的验证码是").split())
    assert len(code) == 6 and code.isdigit()
    frozen_clock.advance(60_000)
    late = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert_error(late, 403, 50011)


async def test_mixed_language_speaks_both(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {"mobile": "13800138000", "code": "1234", "voice_lang": "2"}
    assert (await api.post("/v1/voice_codes", json=body, auth=tenant.auth)).status_code == 200
    await worker.run_until_idle()
    [entry] = await inbox(ctx)
    assert "您的验证码是 1 2 3 4" in entry.text
    assert "Your verification code is 1 2 3 4" in entry.text


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"code": "12a4"}, 50039),
        ({"code": "12.5"}, 50039),
        ({"code": "123"}, 50038),
        ({"code": "123456789"}, 50038),
        ({"voice_lang": 3}, 50040),
        ({"voice_lang": -1}, 50040),
        ({"voice_lang": "zh"}, 50040),
        ({"ttl": 0}, 50041),
        ({"ttl": 86_401}, 50041),
        ({"ttl": "soon"}, 50041),
    ],
)
async def test_invalid_fields(
    api: AsyncClient, tenant: Tenant, body: dict[str, object], code: int
) -> None:
    response = await api.post(
        "/v1/voice_codes", json={"mobile": "13800138000", **body}, auth=tenant.auth
    )
    assert_error(response, 403, code)


async def test_one_voice_code_per_twenty_seconds(
    api: AsyncClient, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    body = {"mobile": "13800138000"}
    assert (await api.post("/v1/voice_codes", json=body, auth=tenant.auth)).status_code == 200
    assert_error(await api.post("/v1/voice_codes", json=body, auth=tenant.auth), 403, 50009)
    frozen_clock.advance(20_001)
    assert (await api.post("/v1/voice_codes", json=body, auth=tenant.auth)).status_code == 200


async def test_missing_mobile(api: AsyncClient, tenant: Tenant) -> None:
    response = await api.post("/v1/voice_codes", json={"ttl": 60}, auth=tenant.auth)
    assert_error(response, 400, 50004)
