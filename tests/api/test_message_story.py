"""A message's whole story, on SQLite and PostgreSQL: a delivered code checked wrong then right,
a message that failed over from a provider whose transport broke, refused sends, callback tries
and pruning. Every entry carries the request id the access log gave the request that caused
it, and no entry ever holds the code."""

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import httpx

from smsgate.callbacks.sender import CallbackSender
from smsgate.callbacks.service import set_callback_url
from smsgate.context import Context
from smsgate.delivery.config import BreakerConfig, DeliveryConfig, RouteConfig
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import Link
from smsgate.delivery.providers.sandbox import SandboxConfig, SandboxProvider
from smsgate.delivery.routing import Router
from smsgate.delivery.worker import DeliveryWorker
from smsgate.provider_answers import SubmitResult
from smsgate.story.service import message_story
from tests.api.callback_receiver import CallbackReceiver
from tests.api.helpers import code_in, inbox
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant

MOBILE = "13800138000"
MASKED = "+86*******8000"
DUE_NOW = "UPDATE callback_outbox SET due_at = 0"


async def story(ctx: Context, msg_id: str, **options: bool) -> dict[str, Any]:
    found = await message_story(ctx.db, msg_id, **options)
    assert found is not None, msg_id
    return found.as_json()


def kinds(told: dict[str, Any]) -> list[str]:
    return [entry["event"] for entry in told["events"]]


def request_id(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.headers["x-request-id"]


async def test_a_delivered_code_checked_wrong_then_right(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    sent = await api.post("/v1/codes", json=body, auth=tenant.auth)
    msg_id = sent.json()["msg_id"]
    await worker.run_until_idle()
    [delivered] = await inbox(ctx, "+86" + MOBILE)
    code = code_in(delivered.text)
    wrong = "000000" if code != "000000" else "111111"
    checks = [
        await api.post(f"/v1/codes/{msg_id}/valid", json={"code": c}, auth=tenant.auth)
        for c in (wrong, wrong, code, code)
    ]

    told = await story(ctx, msg_id)
    assert kinds(told) == [
        "accepted",
        "submitted",
        "receipt",
        "final",
        "verify",
        "verify",
        "verify",
        "verify",
    ]
    accepted, submitted, receipt, final, *verifies = told["events"]
    assert accepted | {"at": 0} == {
        "at": 0,
        "event": "accepted",
        "request_id": request_id(sent),
        "kind": "code",
        "channel": "sms",
        "temp_id": tenant.code_temp,
        "mobile": MASKED,
        "parts": 1,
        "units": 0,
        "category": None,
    }
    assert submitted["provider"] == receipt["provider"] == "sandbox"
    assert (submitted["try"], submitted["provider_ids"]) == (1, [msg_id])
    assert receipt["status"] == 4001 and receipt["request_id"] is None
    assert (final["status"], final["report_status"]) == ("delivered", 4001)
    assert [(v["outcome"], v.get("tries_left")) for v in verifies] == [
        ("wrong", 4),
        ("wrong", 3),
        ("right", None),
        ("already_verified", None),
    ]
    assert [v["request_id"] for v in verifies] == [c.headers["x-request-id"] for c in checks]
    times = [entry["at"] for entry in told["events"]]
    assert times == sorted(times)
    assert (told["status"], told["report_status"], told["app_key"]) == (
        "delivered",
        4001,
        tenant.app_key,
    )
    assert code not in json.dumps(told) and MOBILE not in json.dumps(told)


async def test_a_code_burned_by_wrong_tries_and_one_expired(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    burned = (await api.post("/v1/codes", json=body, auth=tenant.auth)).json()["msg_id"]
    for _ in range(6):
        await api.post(f"/v1/codes/{burned}/valid", json={"code": "1"}, auth=tenant.auth)
    told = await story(ctx, burned)
    outcomes = [(e["outcome"], e.get("tries_left")) for e in told["events"][1:]]
    wrong = [("wrong", left) for left in (4, 3, 2, 1, 0)]
    assert outcomes == [*wrong, ("burned", None)]

    frozen_clock.advance(61_000)
    expiring = (await api.post("/v1/codes", json=body, auth=tenant.auth)).json()["msg_id"]
    frozen_clock.advance(301_000)
    await api.post(f"/v1/codes/{expiring}/valid", json={"code": "1"}, auth=tenant.auth)
    assert [e.get("outcome") for e in (await story(ctx, expiring))["events"]] == [None, "expired"]


class BrokenTransport:
    """A provider whose carrier link fails on every submit."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.link = Link()

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        raise ConnectionResetError("carrier closed the connection")

    async def run(self) -> None:
        await asyncio.Event().wait()


async def test_a_message_that_failed_over_to_a_second_provider(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    spare = SandboxProvider(ctx.db, 0.0, name="carrier-b")
    providers = {"carrier-a": BrokenTransport("carrier-a"), "carrier-b": spare}
    configs = {name: SandboxConfig(name=name, channels=("sms",)) for name in providers}
    route = RouteConfig(match="+86", providers=("carrier-a", "carrier-b"), weights=(1, 0))
    config = DeliveryConfig(configs, (route,), BreakerConfig(), None)
    router = Router(providers, config)  # type: ignore[arg-type]
    para = {"name": "张三", "order": "A1"}
    body = {"mobile": MOBILE, "temp_id": tenant.notify_temp, "temp_para": para}
    msg_id = (await api.post("/v1/messages", json=body, auth=tenant.auth)).json()["msg_id"]

    assert await DeliveryWorker(ctx, router).deliver_due() == 1
    await spare.send_due_reports()

    told = await story(ctx, msg_id)
    assert kinds(told) == ["accepted", "failover", "submitted", "receipt", "final"]
    _, failover, submitted, receipt, final = told["events"]
    assert failover | {"at": 0} == {
        "at": 0,
        "event": "failover",
        "request_id": None,
        "try": 1,
        "route": "+86",
        "provider": "carrier-a",
        "reason": "carrier-a: ConnectionResetError: carrier closed the connection",
    }
    assert (submitted["provider"], submitted["route"], submitted["try"]) == ("carrier-b", "+86", 1)
    assert (receipt["provider"], receipt["status"]) == ("carrier-b", 4001)
    assert final["status"] == "delivered"


async def test_a_provider_refusal_and_each_callback_try(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    refused_number = "17000004000"  # the sandbox refuses it at submit
    with CallbackReceiver(tenant.app_key, tenant.secret).running() as receiver:
        await set_callback_url(ctx, tenant.app_key, receiver.url, tenant.secret)
        receiver.script.append(503)
        body = {"mobile": refused_number, "temp_id": tenant.code_temp}
        msg_id = (await api.post("/v1/codes", json=body, auth=tenant.auth)).json()["msg_id"]
        await worker.run_until_idle()
        async with httpx.AsyncClient() as client:
            sender = CallbackSender(ctx, client)
            assert await sender.send_due() == 1
            await ctx.db.write(lambda conn: conn.exec_driver_sql(DUE_NOW))
            assert await sender.send_due() == 1

    told = await story(ctx, msg_id)
    assert kinds(told) == ["accepted", "provider_refused", "final", "callback", "callback"]
    _, refused, final, first, second = told["events"]
    assert (refused["provider"], refused["status"]) == ("sandbox", 4004)
    assert refused["reason"] == "sandbox: number refused at submit"
    assert (final["status"], final["report_status"]) == ("failed", 4004)
    assert (first["try"], first["outcome"], first["answer"]) == (1, "failed", "HTTP 503")
    assert (second["try"], second["outcome"], second["answer"]) == (2, "sent", "HTTP 200")


async def test_concurrent_sends_each_keep_their_own_request_id(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """Sends committed together (SQLite commits queued transactions as one) each carry the id
    of the request that made them, not the first one's."""
    bodies = [{"mobile": f"1380013{n:04d}", "temp_id": tenant.code_temp} for n in range(8)]
    answers = await asyncio.gather(
        *(api.post("/v1/codes", json=body, auth=tenant.auth) for body in bodies)
    )
    for answer in answers:
        told = await story(ctx, answer.json()["msg_id"])
        assert told["events"][0]["request_id"] == request_id(answer)
