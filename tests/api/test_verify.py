"""POST /v1/codes/{msg_id}/valid: once, within the ttl, at most five wrong tries, own codes only."""

import pytest
from httpx import AsyncClient

from smsgate.context import Context
from tests.api.helpers import assert_error, code_in, inbox
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant


async def send_code(api: AsyncClient, tenant: Tenant, mobile: str = "13800138000") -> str:
    body = {"mobile": mobile, "temp_id": tenant.code_temp}
    response = await api.post("/v1/codes", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["msg_id"])


async def delivered_code(ctx: Context, worker: Delivery, msg_id: str) -> str:
    await worker.run_until_idle()
    [entry] = [e for e in await inbox(ctx) if e.msg_id == msg_id]
    return code_in(entry.text)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_correct_code_is_valid_exactly_once(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    msg_id = await send_code(api, tenant)
    code = await delivered_code(ctx, worker, msg_id)
    first = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert first.status_code == 200
    assert first.json() == {"is_valid": True}
    again = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert_error(again, 403, 50012)
    assert again.json()["is_valid"] is False


async def test_wrong_code(api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery) -> None:
    msg_id = await send_code(api, tenant)
    code = await delivered_code(ctx, worker, msg_id)
    response = await api.post(
        f"/v1/codes/{msg_id}/valid", json={"code": wrong(code)}, auth=tenant.auth
    )
    assert_error(response, 403, 50010)
    assert response.json()["is_valid"] is False
    right = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert right.json() == {"is_valid": True}


async def test_five_wrong_tries_burn_the_code(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    msg_id = await send_code(api, tenant)
    code = await delivered_code(ctx, worker, msg_id)
    for _ in range(5):
        response = await api.post(
            f"/v1/codes/{msg_id}/valid", json={"code": wrong(code)}, auth=tenant.auth
        )
        assert_error(response, 403, 50010)
    burned = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert_error(burned, 403, 50011)


@pytest.mark.parametrize(("age_ms", "valid"), [(299_999, True), (300_000, False)])
async def test_code_lives_exactly_the_template_ttl(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    frozen_clock: FrozenClock,
    age_ms: int,
    valid: bool,
) -> None:
    msg_id = await send_code(api, tenant)
    code = await delivered_code(ctx, worker, msg_id)
    frozen_clock.advance(age_ms)  # the template's ttl is 300 s
    response = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    if valid:
        assert response.json() == {"is_valid": True}
    else:
        assert_error(response, 403, 50011)


async def test_unknown_msg_id(api: AsyncClient, tenant: Tenant) -> None:
    for msg_id in ("06890980-6789-4054-bba9-90fb66ab2fce", "x" * 200, "288193860302"):
        response = await api.post(
            f"/v1/codes/{msg_id}/valid", json={"code": "123456"}, auth=tenant.auth
        )
        assert_error(response, 403, 50026)
        assert response.json()["is_valid"] is False


async def test_another_apps_code_does_not_exist(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    msg_id = await send_code(api, tenant)
    code = await delivered_code(ctx, worker, msg_id)
    intruder = await make_tenant(ctx)
    response = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=intruder.auth)
    assert_error(response, 403, 50026)
    # ...and the intruder's try did not use up the owner's code.
    owner = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert owner.json() == {"is_valid": True}


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": None}, {"other": "123456"}])
async def test_missing_code(api: AsyncClient, tenant: Tenant, body: dict[str, object]) -> None:
    msg_id = await send_code(api, tenant)
    response = await api.post(f"/v1/codes/{msg_id}/valid", json=body, auth=tenant.auth)
    assert_error(response, 400, 50015)


async def test_code_sent_as_number_is_compared_as_text(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {"mobile": "13800138000", "code": 48213}  # as the C# SDK sends it
    response = await api.post("/v1/voice_codes", json=body, auth=tenant.auth)
    msg_id = response.json()["msg_id"]
    verify = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": 48213}, auth=tenant.auth)
    assert verify.json() == {"is_valid": True}


NOT_A_CODE: list[object] = [[], {}, True, False, 576741.0, [576741], {"code": "576741"}]


async def test_a_value_no_code_can_be_is_a_wrong_code_after_the_msg_id(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    unknown = "06890980-6789-4054-bba9-90fb66ab2fce"
    for value in NOT_A_CODE:
        response = await api.post(
            f"/v1/codes/{unknown}/valid", json={"code": value}, auth=tenant.auth
        )
        assert_error(response, 403, 50026)
        assert response.json()["is_valid"] is False
    msg_id = await send_code(api, tenant)
    code = await delivered_code(ctx, worker, msg_id)
    for value in NOT_A_CODE[:4]:
        response = await api.post(
            f"/v1/codes/{msg_id}/valid", json={"code": value}, auth=tenant.auth
        )
        assert_error(response, 403, 50010)
        assert response.json()["is_valid"] is False
    right = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert right.json() == {"is_valid": True}


async def test_every_failed_verify_says_is_valid_false(api: AsyncClient, tenant: Tenant) -> None:
    msg_id = await send_code(api, tenant)
    url = f"/v1/codes/{msg_id}/valid"
    answers = {
        50001: await api.post(url, json={"code": "123456"}),
        50002: await api.post(url, json={"code": "123456"}, auth=(tenant.app_key, "x" * 24)),
        50003: await api.post(url, content=b"", auth=tenant.auth),
        50007: await api.post(url, content=b"[1]", auth=tenant.auth),
        50015: await api.post(url, json={"code": ""}, auth=tenant.auth),
    }
    for code, response in answers.items():
        assert response.json()["error"]["code"] == code, response.text
        assert response.json()["is_valid"] is False, response.text
