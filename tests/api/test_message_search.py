"""Refused sends in the story (single, batch, scheduled), `smsgate messages show` and `search`
on SQLite and PostgreSQL, pruning on the reports' retention, and the story's log lines."""

import asyncio
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog

from smsgate.context import Context
from smsgate.logs import configure_logging
from smsgate.messages.schedules.scheduler import send_due_schedules
from smsgate.reports.pruning import prune_past_retention
from smsgate.story import recording, refusals
from smsgate.story.repository import Filters
from smsgate.story.service import message_story, prune_story, search_messages
from tests.api.helpers import code_in, inbox
from tests.log_capture import LogLines
from tests.support.cli import CliRun, as_json, failure_line
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant

MOBILE = "13800138000"
E164 = "+86" + MOBILE
MASKED = "+86*******8000"


async def send_code(api: httpx.AsyncClient, tenant: Tenant, mobile: str = MOBILE) -> httpx.Response:
    return await api.post(
        "/v1/codes", json={"mobile": mobile, "temp_id": tenant.code_temp}, auth=tenant.auth
    )


async def test_refused_sends_are_entries_of_their_own(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    first = await send_code(api, tenant)
    limited = await send_code(api, tenant)  # 1 code per 60 s per number
    assert limited.json()["error"]["code"] == 50009
    unknown = await api.post(
        "/v1/messages", json={"mobile": "13900139000", "temp_id": 999}, auth=tenant.auth
    )
    assert unknown.json()["error"]["code"] == 50013
    batch = {
        "temp_id": tenant.notify_temp,
        "recipients": [
            {"mobile": "13700137000", "temp_para": {"name": "a", "order": "1"}},
            {"mobile": "not a number", "temp_para": {"name": "b", "order": "2"}},
            {"mobile": "13600136000", "temp_para": {"name": "c"}},
        ],
    }
    answered = await api.post("/v1/messages/batch", json=batch, auth=tenant.auth)
    assert answered.json()["success_count"] == 1

    found = await search_messages(ctx.db, Filters(status="refused"))
    assert [(f["error_code"], f["mobile"], f["msg_id"]) for f in found] == [
        (50022, "+86*******6000", None),
        (50006, None, None),
        (50013, "+86*******9000", None),
        (50009, MASKED, None),
    ]
    limit = found[-1]
    assert limit["rule"] == "frequency limit: code 1/60"
    assert (limit["kind"], limit["temp_id"]) == ("code", tenant.code_temp)
    assert limit["app_key"] == tenant.app_key
    assert found[2]["rule"] == "no such template for this app"
    [by_number] = await search_messages(ctx.db, Filters(mobile=E164, status="refused"))
    assert by_number["at"] == limit["at"]
    both = await search_messages(ctx.db, Filters(mobile=E164))
    assert [(f["status"], f["msg_id"]) for f in both] == [
        ("refused", None),
        ("accepted", first.json()["msg_id"]),
    ]


async def test_a_scheduled_recipient_refused_at_its_time_keeps_its_msg_id(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    body = {
        "send_time": "2099-01-01 08:00:00",
        "mobile": MOBILE,
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "a", "order": "1"},
    }
    scheduled = await api.post("/v1/schedule", json=body, auth=tenant.auth)
    schedule_id = scheduled.json()["schedule_id"]
    shown = await api.get(f"/v1/schedule/{schedule_id}", auth=tenant.auth)
    [recipient] = shown.json()["recipients"]
    await api.delete(f"/v1/templates/{tenant.notify_temp}", auth=tenant.auth)
    frozen_clock.advance(4_200_000_000_000 - frozen_clock.now)
    assert await send_due_schedules(ctx) == 1

    told = await message_story(ctx.db, recipient["msg_id"])
    assert told is not None and told.status == "refused"
    [refused] = [entry.as_json() for entry in told.entries]
    assert (refused["event"], refused["error_code"]) == ("refused", 50013)
    assert refused["mobile"] == MASKED
    assert refused["request_id"] is None
    [found] = await search_messages(ctx.db, Filters(mobile=E164))
    assert found["msg_id"] == recipient["msg_id"]


async def test_search_filters_newest_first(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    frozen_clock: FrozenClock,
) -> None:
    sent = []
    for number in ("13800000001", "13800000002", "17000004003", "13800000003"):
        sent.append((await send_code(api, tenant, number)).json()["msg_id"])
        frozen_clock.advance(1000)
    await worker.run_until_idle()
    newest = await search_messages(ctx.db, Filters())
    assert [f["msg_id"] for f in newest] == sent[::-1]
    assert [f["status"] for f in newest] == ["delivered", "failed", "delivered", "delivered"]
    failed = await search_messages(ctx.db, Filters(status="failed"))
    assert [(f["msg_id"], f["report_status"]) for f in failed] == [(sent[2], 4003)]
    recent = await search_messages(ctx.db, Filters(since=frozen_clock.now - 2500, limit=1))
    assert [f["msg_id"] for f in recent] == [sent[3]]
    assert await search_messages(ctx.db, Filters(app_id=tenant.app_id + 1)) == []
    assert len(await search_messages(ctx.db, Filters(app_id=tenant.app_id, limit=3))) == 3
    assert await search_messages(ctx.db, Filters(status="accepted")) == []


async def test_the_command_line_shows_and_searches(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery, run_on: CliRun
) -> None:
    msg_id = (await send_code(api, tenant)).json()["msg_id"]
    await worker.run_until_idle()
    [delivered] = await inbox(ctx, E164)
    code = code_in(delivered.text)
    await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)

    shown = as_json(await asyncio.to_thread(run_on, "messages", "show", msg_id, "--json"))
    assert [e["event"] for e in shown["events"]] == [
        "accepted",
        "submitted",
        "receipt",
        "final",
        "verify",
    ]
    assert shown["events"][0]["mobile"] == MASKED and shown["events"][0]["at"].endswith("+00:00")
    assert code not in json.dumps(shown)
    text = (await asyncio.to_thread(run_on, "messages", "show", msg_id)).stdout
    assert f"msg_id {msg_id}  app {tenant.app_key}  status delivered (4001)" in text
    assert "outcome=right" in text and MASKED in text and code not in text
    whole = await asyncio.to_thread(run_on, "messages", "show", msg_id, "--show-numbers")
    assert E164 in whole.stdout

    search = ("messages", "search", "--mobile", MOBILE, "--app", tenant.app_key, "--json")
    [found] = as_json(await asyncio.to_thread(run_on, *search, "--status", "delivered"))
    assert (found["msg_id"], found["mobile"], found["provider"]) == (msg_id, MASKED, "sandbox")
    assert as_json(await asyncio.to_thread(run_on, *search, "--since", "1m")) == [found]
    listed = await asyncio.to_thread(run_on, "messages", "search", "--since", "2000-01-01")
    assert msg_id in listed.stdout and MASKED in listed.stdout

    unknown = await asyncio.to_thread(run_on, "messages", "show", "nope", ok=False)
    assert "no message" in failure_line(unknown, 1)
    wrong = await asyncio.to_thread(run_on, "messages", "search", "--status", "lost", ok=False)
    assert wrong.exit_code == 2
    late = await asyncio.to_thread(run_on, "messages", "search", "--since", "yesterday", ok=False)
    assert late.exit_code == 2
    too_many = await asyncio.to_thread(run_on, "messages", "search", "--limit", "1001", ok=False)
    assert too_many.exit_code == 2


async def test_events_are_pruned_on_the_reports_retention(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    frozen_clock: FrozenClock,
) -> None:
    old = (await send_code(api, tenant)).json()["msg_id"]
    await send_code(api, tenant)  # refused: 1 per 60 s
    await worker.run_until_idle()
    frozen_clock.advance(ctx.settings.report_keep_seconds * 1000 - 1000)
    recent = (await send_code(api, tenant, "13900139000")).json()["msg_id"]
    await worker.run_until_idle()
    frozen_clock.advance(2000)

    await prune_past_retention(ctx)  # the background loop's pruning

    told = await message_story(ctx.db, old)
    assert told is not None
    assert [e.event for e in told.entries] == ["accepted", "final"]  # the row stays
    assert await search_messages(ctx.db, Filters(status="refused")) == []
    recent_story = await message_story(ctx.db, recent)
    assert recent_story is not None and len(recent_story.entries) == 4
    assert await prune_story(ctx.db, ctx.settings.report_keep_seconds) == 0


@pytest.fixture
def lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[LogLines]:
    configure_logging("info", "json")
    for module in (recording, refusals):
        monkeypatch.setattr(module, "log", structlog.get_logger("smsgate.story"))
    try:
        yield LogLines(capsys)
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()


async def test_every_change_is_a_json_line_with_msg_id_and_request_id(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery, lines: LogLines
) -> None:
    sent = await send_code(api, tenant)
    msg_id = sent.json()["msg_id"]
    refused = await send_code(api, tenant)
    await worker.run_until_idle()
    [delivered] = await inbox(ctx, E164)
    code = code_in(delivered.text)
    checked = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)

    story = {line["event"]: line for line in lines.read() if line["event"].startswith("message ")}
    assert set(story) == {
        "message accepted",
        "message refused",
        "message submitted",
        "message receipt",
        "message verify",
    }
    assert story["message accepted"]["request_id"] == sent.headers["x-request-id"]
    assert story["message accepted"]["mobile"] == MASKED
    assert story["message refused"]["request_id"] == refused.headers["x-request-id"]
    assert story["message verify"]["request_id"] == checked.headers["x-request-id"]
    assert story["message verify"]["outcome"] == "right"
    for name in ("message accepted", "message submitted", "message receipt", "message verify"):
        assert story[name]["msg_id"] == msg_id
    assert code not in lines.text and MOBILE not in lines.text
