"""POST /v1/templates, PUT / GET / DELETE /v1/templates/{temp_id} (jsms-api.md §2.12-2.15, §5.1),
the operator's review with its SMS_TEMPLATE callbacks, and the rule-based auto-review."""

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select

from smsgate.context import Context
from smsgate.db.models import Template
from smsgate.signs.review import review_sign
from smsgate.templates.service import review_template
from tests.api.helpers import assert_error, rows
from tests.api.review_spy import ReviewCallbacks, review_callbacks_fixture  # noqa: F401
from tests.support.tenants import Tenant, make_tenant

NOTICE = {"type": 2, "template": "您好{{name}}，订单{{order}}已发货。", "remark": "发货通知"}
CODE_BODY = {"type": 1, "template": "验证码{{code}}，5分钟内有效。", "ttl": 300}
SIGN_ROOM = len("【smsgate】")  # the tenant's default signature


async def create(api: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> Response:
    return await api.post("/v1/templates", json=body, auth=tenant.auth)


async def created_id(api: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> int:
    response = await create(api, tenant, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"temp_id"} and isinstance(answer["temp_id"], int)
    return int(answer["temp_id"])


async def shown(api: AsyncClient, tenant: Tenant, temp_id: int) -> dict[str, Any]:
    response = await api.get(f"/v1/templates/{temp_id}", auth=tenant.auth)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


# --- create and show ---------------------------------------------------------------------------


async def test_created_template_waits_in_review_with_the_documented_shape(
    api: AsyncClient, tenant: Tenant
) -> None:
    temp_id = await created_id(api, tenant, CODE_BODY)
    assert await shown(api, tenant, temp_id) == {
        "temp_id": temp_id,
        "template": CODE_BODY["template"],
        "type": 1,
        "ttl": 300,
        "remark": "",
        "status": 0,
    }


async def test_sdk_quirks_are_accepted(api: AsyncClient, tenant: Tenant) -> None:
    """Java sends "temp_id": 0 on create; types may come as strings; ttl is ignored for
    notification templates (§2.12, §7 A9, A17)."""
    body = {**NOTICE, "temp_id": 0, "type": "2", "ttl": 99}
    temp_id = await created_id(api, tenant, body)
    assert temp_id != 0
    answer = await shown(api, tenant, temp_id)
    assert (answer["type"], answer["ttl"], answer["remark"]) == (2, 0, "发货通知")


async def test_the_python_sdk_style_body_without_content_type(
    api: AsyncClient, tenant: Tenant
) -> None:
    content = b'{"type": 3, "template": "\\u53cc\\u5341\\u4e00\\u5927\\u4fc3"}'
    response = await api.post("/v1/templates", content=content, auth=tenant.auth)
    assert response.status_code == 200, response.text
    assert (await shown(api, tenant, response.json()["temp_id"]))["template"] == "双十一大促"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"template": "无类型"}, 50025),
        ({**NOTICE, "type": 0}, 50025),
        ({**NOTICE, "type": 4}, 50025),
        ({**NOTICE, "type": "x"}, 50025),
        ({"type": 2}, 50042),
        ({"type": 2, "template": ""}, 50042),
        ({"type": 2, "template": "   "}, 50042),
        ({"type": 2, "template": "好" * 351}, 50043),
        ({"type": 2, "template": "【促销】全场五折"}, 50052),
        ({"type": 2, "template": "全场五折】"}, 50052),
        ({"type": 2, "template": "您好{{ name }}"}, 50044),
        ({"type": 2, "template": "您好{{_name}}"}, 50044),
        ({"type": 2, "template": "您好{{name}"}, 50044),
        ({"type": 2, "template": "您好{{名字}}"}, 50044),
        ({"type": 1, "template": "验证码{{num}}", "ttl": 60}, 50044),
        ({"type": 1, "template": "没有验证码", "ttl": 60}, 50044),
        ({"type": 2, "template": "详情见{{url}}"}, 50053),
        ({"type": 2, "template": "详情见{{url}}", "remark": "订单详情页"}, 50053),
        ({"type": 2, "template": "详情见{{URL}}"}, 50053),
        ({"type": 3, "template": "详情见{{Link}}", "remark": "活动页"}, 50053),
        ({"type": 2, "template": "代开发票，联系{{name}}"}, 50037),
        ({"type": 1, "template": "验证码{{code}}"}, 50041),
        ({"type": 1, "template": "验证码{{code}}", "ttl": 0}, 50041),
        ({"type": 1, "template": "验证码{{code}}", "ttl": 86401}, 50041),
        ({"type": 1, "template": "验证码{{code}}", "ttl": "abc"}, 50041),
        ({**NOTICE, "remark": "r" * 501}, 50045),
        ({**NOTICE, "template": 12345}, 50007),
    ],
)
async def test_every_rule_has_its_code(
    api: AsyncClient, tenant: Tenant, body: dict[str, Any], code: int
) -> None:
    assert_error(await create(api, tenant, body), 403, code)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"type": 1, "template": "验证码{{code}}，{{code}}", "ttl": 86400}, 200),
        ({"type": 2, "template": "详情见{{url}}", "remark": "https://shop.example.com/o"}, 200),
        ({"type": 2, "template": "您好{{first_name}}"}, 200),
        ({"type": 2, "template": "系统维护通知，无需参数。"}, 200),
        ({**NOTICE, "remark": "r" * 500}, 200),
    ],
)
async def test_edges_that_are_allowed(
    api: AsyncClient, tenant: Tenant, body: dict[str, Any], expected: int
) -> None:
    assert (await create(api, tenant, body)).status_code == expected


async def test_350_characters_count_the_signature_and_the_unsubscribe_wording(
    api: AsyncClient, tenant: Tenant
) -> None:
    room = 350 - SIGN_ROOM
    assert (await create(api, tenant, {"type": 2, "template": "好" * room})).status_code == 200
    assert_error(await create(api, tenant, {"type": 2, "template": "好" * (room + 1)}), 403, 50043)
    market_room = room - len("回TD退订")
    fits = {"type": 3, "template": "惠" * market_room}
    assert (await create(api, tenant, fits)).status_code == 200
    assert_error(await create(api, tenant, {**fits, "template": "惠" * room}), 403, 50043)


async def test_an_app_without_a_signature_gets_50046(api: AsyncClient, ctx: Context) -> None:
    unsigned = await make_tenant(ctx, sign=None)
    assert_error(await create(api, unsigned, NOTICE), 403, 50046)
    # A signature still in review is enough to write templates for it.
    form = {"sign": (None, "审核中")}
    assert (await api.post("/v1/sign", files=form, auth=unsigned.auth)).status_code == 200
    assert (await create(api, unsigned, NOTICE)).status_code == 200


async def test_a_rejected_signature_does_not_count(
    api: AsyncClient, ctx: Context, review_callbacks: ReviewCallbacks
) -> None:
    unsigned = await make_tenant(ctx, sign=None)
    answer = await api.post("/v1/sign", files={"sign": (None, "被拒签名")}, auth=unsigned.auth)
    await review_sign(ctx.db, answer.json()["sign_id"], approve=False, reason="no proof")
    assert_error(await create(api, unsigned, NOTICE), 403, 50046)


async def test_refusals_store_nothing(api: AsyncClient, ctx: Context, tenant: Tenant) -> None:
    before = len(await rows(ctx, select(Template.id)))
    assert_error(await create(api, tenant, {"type": 2, "template": "【x】"}), 403, 50052)
    assert_error(await create(api, tenant, {"type": 1, "template": "{{code}}"}), 403, 50041)
    assert len(await rows(ctx, select(Template.id))) == before


async def test_body_errors(api: AsyncClient, tenant: Tenant) -> None:
    assert_error(await api.post("/v1/templates", auth=tenant.auth), 400, 50003)
    assert_error(await api.post("/v1/templates", content=b"[1]", auth=tenant.auth), 403, 50007)
    assert_error(await api.post("/v1/templates", json=NOTICE), 400, 50001)
    response = await api.patch("/v1/templates/1", json=NOTICE, auth=tenant.auth)
    assert_error(response, 405, 50018)


# --- change, show, delete ----------------------------------------------------------------------


async def rejected_template(api: AsyncClient, ctx: Context, tenant: Tenant) -> int:
    temp_id = await created_id(api, tenant, NOTICE)
    await review_template(ctx.db, temp_id, approve=False, reason="wording")
    return temp_id


async def test_a_rejected_template_changed_goes_back_to_review(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    temp_id = await rejected_template(api, ctx, tenant)
    assert (await shown(api, tenant, temp_id))["status"] == 2
    change = {"temp_id": 0, "type": 1, "template": "码{{code}}", "ttl": 60, "remark": "登录"}
    response = await api.put(f"/v1/templates/{temp_id}", json=change, auth=tenant.auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"temp_id": temp_id}  # the path wins over the body's temp_id
    assert await shown(api, tenant, temp_id) == {
        "temp_id": temp_id,
        "template": "码{{code}}",
        "type": 1,
        "ttl": 60,
        "remark": "登录",
        "status": 0,
    }
    [refusal] = await rows(ctx, select(Template.refuse_reason).where(Template.id == temp_id))
    assert refusal.refuse_reason is None


async def test_only_rejected_templates_may_change(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    in_review = await created_id(api, tenant, NOTICE)
    for temp_id in (in_review, tenant.notify_temp):  # in review, approved
        response = await api.put(f"/v1/templates/{temp_id}", json=NOTICE, auth=tenant.auth)
        assert_error(response, 403, 50047)
    assert (await shown(api, tenant, in_review))["template"] == NOTICE["template"]


async def test_a_change_passes_the_same_rules(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    temp_id = await rejected_template(api, ctx, tenant)
    for body, code in [
        ({"type": 2, "template": "【x】"}, 50052),
        ({"type": 1, "template": "码{{code}}"}, 50041),
        ({"type": 9, "template": "x"}, 50025),
        ({"type": 2, "template": "赌博{{x}}"}, 50037),
    ]:
        response = await api.put(f"/v1/templates/{temp_id}", json=body, auth=tenant.auth)
        assert_error(response, 403, code)
    answer = await shown(api, tenant, temp_id)
    assert (answer["status"], answer["template"]) == (2, NOTICE["template"])


@pytest.mark.parametrize("path_id", ["999999", "abc", "-1", "1.5"])
async def test_unknown_ids_are_50013(api: AsyncClient, tenant: Tenant, path_id: str) -> None:
    url = f"/v1/templates/{path_id}"
    assert_error(await api.get(url, auth=tenant.auth), 403, 50013)
    assert_error(await api.delete(url, auth=tenant.auth), 403, 50013)
    assert_error(await api.put(url, json=NOTICE, auth=tenant.auth), 403, 50013)


async def test_delete_answers_an_empty_200_and_the_template_is_gone(
    api: AsyncClient, tenant: Tenant
) -> None:
    temp_id = await created_id(api, tenant, NOTICE)
    response = await api.delete(f"/v1/templates/{temp_id}", auth=tenant.auth)
    assert (response.status_code, response.content) == (200, b"")
    assert_error(await api.get(f"/v1/templates/{temp_id}", auth=tenant.auth), 403, 50013)
    response = await api.delete(f"/v1/templates/{tenant.notify_temp}", auth=tenant.auth)
    assert response.status_code == 200
    send = {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": {"name": "a"}}
    assert_error(await api.post("/v1/messages", json=send, auth=tenant.auth), 403, 50013)


async def test_another_apps_template_does_not_exist(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    other = await make_tenant(ctx)
    theirs = await rejected_template(api, ctx, other)
    url = f"/v1/templates/{theirs}"
    assert_error(await api.get(url, auth=tenant.auth), 403, 50013)
    assert_error(await api.put(url, json=NOTICE, auth=tenant.auth), 403, 50013)
    assert_error(await api.delete(url, auth=tenant.auth), 403, 50013)
    assert (await shown(api, other, theirs))["status"] == 2  # untouched


# --- review ------------------------------------------------------------------------------------


async def test_review_decides_whether_a_template_sends_and_tells_the_app(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    temp_id = await created_id(api, tenant, NOTICE)
    send = {"mobile": "13800138000", "temp_id": temp_id, "temp_para": {"name": "a", "order": "1"}}
    assert_error(await api.post("/v1/messages", json=send, auth=tenant.auth), 403, 50020)
    await review_template(ctx.db, temp_id, approve=False, reason="请说明用途")
    assert_error(await api.post("/v1/messages", json=send, auth=tenant.auth), 403, 50021)
    await review_template(ctx.db, temp_id, approve=True)
    assert (await api.post("/v1/messages", json=send, auth=tenant.auth)).status_code == 200
    assert review_callbacks.events == [
        (
            tenant.app_id,
            "SMS_TEMPLATE",
            {"tempId": temp_id, "status": 2, "refuseReason": "请说明用途"},
        ),
        (tenant.app_id, "SMS_TEMPLATE", {"tempId": temp_id, "status": 1, "refuseReason": None}),
    ]


async def test_without_auto_review_nothing_is_decided_at_creation(
    api: AsyncClient, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    temp_id = await created_id(api, tenant, NOTICE)
    assert (await shown(api, tenant, temp_id))["status"] == 0
    assert review_callbacks.events == []


async def test_parallel_changes_of_one_rejected_template(
    api: AsyncClient, ctx: Context, tenant: Tenant, review_callbacks: ReviewCallbacks
) -> None:
    """Only the first change finds the template rejected; the others find it in review."""
    temp_id = await rejected_template(api, ctx, tenant)
    changes = [
        api.put(
            f"/v1/templates/{temp_id}",
            json={"type": 2, "template": f"第{n}版{{{{name}}}}"},
            auth=tenant.auth,
        )
        for n in range(6)
    ]
    answers = await asyncio.gather(*changes)
    codes = sorted(
        answer.status_code if answer.status_code == 200 else answer.json()["error"]["code"]
        for answer in answers
    )
    assert codes == [200] + [50047] * 5
