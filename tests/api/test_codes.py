"""POST /v1/codes: a generated code rendered into the app's verification template."""

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from smsgate.context import Context
from smsgate.db.models import Message, OutboxEntry
from smsgate.templates.service import review_template
from tests.api.helpers import assert_error, code_in, inbox, rows, scalar
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant


async def test_code_is_rendered_signed_and_delivered(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    response = await api.post(
        "/v1/codes", json={"mobile": "13800138000", "temp_id": tenant.code_temp}, auth=tenant.auth
    )
    assert response.status_code == 200
    msg_id = response.json()["msg_id"]
    assert isinstance(msg_id, str) and msg_id
    await worker.run_until_idle()
    [entry] = await inbox(ctx, "+8613800138000")
    assert entry.msg_id == msg_id
    assert entry.channel == "sms"
    assert entry.text.startswith("【smsgate】您的验证码是")
    code = code_in(entry.text)
    assert len(code) == 6
    assert entry.text == f"【smsgate】您的验证码是{code}，5分钟内有效。"


async def test_code_plaintext_is_kept_only_until_a_provider_takes_it(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    response = await api.post(
        "/v1/codes", json={"mobile": "13800138000", "temp_id": tenant.code_temp}, auth=tenant.auth
    )
    msg_id = response.json()["msg_id"]
    content = await scalar(ctx, select(Message.content))
    queued = await scalar(ctx, select(OutboxEntry.payload))
    assert content is None  # the message row never holds the code
    assert '"code"' in queued
    await worker.run_until_idle()
    code = code_in((await inbox(ctx))[0].text)
    remaining = await rows(ctx, select(OutboxEntry.id))
    [message] = await rows(ctx, select(Message.status, Message.report_status))
    assert remaining == []
    assert message == ("delivered", 4001)
    verify = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert verify.json() == {"is_valid": True}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"temp_id": 1}, 400, 50004),
        ({"mobile": "", "temp_id": 1}, 400, 50004),
        ({"mobile": "13800138000"}, 400, 50005),
        ({"mobile": "1380013800", "temp_id": 1}, 403, 50006),
        ({"mobile": "01012345678", "temp_id": 1}, 403, 50006),
        ({"mobile": "hello", "temp_id": 1}, 403, 50006),
        ({"mobile": ["13800138000"], "temp_id": 1}, 403, 50006),
        ({"mobile": "13800138000", "temp_id": 99999}, 403, 50013),
        ({"mobile": "13800138000", "temp_id": "abc"}, 403, 50013),
    ],
)
async def test_request_errors(
    api: AsyncClient, tenant: Tenant, body: dict[str, object], status: int, code: int
) -> None:
    assert_error(await api.post("/v1/codes", json=body, auth=tenant.auth), status, code)


async def test_template_must_be_an_approved_code_template_of_this_app(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    other = await make_tenant(ctx)
    send = {"mobile": "13800138000"}
    cases = [
        (other.code_temp, 50013),  # another tenant's template does not exist for this app
        (tenant.notify_temp, 50025),
        (tenant.market_temp, 50025),
    ]
    for temp_id, code in cases:
        response = await api.post("/v1/codes", json={**send, "temp_id": temp_id}, auth=tenant.auth)
        assert_error(response, 403, code)


async def test_template_in_review_then_rejected(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    from smsgate.templates.service import CODE, create_template

    temp_id = await create_template(
        ctx.db, tenant.app_id, template_type=CODE, text="验证码{{code}}", ttl=60
    )
    body = {"mobile": "13800138000", "temp_id": temp_id}
    assert_error(await api.post("/v1/codes", json=body, auth=tenant.auth), 403, 50020)
    await review_template(ctx.db, temp_id, approve=False, reason="no")
    assert_error(await api.post("/v1/codes", json=body, auth=tenant.auth), 403, 50021)
    await review_template(ctx.db, temp_id, approve=True)
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).status_code == 200


async def test_app_without_sms_permission(api: AsyncClient, ctx: Context) -> None:
    locked = await make_tenant(ctx, sms_enabled=False)
    body = {"mobile": "13800138000", "temp_id": locked.code_temp}
    assert_error(await api.post("/v1/codes", json=body, auth=locked.auth), 403, 50008)


async def test_app_without_signature(api: AsyncClient, ctx: Context) -> None:
    unsigned = await make_tenant(ctx, sign=None)
    body = {"mobile": "13800138000", "temp_id": unsigned.code_temp}
    assert_error(await api.post("/v1/codes", json=body, auth=unsigned.auth), 403, 50046)


async def test_unknown_sign_id(api: AsyncClient, tenant: Tenant) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp, "sign_id": 4242}
    assert_error(await api.post("/v1/codes", json=body, auth=tenant.auth), 403, 50102)


async def test_frequency_default_one_per_minute(api: AsyncClient, tenant: Tenant) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).status_code == 200
    assert_error(await api.post("/v1/codes", json=body, auth=tenant.auth), 403, 50009)
    other_number = {**body, "mobile": "13800138001"}
    assert (await api.post("/v1/codes", json=other_number, auth=tenant.auth)).status_code == 200


async def test_frequency_is_per_app(api: AsyncClient, ctx: Context, tenant: Tenant) -> None:
    other = await make_tenant(ctx)
    for who in (tenant, other):
        body = {"mobile": "13800138000", "temp_id": who.code_temp}
        assert (await api.post("/v1/codes", json=body, auth=who.auth)).status_code == 200


async def test_frequency_window_slides(
    api: AsyncClient, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).status_code == 200
    frozen_clock.advance(59_000)
    assert_error(await api.post("/v1/codes", json=body, auth=tenant.auth), 403, 50009)
    frozen_clock.advance(1_001)
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).status_code == 200


@pytest.mark.parametrize(
    "mobile", ["13800138000", 13800138000, "+8613800138000", " 13800138000 ", "+447911123456"]
)
async def test_mobile_forms_accepted(api: AsyncClient, tenant: Tenant, mobile: object) -> None:
    body = {"mobile": mobile, "temp_id": str(tenant.code_temp)}
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).status_code == 200


async def test_an_app_with_its_own_limits(api: AsyncClient, ctx: Context) -> None:
    """Two codes an hour for this app, where the default would refuse the second within a
    minute."""
    from smsgate.apps.service import update_app

    patient = await make_tenant(ctx)
    await update_app(ctx.db, patient.app_key, limits={"code_limits": "2/3600"})
    body = {"mobile": "13800138000", "temp_id": patient.code_temp}
    for _ in range(2):
        assert (await api.post("/v1/codes", json=body, auth=patient.auth)).status_code == 200
    assert_error(await api.post("/v1/codes", json=body, auth=patient.auth), 403, 50009)
