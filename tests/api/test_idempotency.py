"""Idempotent sends: an Idempotency-Key makes a repeated send answer the first answer, byte for
byte, and send nothing; another request under the same key, a bad key and a key in flight are
refused with their own codes. Every send route, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text

from smsgate.app import create_app
from smsgate.apps.service import top_up
from smsgate.context import Context, open_context
from smsgate.db.models import IdempotencyKey, Message, Schedule
from smsgate.idempotency.service import prune_expired
from smsgate.settings import Settings
from tests.api.helpers import assert_error, scalar
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "张三", "order": "A1001"}
DAY_MS = 86_400_000


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


async def sent(ctx: Context) -> int:
    """Messages and schedules written: what a repeat must not add to."""
    messages = await scalar(ctx, select(func.count()).select_from(Message))
    schedules = await scalar(ctx, select(func.count()).select_from(Schedule))
    return int(messages) + int(schedules)


def send_time() -> str:
    moment = datetime.now(UTC) + timedelta(days=1)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def every_send(tenant: Tenant) -> list[tuple[str, dict[str, Any]]]:
    when = (datetime.now(UTC) + timedelta(days=1, hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    recipients = [
        {"mobile": "13800138001", "temp_para": PARAMS},
        {"mobile": "1380013800", "temp_para": PARAMS},  # refused: its answer is kept too
    ]
    return [
        ("/v1/codes", {"mobile": "13800138000", "temp_id": tenant.code_temp}),
        ("/v1/voice_codes", {"mobile": "13800138000", "code": "4321"}),
        (
            "/v1/messages",
            {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": PARAMS},
        ),
        ("/v1/messages/batch", {"temp_id": tenant.notify_temp, "recipients": recipients}),
        (
            "/v1/schedule",
            {
                "send_time": when,
                "mobile": "13800138000",
                "temp_id": tenant.notify_temp,
                "temp_para": PARAMS,
            },
        ),
        (
            "/v1/schedule/batch",
            {"send_time": when, "temp_id": tenant.notify_temp, "recipients": recipients},
        ),
    ]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"code_limits": "", "voice_code_limits": "", "notification_limits": ""}


@pytest.mark.parametrize(
    "route", range(6), ids=["codes", "voice", "message", "batch", "schedule", "schedule-batch"]
)
async def test_a_repeat_answers_the_first_answer_and_sends_nothing(
    api: AsyncClient, ctx: Context, tenant: Tenant, backend: str, route: int
) -> None:
    path, body = every_send(tenant)[route]
    first = await api.post(path, json=body, auth=tenant.auth, headers=key("order-1001"))
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    written = await sent(ctx)
    assert written >= 1

    again = await api.post(path, json=body, auth=tenant.auth, headers=key("order-1001"))
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    assert await sent(ctx) == written
    # The same JSON spelled otherwise (key order, spacing) is the same request.
    respelled = httpx.Request("POST", "http://x", json=dict(reversed(list(body.items())))).content
    third = await api.post(
        path, content=respelled + b" ", auth=tenant.auth, headers=key("order-1001")
    )
    assert third.content == first.content
    assert await sent(ctx) == written


async def test_without_a_key_every_send_is_its_own(api: AsyncClient, tenant: Tenant) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    first = await api.post("/v1/codes", json=body, auth=tenant.auth)
    second = await api.post("/v1/codes", json=body, auth=tenant.auth)
    assert first.json()["msg_id"] != second.json()["msg_id"]
    assert "idempotent-replayed" not in second.headers


async def test_the_same_key_for_another_request_is_refused(
    api: AsyncClient, ctx: Context, tenant: Tenant, backend: str
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth, headers=key("k1"))).is_success
    written = await sent(ctx)
    other_number = {**body, "mobile": "13800138009"}
    refused = await api.post("/v1/codes", json=other_number, auth=tenant.auth, headers=key("k1"))
    assert_error(refused, 422, 50251)
    other_route = {**body, "temp_para": {}}
    refused = await api.post("/v1/messages", json=other_route, auth=tenant.auth, headers=key("k1"))
    assert_error(refused, 422, 50251)
    assert await sent(ctx) == written


async def test_keys_belong_to_their_app(
    api: AsyncClient, ctx: Context, tenant: Tenant, backend: str
) -> None:
    other = await make_tenant(ctx)
    mine = await api.post(
        "/v1/codes",
        json={"mobile": "13800138000", "temp_id": tenant.code_temp},
        auth=tenant.auth,
        headers=key("shared"),
    )
    theirs = await api.post(
        "/v1/codes",
        json={"mobile": "13800138000", "temp_id": other.code_temp},
        auth=other.auth,
        headers=key("shared"),
    )
    assert mine.status_code == theirs.status_code == 200
    assert mine.json() != theirs.json()
    assert "idempotent-replayed" not in theirs.headers


@pytest.mark.parametrize(
    "value",
    ["", "   ", "x" * 256, "ключ", "tab\there", "nul\x00"],
    ids=["empty", "blank", "long", "non-ascii", "tab", "nul"],
)
async def test_a_key_must_be_1_to_255_printable_ascii_characters(
    api: AsyncClient, ctx: Context, tenant: Tenant, value: str
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    raw = [(b"idempotency-key", value.encode())]
    refused = await api.post("/v1/codes", json=body, auth=tenant.auth, headers=raw)
    assert_error(refused, 400, 50250)
    assert await sent(ctx) == 0
    longest = await api.post("/v1/codes", json=body, auth=tenant.auth, headers=key("~" * 255))
    assert longest.status_code == 200


async def test_a_key_given_twice_is_refused(api: AsyncClient, ctx: Context, tenant: Tenant) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    headers = [(b"Idempotency-Key", b"a"), (b"Idempotency-Key", b"b")]
    assert_error(
        await api.post("/v1/codes", json=body, auth=tenant.auth, headers=headers), 400, 50250
    )
    assert await sent(ctx) == 0


async def test_a_refusal_is_the_first_answer_too(
    api: AsyncClient, ctx: Context, backend: str
) -> None:
    """Exactly the first answer, even once the send would pass: a new try takes a new key."""
    poor = await make_tenant(ctx, quotas={"industry": 0})
    body = {"mobile": "13800138000", "temp_id": poor.code_temp}
    first = await api.post("/v1/codes", json=body, auth=poor.auth, headers=key("k"))
    assert_error(first, 403, 50014)
    await top_up(ctx.db, poor.app_key, {"industry": 5})
    again = await api.post("/v1/codes", json=body, auth=poor.auth, headers=key("k"))
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert await sent(ctx) == 0
    fresh = await api.post("/v1/codes", json=body, auth=poor.auth, headers=key("k2"))
    assert fresh.status_code == 200


async def test_a_key_is_kept_for_a_day_then_pruned(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock, backend: str
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    first = await api.post("/v1/codes", json=body, auth=tenant.auth, headers=key("k"))
    frozen_clock.advance(DAY_MS - 1)
    assert (
        await api.post("/v1/codes", json=body, auth=tenant.auth, headers=key("k"))
    ).content == first.content
    assert await prune_expired(ctx.db) == 0
    frozen_clock.advance(1)
    later = await api.post("/v1/codes", json=body, auth=tenant.auth, headers=key("k"))
    assert later.status_code == 200 and later.content != first.content  # a new send
    assert "idempotent-replayed" not in later.headers
    frozen_clock.advance(DAY_MS)
    assert await prune_expired(ctx.db) == 1
    assert await scalar(ctx, select(func.count()).select_from(IdempotencyKey)) == 0


async def test_a_key_in_flight_is_answered_409(
    api: AsyncClient, ctx: Context, tenant: Tenant, backend: str
) -> None:
    """PostgreSQL: another transaction holds the key (its send is in flight): the repeat is
    refused at once instead of waiting or sending; once it ends, the key is free."""
    if backend != "postgres":
        pytest.skip("SQLite runs one write transaction at a time: nothing is ever in flight")
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    lock = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")
    holder = open_context(ctx.settings)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        def work(conn: Any) -> None:
            conn.execute(lock, {"k": f"idempotency:{tenant.app_id}:busy"})

        engine = holder.db._async_engine  # a transaction of its own, kept open
        assert engine is not None
        async with engine.begin() as conn:
            await conn.run_sync(work)
            held.set()
            await release.wait()

    task = asyncio.create_task(hold())
    try:
        await held.wait()
        busy = await api.post("/v1/codes", json=body, auth=tenant.auth, headers=key("busy"))
        assert_error(busy, 409, 50252)
        assert await sent(ctx) == 0
    finally:
        release.set()
        await task
        await holder.close()
    assert (
        await api.post("/v1/codes", json=body, auth=tenant.auth, headers=key("busy"))
    ).status_code == 200


@pytest.fixture
async def second_process(settings: Settings) -> AsyncIterator[AsyncClient]:
    """The API over a context of its own (its own engine and connections), as another process
    on the same database would be."""
    other = open_context(settings)
    transport = httpx.ASGITransport(app=create_app(settings, other), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://smsgate") as client:
        yield client
    await other.close()


@pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)
async def test_twenty_parallel_duplicates_send_once(
    api: AsyncClient, second_process: AsyncClient, ctx: Context, tenant: Tenant, backend: str
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp, "temp_para": PARAMS}
    clients = [api, second_process] * 10
    answers = await asyncio.gather(
        *(c.post("/v1/messages", json=body, auth=tenant.auth, headers=key("dup")) for c in clients)
    )
    assert await scalar(ctx, select(func.count()).select_from(Message)) == 1
    winners = {a.content for a in answers if a.status_code == 200}
    assert len(winners) == 1
    for answer in answers:
        if answer.status_code != 200:
            assert_error(answer, 409, 50252)  # only while the first was in flight
    msg_id = await scalar(ctx, select(Message.id))
    assert winners == {f'{{"msg_id":"{msg_id}"}}'.encode()}
    late = await second_process.post(
        "/v1/messages", json=body, auth=tenant.auth, headers=key("dup")
    )
    assert late.content in winners
