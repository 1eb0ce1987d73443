"""Signed callbacks to a real local HTTP receiver: the form and its signature, the echostr check,
retries at 3 min, 1 h and 12 h, the dead-letter list and its replay from the command line."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from smsgate.callbacks.sender import CallbackSender
from smsgate.callbacks.service import CallbackRefused, enqueue_callback, set_callback_url
from smsgate.cli import cli
from smsgate.context import Context
from smsgate.db.models import CallbackEntry
from smsgate.messages.replies import inject_reply
from smsgate.reports.service import (
    FinalStatus,
    record_final_statuses,
    set_reply_numbers,
)
from tests.api.callback_receiver import CallbackReceiver
from tests.api.helpers import scalar
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

MINUTE_MS, HOUR_MS = 60_000, 3_600_000


@pytest.fixture
def receiver(tenant: Tenant) -> Iterator[CallbackReceiver]:
    with CallbackReceiver(tenant.app_key, tenant.secret).running() as running:
        yield running


@pytest.fixture
async def subscribed(ctx: Context, tenant: Tenant, receiver: CallbackReceiver) -> CallbackReceiver:
    """The receiver, set (and checked) as the tenant's callback URL."""
    await set_callback_url(ctx, tenant.app_key, receiver.url, tenant.secret)
    return receiver


@pytest.fixture
async def sender(ctx: Context) -> AsyncIterator[CallbackSender]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield CallbackSender(ctx, client)


async def report(ctx: Context, tenant: Tenant, msg_id: str = "m1", status: int = 4001) -> None:
    final = FinalStatus(msg_id, tenant.app_id, "+8613800138000", status)
    await ctx.db.write(lambda conn: record_final_statuses(conn, [final]))


async def outbox_size(ctx: Context) -> int:
    return int(await scalar(ctx, select(func.count()).select_from(CallbackEntry)))


async def smsgate_cli(ctx: Context, *args: str) -> Any:
    """`smsgate ...` against the test's database (in a thread: it runs its own event loop)."""
    env = {
        "SMSGATE_DATABASE_URL": ctx.settings.resolved_database_url,
        "SMSGATE_DATA_DIR": str(ctx.settings.data_dir),
        "SMSGATE_SECRET_KEY": ctx.settings.secret_key or "",
    }
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    return result


async def test_a_delivery_report_is_a_signed_form_post(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    sender: CallbackSender,
    frozen_clock: FrozenClock,
    subscribed: CallbackReceiver,
) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp}
    body["temp_para"] = {"name": "张三", "order": "A1"}
    msg_id = (await api.post("/v1/messages", json=body, auth=tenant.auth)).json()["msg_id"]
    await worker.run_until_idle()
    assert subscribed.posts == []  # nothing is posted from the transaction that caused it
    assert await sender.send_due() == 1
    [post] = subscribed.posts
    assert post.content_type.startswith("application/x-www-form-urlencoded")
    assert set(post.form) == {"nonce", "timestamp", "signature", "type", "data"}
    assert post.signature_ok
    assert -(2**63) <= int(post.field("nonce")) < 2**63
    assert post.field("timestamp") == str(frozen_clock.now)
    assert post.field("type") == "SMS_REPORT"
    assert json.loads(post.field("data")) == {
        "msgId": msg_id,
        "phone": "13800138000",
        "receiveTime": frozen_clock.now,
        "status": 4001,
    }
    assert await outbox_size(ctx) == 0
    assert await sender.send_due() == 0


async def test_replies_and_reviews_are_posted_too(
    ctx: Context,
    tenant: Tenant,
    sender: CallbackSender,
    frozen_clock: FrozenClock,
    subscribed: CallbackReceiver,
) -> None:
    await set_reply_numbers(ctx.db, tenant.app_key, ["1069000001"])
    await inject_reply(ctx.db, "1069000001", "13800138000", "收到")
    review = {"tempId": tenant.notify_temp, "status": 2, "refuseReason": "含有敏感词"}
    await ctx.db.write(lambda conn: enqueue_callback(conn, tenant.app_id, "SMS_TEMPLATE", review))
    sign = {"signId": 7, "status": 1, "refuseReason": None}
    await ctx.db.write(lambda conn: enqueue_callback(conn, tenant.app_id, "SMS_SIGN", sign))
    assert await sender.send_due() == 3
    posted = {post.field("type"): json.loads(post.field("data")) for post in subscribed.posts}
    assert posted == {
        "SMS_REPLY": {"phone": "13800138000", "replyTime": frozen_clock.now, "content": "收到"},
        "SMS_TEMPLATE": review,
        "SMS_SIGN": sign,
    }
    assert all(post.signature_ok for post in subscribed.posts)
    with pytest.raises(ValueError, match="unknown callback event"):
        await ctx.db.write(lambda conn: enqueue_callback(conn, tenant.app_id, "SMS_OTHER", {}))


async def test_an_app_without_a_callback_url_gets_none(ctx: Context, tenant: Tenant) -> None:
    await report(ctx, tenant)
    await ctx.db.write(lambda conn: enqueue_callback(conn, tenant.app_id, "SMS_SIGN", {}))
    assert await outbox_size(ctx) == 0


async def test_failures_are_retried_at_3_min_1_h_12_h_then_dead_until_replayed(
    ctx: Context,
    tenant: Tenant,
    sender: CallbackSender,
    frozen_clock: FrozenClock,
    subscribed: CallbackReceiver,
) -> None:
    subscribed.default_status = 500
    await report(ctx, tenant)
    assert await sender.send_due() == 1
    for wait in (3 * MINUTE_MS, HOUR_MS, 12 * HOUR_MS):
        frozen_clock.advance(wait - 1)
        assert await sender.send_due() == 0, "too early"
        frozen_clock.advance(1)
        assert await sender.send_due() == 1
    assert len(subscribed.posts) == 4
    assert len({post.field("nonce") for post in subscribed.posts}) == 4  # each try signed afresh
    frozen_clock.advance(30 * 24 * HOUR_MS)
    assert await sender.send_due() == 0  # dead: no more tries

    listed = await smsgate_cli(ctx, "callbacks", "list", "--dead", "--json")
    assert listed.exit_code == 0, listed.output
    [dead] = json.loads(listed.stdout)
    assert (dead["app_key"], dead["type"], dead["attempts"]) == (tenant.app_key, "SMS_REPORT", 4)
    assert dead["last_error"] == "HTTP 500"

    subscribed.default_status = 200
    replayed = await smsgate_cli(ctx, "callbacks", "replay", str(dead["id"]), "--json")
    assert json.loads(replayed.stdout) == {"replayed": 1}
    assert await sender.send_due() == 1
    assert len(subscribed.posts) == 5 and subscribed.posts[-1].signature_ok
    assert await outbox_size(ctx) == 0


async def test_replay_all_dead(
    ctx: Context,
    tenant: Tenant,
    sender: CallbackSender,
    frozen_clock: FrozenClock,
    subscribed: CallbackReceiver,
) -> None:
    subscribed.default_status = 503
    await report(ctx, tenant, "m1")
    await report(ctx, tenant, "m2")
    for _ in range(4):
        assert await sender.send_due() == 2
        frozen_clock.advance(12 * HOUR_MS)
    assert await outbox_size(ctx) == 2
    refused = await smsgate_cli(ctx, "callbacks", "replay")
    assert refused.exit_code == 1
    replayed = await smsgate_cli(ctx, "callbacks", "replay", "--all-dead", "--json")
    assert json.loads(replayed.stdout) == {"replayed": 2}
    subscribed.default_status = 204  # any 2xx delivers
    assert await sender.send_due() == 2
    assert await outbox_size(ctx) == 0


async def test_an_unreachable_receiver_is_a_failure_like_any_other(
    ctx: Context, tenant: Tenant, sender: CallbackSender, frozen_clock: FrozenClock
) -> None:
    with CallbackReceiver(tenant.app_key, tenant.secret).running() as receiver:
        await set_callback_url(ctx, tenant.app_key, receiver.url, tenant.secret)
    await report(ctx, tenant)  # the receiver is gone: connection refused
    assert await sender.send_due() == 1
    listed = await smsgate_cli(ctx, "callbacks", "list", "--json")
    [waiting] = json.loads(listed.stdout)
    assert waiting["due_at"] == frozen_clock.now + 3 * MINUTE_MS
    assert waiting["last_error"].startswith("ConnectError")


async def test_parallel_senders_post_each_callback_once(
    ctx: Context, tenant: Tenant, subscribed: CallbackReceiver
) -> None:
    for i in range(12):
        await report(ctx, tenant, f"m{i}")
    async with httpx.AsyncClient(timeout=5.0) as one, httpx.AsyncClient(timeout=5.0) as two:
        ctx.settings.callback_batch = 5
        senders = [CallbackSender(ctx, one), CallbackSender(ctx, two)]
        while sum(await asyncio.gather(*(s.send_due() for s in senders))):
            pass
    posted = sorted(json.loads(p.field("data"))["msgId"] for p in subscribed.posts)
    assert posted == sorted(f"m{i}" for i in range(12))


async def test_the_url_must_echo_the_echostr(
    ctx: Context, tenant: Tenant, receiver: CallbackReceiver
) -> None:
    receiver.echo_correctly = False
    with pytest.raises(CallbackRefused, match="echostr"):
        await set_callback_url(ctx, tenant.app_key, receiver.url, tenant.secret)
    [echostr] = receiver.echo_checks
    assert len(echostr) == 8 and echostr.isalnum()
    await report(ctx, tenant)
    assert await outbox_size(ctx) == 0  # no URL was set


async def test_signing_needs_the_right_master_secret_once(
    ctx: Context, tenant: Tenant, receiver: CallbackReceiver
) -> None:
    with pytest.raises(CallbackRefused, match="does not match"):
        await set_callback_url(ctx, tenant.app_key, receiver.url, "x" * 24)
    with pytest.raises(CallbackRefused, match="master secret"):
        await set_callback_url(ctx, tenant.app_key, receiver.url)
    await set_callback_url(ctx, tenant.app_key, receiver.url, tenant.secret)
    await set_callback_url(ctx, tenant.app_key, receiver.url)  # sealed before: enough now
    with pytest.raises(CallbackRefused, match="http"):
        await set_callback_url(ctx, tenant.app_key, "ftp://example.org/cb")
    assert len(receiver.echo_checks) == 2


async def test_callbacks_go_to_their_own_app_only(
    ctx: Context, tenant: Tenant, sender: CallbackSender, subscribed: CallbackReceiver
) -> None:
    other = await make_tenant(ctx)
    await report(ctx, other, "theirs")
    await report(ctx, tenant, "ours")
    assert await sender.send_due() == 1
    assert [json.loads(p.field("data"))["msgId"] for p in subscribed.posts] == ["ours"]


async def test_the_command_line_sets_checks_and_removes_the_url(
    ctx: Context, receiver: CallbackReceiver, sender: CallbackSender
) -> None:
    created = await smsgate_cli(
        ctx, "app", "create", "--name", "shop", "--callback-url", receiver.url, "--json"
    )
    assert created.exit_code == 0, created.output
    app = json.loads(created.stdout)
    receiver.app_key, receiver.master_secret = app["app_key"], app["master_secret"]
    assert len(receiver.echo_checks) == 1
    assert await outbox_size(ctx) == 0
    updated = await smsgate_cli(
        ctx, "app", "update", app["app_key"], "--reply-number", "1069 0000 77", "--json"
    )
    assert json.loads(updated.stdout)["reply_numbers"] == ["1069000077"]
    await inject_reply(ctx.db, "106900007712", "13800138000", "TD")
    assert await sender.send_due() == 1
    assert receiver.posts[0].signature_ok  # signed with the secret sealed at creation

    removed = await smsgate_cli(ctx, "app", "update", app["app_key"], "--callback-url", "")
    assert removed.exit_code == 0, removed.output
    await inject_reply(ctx.db, "106900007712", "13800138000", "1")
    assert await outbox_size(ctx) == 0

    receiver.echo_correctly = False
    refused = await smsgate_cli(
        ctx, "app", "update", app["app_key"], "--callback-url", receiver.url
    )
    assert refused.exit_code == 1 and "echostr" in refused.output
    refused = await smsgate_cli(
        ctx, "app", "create", "--name", "x", "--callback-url", receiver.url, "--json"
    )
    assert refused.exit_code == 1 and "master_secret" not in refused.output
