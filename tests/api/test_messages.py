"""POST /v1/messages: template SMS of every type."""

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from smsgate import clock
from smsgate.context import Context
from smsgate.db.models import Message
from smsgate.templates.service import CODE, NOTIFICATION, create_template
from tests.api.helpers import assert_error, inbox, rows, scalar
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "张三", "order": "A1001"}
NOON_SHANGHAI = int(datetime(2026, 11, 26, 4, 0, tzinfo=UTC).timestamp() * 1000)
NIGHT_SHANGHAI = int(datetime(2026, 11, 26, 14, 0, tzinfo=UTC).timestamp() * 1000)


async def test_notification_rendered_and_delivered(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": PARAMS}
    response = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert response.status_code == 200
    msg_id = response.json()["msg_id"]
    assert isinstance(msg_id, str)
    await worker.run_until_idle()
    [entry] = await inbox(ctx)
    assert entry.msg_id == msg_id
    assert entry.text == "【smsgate】尊敬的张三，您的订单A1001已发货。"
    [stored] = await rows(ctx, select(Message.content, Message.kind))
    assert tuple(stored) == (entry.text, "notification")


@pytest.mark.parametrize(
    ("temp_para", "code"),
    [
        (None, 50023),
        ({}, 50023),
        ([], 50023),
        ({"name": None, "order": None}, 50023),
        ({"name": "张三"}, 50022),
        ({"name": "张三", "order": None}, 50022),
        ({"nome": "x", "ordre": "y"}, 50022),
    ],
)
async def test_parameters_missing(
    api: AsyncClient, tenant: Tenant, temp_para: object, code: int
) -> None:
    body: dict[str, object] = {"mobile": "13800138000", "temp_id": tenant.notify_temp}
    if temp_para is not None:
        body["temp_para"] = temp_para
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, code)


async def test_template_without_placeholders_needs_no_parameters(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    temp_id = await create_template(
        ctx.db, tenant.app_id, template_type=NOTIFICATION, text="系统维护通知。", approve=True
    )
    body = {"mobile": "13800138000", "temp_id": temp_id, "temp_para": []}  # PHP's empty map
    assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200
    await worker.run_until_idle()
    assert [e.text for e in await inbox(ctx)] == ["【smsgate】系统维护通知。"]


async def test_parameter_values_are_not_expanded_again(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {
        "mobile": "13800138000",
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "{{order}}", "order": 7},
    }
    assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200
    await worker.run_until_idle()
    assert (await inbox(ctx))[0].text == "【smsgate】尊敬的{{order}}，您的订单7已发货。"


async def test_brackets_in_parameters_are_refused(api: AsyncClient, tenant: Tenant) -> None:
    para = {"name": "【假冒银行】", "order": "1"}
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": para}
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50054)


async def test_content_over_350_characters(api: AsyncClient, tenant: Tenant) -> None:
    para = {"name": "长" * 340, "order": "1"}
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": para}
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50038)


async def test_identical_notification_three_per_ten_minutes(
    api: AsyncClient, tenant: Tenant
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": PARAMS}
    for _ in range(3):
        assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50009)
    different = {**body, "temp_para": {**PARAMS, "order": "A1002"}}
    assert (await api.post("/v1/messages", json=different, auth=tenant.auth)).status_code == 200


async def test_marketing_gets_unsubscribe_suffix_in_hours(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clock, "now_ms", lambda: NOON_SHANGHAI)
    body = {"mobile": "13800138000", "temp_id": tenant.market_temp}
    assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200
    await worker.run_until_idle()
    assert (await inbox(ctx))[0].text == "【smsgate】双十一大促，全场五折。回TD退订"


async def test_marketing_refused_at_night(
    api: AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now_ms", lambda: NIGHT_SHANGHAI)  # 22:00 in Shanghai
    body = {"mobile": "13800138000", "temp_id": tenant.market_temp}
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50009)


async def test_marketing_three_per_ten_minutes_any_content(
    api: AsyncClient, ctx: Context, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now_ms", lambda: NOON_SHANGHAI)
    other = await create_template(
        ctx.db, tenant.app_id, template_type=3, text="新品上市。", approve=True
    )
    for temp_id in (tenant.market_temp, other, tenant.market_temp):
        body = {"mobile": "13800138000", "temp_id": temp_id}
        assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200
    body = {"mobile": "13800138000", "temp_id": other}
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50009)


async def test_caller_chosen_code_with_type_one_template_is_not_stored(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp, "temp_para": {"code": "8888"}}
    assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200
    await worker.run_until_idle()
    assert (await inbox(ctx))[0].text == "【smsgate】您的验证码是8888，5分钟内有效。"
    assert await scalar(ctx, select(Message.content)) is None


async def test_code_template_from_another_api_type(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    temp_id = await create_template(
        ctx.db, tenant.app_id, template_type=CODE, text="码{{code}}", ttl=60
    )
    body = {"mobile": "13800138000", "temp_id": temp_id, "temp_para": {"code": "1"}}
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50020)


async def test_csharp_extra_keys_are_ignored(api: AsyncClient, tenant: Tenant) -> None:
    body = {
        "mobile": "13800138000",
        "temp_id": tenant.notify_temp,
        "temp_para": PARAMS,
        "type": 1,
        "ttl": 0,
        "sign_id": None,
        "tag": None,
    }
    assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200


async def test_another_apps_signature_and_template_do_not_exist(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    from smsgate.signs.service import create_default_sign

    other = await make_tenant(ctx, sign=None)
    foreign_sign = await create_default_sign(ctx.db, other.app_id, "别家签名")
    body = {
        "mobile": "13800138000",
        "temp_id": tenant.notify_temp,
        "temp_para": PARAMS,
        "sign_id": foreign_sign,
    }
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50102)
    body = {"mobile": "13800138000", "temp_id": other.notify_temp, "temp_para": PARAMS}
    assert_error(await api.post("/v1/messages", json=body, auth=tenant.auth), 403, 50013)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/messages", {"mobile": "13800138000", "temp_id": 1, "temp_para": PARAMS}),
        ("/v1/voice_codes", {"mobile": "13800138000"}),
        ("/v1/codes", {"mobile": "13800138000", "temp_id": 1}),
    ],
)
async def test_no_sms_permission_on_every_send(
    api: AsyncClient, ctx: Context, path: str, body: dict[str, object]
) -> None:
    locked = await make_tenant(ctx, sms_enabled=False)
    assert_error(await api.post(path, json=body, auth=locked.auth), 403, 50008)
