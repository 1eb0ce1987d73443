"""GET /v1/report and GET /v1/reply: shapes, the 500 cap, read-once, 5 s per pull, 3-day
keeping, tenants, and records that survive an answer the client never got."""

import asyncio
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate.app import create_app
from smsgate.context import Context
from smsgate.db.models import PullRecord, Unsubscribe
from smsgate.messages.replies import inject_reply
from smsgate.reports.service import (
    FinalStatus,
    prune_records,
    record_final_statuses,
    set_reply_numbers,
)
from tests.api.helpers import assert_error, rows, scalar
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PULL_GAP_MS = 5_000
THREE_DAYS_MS = 3 * 24 * 3600 * 1000


async def send(api: AsyncClient, tenant: Tenant, mobile: str, order: str = "A1") -> str:
    body = {
        "mobile": mobile,
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "张三", "order": order},
    }
    response = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["msg_id"])


async def pull(api: AsyncClient, tenant: Tenant, path: str = "/v1/report") -> Any:
    response = await api.get(path, auth=tenant.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def add_reports(ctx: Context, tenant: Tenant, count: int) -> list[str]:
    finals = [FinalStatus(f"m{i:05d}", tenant.app_id, "+8613800138000", 4001) for i in range(count)]
    await ctx.db.write(lambda conn: record_final_statuses(conn, finals))
    return [final.msg_id for final in finals]


async def test_delivered_and_failed_messages_are_reported_once_each(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    frozen_clock: FrozenClock,
) -> None:
    delivered = await send(api, tenant, "13800138000")
    no_such_number = await send(api, tenant, "17000004004")  # the sandbox reports 4004
    refused = await send(api, tenant, "17000004000")  # refused at submit: fails before a DLR
    await worker.run_until_idle()
    await worker.run_until_idle()  # a second pass finds nothing new to report
    reports = await pull(api, tenant)
    assert sorted(reports, key=lambda r: r["msgId"]) == sorted(
        [
            {"msgId": delivered, "phone": "13800138000", "receiveTime": frozen_clock.now}
            | {"status": 4001},
            {"msgId": no_such_number, "phone": "17000004004", "receiveTime": frozen_clock.now}
            | {"status": 4004},
            {"msgId": refused, "phone": "17000004000", "receiveTime": frozen_clock.now}
            | {"status": 4004},
        ],
        key=lambda r: str(r["msgId"]),
    )
    frozen_clock.advance(PULL_GAP_MS)
    assert await pull(api, tenant) == []  # read once


async def test_one_pull_per_five_seconds_per_app_and_kind(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    other = await make_tenant(ctx)
    await add_reports(ctx, tenant, 1)
    assert len(await pull(api, tenant)) == 1
    frozen_clock.advance(PULL_GAP_MS - 1)
    assert_error(await api.get("/v1/report", auth=tenant.auth), 403, 50009)
    assert await pull(api, tenant, "/v1/reply") == []  # replies count apart
    assert await pull(api, other) == []  # and so does every other app
    frozen_clock.advance(1)
    assert await pull(api, tenant) == []


async def test_a_refused_pull_does_not_restart_the_wait(
    api: AsyncClient, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    assert await pull(api, tenant) == []
    frozen_clock.advance(PULL_GAP_MS - 1)
    assert_error(await api.get("/v1/report", auth=tenant.auth), 403, 50009)
    frozen_clock.advance(1)
    assert await pull(api, tenant) == []


async def test_at_most_500_records_oldest_first(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    msg_ids = await add_reports(ctx, tenant, 501)
    first = await pull(api, tenant)
    assert [r["msgId"] for r in first] == msg_ids[:500]
    frozen_clock.advance(PULL_GAP_MS)
    assert [r["msgId"] for r in await pull(api, tenant)] == msg_ids[500:]


async def test_records_are_kept_three_days_then_pruned(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    [old] = await add_reports(ctx, tenant, 1)
    frozen_clock.advance(1)
    await ctx.db.write(
        lambda conn: record_final_statuses(
            conn, [FinalStatus("newer", tenant.app_id, "+8613800138000", 4003)]
        )
    )
    frozen_clock.advance(THREE_DAYS_MS)  # `old` is now 1 ms past three days, `newer` is not
    assert [r["msgId"] for r in await pull(api, tenant)] == ["newer"]
    records = select(PullRecord.data)
    assert [old in row.data for row in await rows(ctx, records)] == [True]  # unread, expired
    await prune_records(ctx.db, ctx.settings.report_keep_seconds)  # what the loop does
    assert await rows(ctx, records) == []


async def test_another_apps_reports_and_replies_stay_hidden(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    other = await make_tenant(ctx)
    await send(api, tenant, "13800138000")
    await worker.run_until_idle()
    await set_reply_numbers(ctx.db, tenant.app_key, ["1069000001"])
    await inject_reply(ctx.db, "1069000001", "13800138000", "好的")
    assert await pull(api, other) == []
    assert await pull(api, other, "/v1/reply") == []
    assert len(await pull(api, tenant)) == 1
    assert len(await pull(api, tenant, "/v1/reply")) == 1


async def test_pulls_need_the_apps_credentials(api: AsyncClient, tenant: Tenant) -> None:
    assert_error(await api.get("/v1/report"), 400, 50001)
    assert_error(await api.get("/v1/reply", auth=(tenant.app_key, "wrong")), 401, 50002)


async def _pull_from_a_client_that_left(ctx: Context, tenant: Tenant) -> list[dict[str, Any]]:
    """Run GET /v1/report as a server would when the client hung up before the answer went out:
    `receive` says http.disconnect and uvicorn silently drops what is sent."""
    import base64

    token = base64.b64encode(f"{tenant.app_key}:{tenant.secret}".encode())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/report",
        "raw_path": b"/v1/report",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"smsgate"), (b"authorization", b"Basic " + token)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    app = create_app(ctx.settings, ctx)
    await app(scope, receive, send)
    return sent


async def test_records_of_an_answer_the_client_never_got_come_again(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    msg_ids = await add_reports(ctx, tenant, 3)
    sent = await _pull_from_a_client_that_left(ctx, tenant)
    assert sent[0]["status"] == 200  # the answer was produced, it just had nobody to go to
    frozen_clock.advance(PULL_GAP_MS)
    assert [r["msgId"] for r in await pull(api, tenant)] == msg_ids
    frozen_clock.advance(PULL_GAP_MS)
    assert await pull(api, tenant) == []


async def test_simultaneous_pulls_of_one_app_answer_each_record_once(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await add_reports(ctx, tenant, 4)
    answers = await asyncio.gather(*(api.get("/v1/report", auth=tenant.auth) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [200, 403, 403]
    [ok] = [a for a in answers if a.status_code == 200]
    assert len(ok.json()) == 4


async def test_replies_by_reply_number_prefix_and_by_last_sender(
    api: AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    frozen_clock: FrozenClock,
) -> None:
    shop, bank = tenant, await make_tenant(ctx)
    await set_reply_numbers(ctx.db, shop.app_key, ["10690001"])
    await set_reply_numbers(ctx.db, bank.app_key, ["106900012"])
    await send(api, bank, "13900139000")
    await worker.run_until_idle()
    # The carrier adds the handset's own extension digits after the app's number.
    await inject_reply(ctx.db, "10690001345", "13800138000", "收到")
    await inject_reply(ctx.db, "1069000123", "+8613800138000", "TD")
    await inject_reply(ctx.db, "95555", "13900139000", "谢谢")  # no number: last sender, bank
    await inject_reply(ctx.db, "95555", "13700137000", "who?")  # nobody sent to it: dropped
    at = frozen_clock.now
    assert await pull(api, shop, "/v1/reply") == [
        {"phone": "13800138000", "replyTime": at, "content": "收到"}
    ]
    assert await pull(api, bank, "/v1/reply") == [
        {"phone": "13800138000", "replyTime": at, "content": "TD"},
        {"phone": "13900139000", "replyTime": at, "content": "谢谢"},
    ]
    assert await scalar(ctx, select(func.count()).select_from(PullRecord)) == 1  # bank's report
    unsubscribed = select(Unsubscribe.app_id, Unsubscribe.mobile)
    assert [tuple(row) for row in await rows(ctx, unsubscribed)] == [
        (bank.app_id, "+8613800138000")
    ]
