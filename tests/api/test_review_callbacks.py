"""Review verdicts reach the app as signed SMS_TEMPLATE / SMS_SIGN callbacks at a real local
HTTP receiver: from an operator's review, from the auto-review, and never from another app's."""

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from smsgate.callbacks.sender import CallbackSender
from smsgate.callbacks.service import set_callback_url
from smsgate.context import Context
from smsgate.signs.review import review_sign
from smsgate.templates.service import review_template
from tests.api.callback_receiver import CallbackReceiver
from tests.support.tenants import Tenant, make_tenant

NOTICE = {"type": 2, "template": "尊敬的{{name}}，您的积分已到账。"}


@pytest.fixture
def receiver(tenant: Tenant) -> Iterator[CallbackReceiver]:
    with CallbackReceiver(tenant.app_key, tenant.secret).running() as running:
        yield running


@pytest.fixture
async def sender(
    ctx: Context, tenant: Tenant, receiver: CallbackReceiver
) -> AsyncIterator[CallbackSender]:
    await set_callback_url(ctx, tenant.app_key, receiver.url, tenant.secret)
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield CallbackSender(ctx, client)


def posted(receiver: CallbackReceiver) -> list[tuple[str, dict[str, Any]]]:
    assert all(post.signature_ok for post in receiver.posts)
    return [(post.field("type"), json.loads(post.field("data"))) for post in receiver.posts]


async def test_operator_verdicts_are_posted(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    receiver: CallbackReceiver,
    sender: CallbackSender,
) -> None:
    temp_id = (await api.post("/v1/templates", json=NOTICE, auth=tenant.auth)).json()["temp_id"]
    answer = await api.post("/v1/sign", files={"sign": (None, "回调签名")}, auth=tenant.auth)
    sign_id = answer.json()["sign_id"]
    assert await sender.send_due() == 0  # submitting is not a verdict
    await review_template(ctx.db, temp_id, approve=False, reason="请写明积分来源")
    await review_sign(ctx.db, sign_id, approve=True)
    assert receiver.posts == []  # posted by the callback loop, not by the review
    assert await sender.send_due() == 2
    assert sorted(posted(receiver), key=lambda item: item[0]) == [
        ("SMS_SIGN", {"signId": sign_id, "status": 1, "refuseReason": None}),
        ("SMS_TEMPLATE", {"tempId": temp_id, "status": 2, "refuseReason": "请写明积分来源"}),
    ]


@pytest.mark.parametrize("settings_overrides", [{"auto_review": True}])
async def test_auto_review_verdicts_are_posted(
    api: httpx.AsyncClient,
    tenant: Tenant,
    receiver: CallbackReceiver,
    sender: CallbackSender,
) -> None:
    clean = (await api.post("/v1/templates", json=NOTICE, auth=tenant.auth)).json()["temp_id"]
    bad_body = {"type": 2, "template": "{{a}}{{b}}"}
    bad = (await api.post("/v1/templates", json=bad_body, auth=tenant.auth)).json()["temp_id"]
    assert await sender.send_due() == 2
    by_id = {data["tempId"]: data for _, data in posted(receiver)}
    assert by_id[clean] == {"tempId": clean, "status": 1, "refuseReason": None}
    assert by_id[bad]["status"] == 2
    assert "side by side" in by_id[bad]["refuseReason"]


async def test_another_apps_verdicts_are_not_posted_here(
    ctx: Context, tenant: Tenant, receiver: CallbackReceiver, sender: CallbackSender
) -> None:
    other = await make_tenant(ctx)
    await review_template(ctx.db, other.notify_temp, approve=False, reason="x")
    assert await sender.send_due() == 0
    assert receiver.posts == []
