"""POST /v1/messages/batch: one template, many recipients, an answer for each."""

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate.apps.service import top_up
from smsgate.context import Context
from smsgate.db.models import App, LimitHit, Message, OutboxEntry
from smsgate.outbox import repository as outbox
from tests.api.helpers import assert_error, inbox, rows, scalar
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "张三", "order": "A1001"}


def batch(tenant: Tenant, recipients: object, **extra: object) -> dict[str, object]:
    return {"temp_id": tenant.notify_temp, "recipients": recipients, **extra}


def para(order: str) -> dict[str, str]:
    return {"name": "张三", "order": order}


async def message_count(ctx: Context) -> int:
    return int(await scalar(ctx, select(func.count()).select_from(Message)))


async def test_each_recipient_gets_its_own_answer(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    """Good and bad recipients side by side: the bad ones get their error code as a string next
    to the short message, the good ones a msg_id each, and only the good ones are delivered."""
    recipients: list[Any] = [
        {"mobile": "13800138001", "temp_para": para("A1")},
        {"mobile": "12345", "temp_para": para("A2")},
        {"temp_para": para("A3")},
        {"mobile": 13800138004, "temp_para": {"name": "李四"}},
        {"mobile": "13800138005"},
        "13800138006",
        {"mobile": "13800138007", "temp_para": para("【广告】")},
        {"mobile": "13800138008", "temp_para": para("A8")},
    ]
    response = await api.post(
        "/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["success_count"], answer["failure_count"]) == (2, 6)
    results = answer["recipients"]
    assert [r.get("error_code") for r in results] == [
        None, "50006", "50004", "50022", "50023", "50007", "50054", None,
    ]  # fmt: skip
    assert results[1] == {
        "error_code": "50006",
        "error_message": "invalid mobile",
        "msg_id": results[1]["msg_id"],
        "mobile": "12345",
        "temp_para": para("A2"),
    }
    assert results[3]["mobile"] == "13800138004"  # a number comes back as a string
    good = {results[0]["msg_id"], results[7]["msg_id"]}
    assert results[0] == {"msg_id": results[0]["msg_id"], "mobile": "13800138001"}
    assert answer["failure_recipients"] == [
        {key: value for key, value in r.items() if key != "msg_id"}
        for r in results
        if "error_code" in r
    ]
    await worker.run_until_idle()
    delivered = {entry.msg_id: entry.text for entry in await inbox(ctx)}
    assert delivered == {
        results[0]["msg_id"]: "【smsgate】尊敬的张三，您的订单A1已发货。",
        results[7]["msg_id"]: "【smsgate】尊敬的张三，您的订单A8已发货。",
    }
    assert set(delivered) == good
    assert await message_count(ctx) == 2


async def test_the_same_message_twice_is_a_repeat(api: AsyncClient, tenant: Tenant) -> None:
    """Number and text both equal (however the number is written) → 50034 for the second;
    the same number with other parameters is another message."""
    recipients = [
        {"mobile": "13800138000", "temp_para": para("A1")},
        {"mobile": 13800138000, "temp_para": para("A1")},
        {"mobile": "+86 138 0013 8000", "temp_para": para("A1")},
        {"mobile": "13800138000", "temp_para": para("A2")},
    ]
    response = await api.post(
        "/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth
    )
    answer = response.json()
    assert [r.get("error_code") for r in answer["recipients"]] == [None, "50034", "50034", None]
    assert (answer["success_count"], answer["failure_count"]) == (2, 2)


@pytest.mark.parametrize("recipients", [None, [], "missing"])
async def test_no_recipients_is_50030(api: AsyncClient, tenant: Tenant, recipients: object) -> None:
    body = batch(tenant, recipients)
    if recipients == "missing":
        del body["recipients"]
    assert_error(await api.post("/v1/messages/batch", json=body, auth=tenant.auth), 403, 50030)


async def test_a_thousand_recipients_pass_and_one_more_is_50031(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    many = [{"mobile": f"1380013{n:04d}", "temp_para": PARAMS} for n in range(1001)]
    too_many = await api.post("/v1/messages/batch", json=batch(tenant, many), auth=tenant.auth)
    assert_error(too_many, 403, 50031)
    assert await message_count(ctx) == 0

    response = await api.post(
        "/v1/messages/batch", json=batch(tenant, many[:1000]), auth=tenant.auth
    )
    answer = response.json()
    assert (answer["success_count"], answer["failure_count"]) == (1000, 0)
    assert len({r["msg_id"] for r in answer["recipients"]}) == 1000
    assert await message_count(ctx) == 1000


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"temp_id": None}, 400, 50005),
        ({"temp_id": 99999}, 403, 50013),
        ({"sign_id": 99999}, 403, 50102),
        ({"tag": "elevenchars"}, 403, 50007),
        ({"recipients": {"mobile": "13800138000"}}, 403, 50007),
    ],
)
async def test_request_level_refusals(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    change: dict[str, object],
    status: int,
    code: int,
) -> None:
    """What concerns the whole request refuses it whole, and nothing is sent."""
    body = {
        **batch(tenant, [{"mobile": "13800138000", "temp_para": PARAMS}], tag="ten chars!"),
        **change,
    }
    assert_error(await api.post("/v1/messages/batch", json=body, auth=tenant.auth), status, code)
    assert await message_count(ctx) == 0


async def test_another_apps_template_is_unknown(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    other = await make_tenant(ctx)
    body = batch(other, [{"mobile": "13800138000", "temp_para": PARAMS}])
    assert_error(await api.post("/v1/messages/batch", json=body, auth=tenant.auth), 403, 50013)


async def test_sms_disabled_app_is_refused(api: AsyncClient, ctx: Context) -> None:
    tenant = await make_tenant(ctx, sms_enabled=False)
    body = batch(tenant, [{"mobile": "13800138000", "temp_para": PARAMS}])
    assert_error(await api.post("/v1/messages/batch", json=body, auth=tenant.auth), 403, 50008)


async def test_quota_running_out_mid_batch(api: AsyncClient, ctx: Context) -> None:
    """Three units for five one-part messages: the first three go, the last two get 50014, the
    quota ends at exactly zero, and the refused ones leave no limit hit behind."""
    tenant = await make_tenant(ctx, quotas={"balance": 3})
    recipients = [{"mobile": f"1380013800{n}", "temp_para": PARAMS} for n in range(5)]
    response = await api.post(
        "/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth
    )
    answer = response.json()
    assert (answer["success_count"], answer["failure_count"]) == (3, 2)
    assert [r.get("error_code") for r in answer["recipients"]] == [
        None,
        None,
        None,
        "50014",
        "50014",
    ]
    assert await scalar(ctx, select(App.balance).where(App.id == tenant.app_id)) == 0
    assert await message_count(ctx) == 3
    assert await scalar(ctx, select(func.count()).select_from(LimitHit)) == 3


@pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)
async def test_frequency_limit_refuses_only_that_recipient(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """Identical notification text to one number is allowed 3 times in 10 minutes: after three
    single sends the batch's fourth is 50009 while another number still goes."""
    single = {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": PARAMS}
    for _ in range(3):
        assert (await api.post("/v1/messages", json=single, auth=tenant.auth)).status_code == 200
    recipients = [
        {"mobile": "13800138000", "temp_para": PARAMS},
        {"mobile": "13800138001", "temp_para": PARAMS},
    ]
    response = await api.post(
        "/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth
    )
    assert [r.get("error_code") for r in response.json()["recipients"]] == ["50009", None]
    assert await message_count(ctx) == 4


async def test_a_crash_mid_batch_commits_nothing(
    api: AsyncClient, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after two recipients were written (here: the third outbox row) rolls the whole
    batch back: no message, no outbox row, no limit hit, no unit taken."""
    tenant = await make_tenant(ctx, quotas={"balance": 10})
    enqueue = outbox.enqueue
    calls = 0

    def failing_enqueue(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk gone")
        enqueue(*args, **kwargs)

    monkeypatch.setattr(outbox, "enqueue", failing_enqueue)
    recipients = [{"mobile": f"1380013800{n}", "temp_para": PARAMS} for n in range(4)]
    response = await api.post(
        "/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth
    )
    assert_error(response, 500, 50019)
    assert calls == 3
    assert await message_count(ctx) == 0
    assert await rows(ctx, select(OutboxEntry.id)) == []
    assert await rows(ctx, select(LimitHit.id)) == []
    assert await scalar(ctx, select(App.balance).where(App.id == tenant.app_id)) == 10


async def test_concurrent_batches_sharing_numbers_both_go_through(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """Two batches to the same numbers in opposite orders, at the same time: each takes its
    numbers' limit locks in one order first, so neither deadlocks and every message counts."""
    recipients = [{"mobile": f"1380013{n:04d}", "temp_para": PARAMS} for n in range(50)]
    answers = await asyncio.gather(
        api.post("/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth),
        api.post("/v1/messages/batch", json=batch(tenant, recipients[::-1]), auth=tenant.auth),
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert [a.json()["success_count"] for a in answers] == [50, 50]
    assert await message_count(ctx) == 100


@pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)
async def test_a_refused_recipient_keeps_no_limit_hit(api: AsyncClient, ctx: Context) -> None:
    """Refused for quota three times, a recipient has used none of its 3 identical texts per
    10 minutes: after a top-up all three still go (the hit was rolled back or given back)."""
    tenant = await make_tenant(ctx, quotas={"balance": 0})
    recipients = [{"mobile": "13800138000", "temp_para": PARAMS}]
    for _ in range(3):
        response = await api.post(
            "/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth
        )
        assert [r.get("error_code") for r in response.json()["recipients"]] == ["50014"]
    await top_up(ctx.db, tenant.app_key, {"balance": 10})
    for _ in range(3):
        response = await api.post(
            "/v1/messages/batch", json=batch(tenant, recipients), auth=tenant.auth
        )
        assert response.json()["success_count"] == 1, response.text
