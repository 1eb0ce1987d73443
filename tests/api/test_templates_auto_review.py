"""SMSGATE_AUTO_REVIEW: templates that pass every rule are approved at once, the others rejected
with a reason that names every failed rule; either way the app gets its SMS_TEMPLATE callback."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from smsgate.context import Context
from smsgate.db.models import Template
from tests.api.helpers import rows
from tests.api.review_spy import ReviewCallbacks, review_callbacks_fixture  # noqa: F401
from tests.support.tenants import Tenant


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"auto_review": True}


async def submit(api: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> tuple[int, int]:
    response = await api.post("/v1/templates", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    temp_id = response.json()["temp_id"]
    shown = await api.get(f"/v1/templates/{temp_id}", auth=tenant.auth)
    return temp_id, shown.json()["status"]


async def reason_of(ctx: Context, temp_id: int) -> str:
    [row] = await rows(ctx, select(Template.refuse_reason).where(Template.id == temp_id))
    return str(row.refuse_reason)


async def test_a_clean_template_is_approved_and_sends_at_once(
    api: AsyncClient, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    body = {"type": 2, "template": "您好{{name}}，订单已发货。", "remark": "发货"}
    temp_id, status = await submit(api, tenant, body)
    assert status == 1
    send = {"mobile": "13800138000", "temp_id": temp_id, "temp_para": {"name": "张三"}}
    assert (await api.post("/v1/messages", json=send, auth=tenant.auth)).status_code == 200
    assert review_callbacks.events == [
        (tenant.app_id, "SMS_TEMPLATE", {"tempId": temp_id, "status": 1, "refuseReason": None})
    ]


async def test_every_failed_rule_is_explained(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    body = {
        "type": 2,
        "template": "{{a}}{{b}} http://t.cn/abc",
        "remark": "代开发票",
    }
    temp_id, status = await submit(api, tenant, body)
    assert status == 2
    reason = await reason_of(ctx, temp_id)
    assert "side by side" in reason
    assert "little more than parameters" in reason
    assert "sensitive words" in reason and "代开发票" in reason
    assert "http://t.cn/abc is in the text but not declared" in reason
    assert "link shortener" in reason
    [(app_id, event, data)] = review_callbacks.events
    assert (app_id, event, data["tempId"], data["status"]) == (
        tenant.app_id,
        "SMS_TEMPLATE",
        temp_id,
        2,
    )
    assert data["refuseReason"] == reason


async def test_length_with_filled_parameters_and_bare_ip_links(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    long_text = "通" * 300 + "{{a}}，{{b}}，{{c}}"  # fits as written, not once filled
    temp_id, status = await submit(api, tenant, {"type": 2, "template": long_text})
    assert status == 2
    assert "length" in await reason_of(ctx, temp_id)
    ip_link = {"type": 2, "template": "详情{{url}}", "remark": "http://10.1.2.3/detail"}
    temp_id, status = await submit(api, tenant, ip_link)
    assert status == 2
    assert "bare IP address" in await reason_of(ctx, temp_id)


async def test_a_fixed_template_is_approved_on_change(
    api: AsyncClient, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    temp_id, status = await submit(api, tenant, {"type": 2, "template": "{{a}}{{b}}"})
    assert status == 2
    fixed = {"type": 2, "template": "尊敬的{{a}}，您的{{b}}已到账。"}
    response = await api.put(f"/v1/templates/{temp_id}", json=fixed, auth=tenant.auth)
    assert response.status_code == 200
    shown = await api.get(f"/v1/templates/{temp_id}", auth=tenant.auth)
    assert shown.json()["status"] == 1
    assert [data["status"] for _, _, data in review_callbacks.events] == [2, 1]
