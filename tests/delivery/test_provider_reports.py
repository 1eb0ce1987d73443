"""Reports that name the provider's own ids: parts, spellings, reports before the submit answer,
and what the worker records about the provider that took each message."""

import asyncio
from collections.abc import Sequence

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from smsgate.context import Context
from smsgate.db.models import Message, PendingReport, ProviderHealth, ProviderMessageId
from smsgate.delivery.config import BreakerConfig, DeliveryConfig, RouteConfig
from smsgate.delivery.events import DatabaseEvents
from smsgate.delivery.health import next_report, read_health, save_health
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import UP, Link
from smsgate.delivery.providers.sandbox import SandboxConfig
from smsgate.delivery.routing import Router
from smsgate.delivery.worker import DeliveryWorker
from smsgate.provider_answers import Accepted, ProviderReport, SubmitResult
from tests.api.helpers import rows
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

WAIT = 10.0  # seconds; only a broken signal waits this long, and then fails


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": ""}


class Carrier:
    """Numbers each message like a carrier would: parts get ids of their own."""

    def __init__(self, name: str, parts: int = 1) -> None:
        self.name = name
        self.link = Link(UP)
        self.parts = parts
        self.next_id = 0x1F0

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        results: list[SubmitResult] = []
        for _ in messages:
            ids = tuple(f"{self.next_id + n:x}" for n in range(self.parts))
            self.next_id += self.parts
            results.append(Accepted(ids[0], part_ids=ids))
        return results

    async def run(self) -> None:
        return None


def worker_for(ctx: Context, *carriers: Carrier) -> DeliveryWorker:
    configs = {c.name: SandboxConfig(name=c.name) for c in carriers}
    names = tuple(configs)
    config = DeliveryConfig(configs, (RouteConfig(providers=names),), BreakerConfig(), None)
    return DeliveryWorker(ctx, Router({c.name: c for c in carriers}, config))


async def send(api: AsyncClient, tenant: Tenant, order: str = "1") -> str:
    body = {"mobile": "13800138000", "temp_id": tenant.notify_temp}
    body["temp_para"] = {"name": "赵六", "order": order}  # type: ignore[assignment]
    response = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["msg_id"])


async def message(ctx: Context, msg_id: str) -> tuple[str, int | None, str | None, str | None]:
    [row] = await rows(
        ctx,
        select(
            Message.status, Message.report_status, Message.provider, Message.provider_message_id
        ).where(Message.id == msg_id),
    )
    return row.status, row.report_status, row.provider, row.provider_message_id


async def test_the_worker_records_which_provider_took_the_message_and_its_ids(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    msg_id = await send(api, tenant)
    await worker_for(ctx, Carrier("carrier-a", parts=2)).deliver_due()
    assert await message(ctx, msg_id) == ("submitted", None, "carrier-a", "1f0")
    ids = await rows(ctx, select(ProviderMessageId.provider_message_id, ProviderMessageId.msg_id))
    assert sorted(tuple(r) for r in ids) == [("1f0", msg_id), ("1f1", msg_id)]


async def test_a_long_message_is_final_once_every_part_is_reported(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    delivered, failed = await send(api, tenant, "1"), await send(api, tenant, "2")
    await worker_for(ctx, Carrier("c", parts=2)).deliver_due()
    events = DatabaseEvents(ctx.db)
    await events.reports("c", [ProviderReport("1f0", 4001), ProviderReport("1f2", 4001)])
    assert (await message(ctx, delivered))[:2] == ("submitted", None)  # one part still out
    await events.reports("c", [ProviderReport("1f1", 4001), ProviderReport("1f3", 4006)])
    assert (await message(ctx, delivered))[:2] == ("delivered", 4001)
    assert (await message(ctx, failed))[:2] == ("failed", 4006)


async def test_a_report_matches_the_id_under_another_spelling(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    msg_id = await send(api, tenant)
    await worker_for(ctx, Carrier("c")).deliver_due()
    # The carrier answered "1f0" and reports in decimal with leading zeros.
    await DatabaseEvents(ctx.db).reports("c", [ProviderReport("00496", 4001, aliases=("1f0",))])
    assert (await message(ctx, msg_id))[:2] == ("delivered", 4001)


async def test_another_providers_report_for_the_same_id_does_not_touch_the_message(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    msg_id = await send(api, tenant)
    await worker_for(ctx, Carrier("c")).deliver_due()
    await DatabaseEvents(ctx.db).reports("elsewhere", [ProviderReport("1f0", 4004)])
    assert (await message(ctx, msg_id))[:2] == ("submitted", None)


async def test_a_report_that_overtakes_the_submit_answer_is_applied_when_it_lands(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    msg_id = await send(api, tenant)
    events = DatabaseEvents(ctx.db)
    await events.reports("c", [ProviderReport("1f0", 4001, aliases=("496",))])
    kept = await rows(ctx, select(PendingReport.provider_message_id))
    assert sorted(r[0] for r in kept) == ["1f0", "496"]
    await worker_for(ctx, Carrier("c")).deliver_due()
    assert (await message(ctx, msg_id))[:2] == ("delivered", 4001)
    assert await rows(ctx, select(PendingReport.provider_message_id)) == []


async def test_unclaimed_early_reports_and_old_ids_are_pruned(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    await send(api, tenant)
    worker = worker_for(ctx, Carrier("c"))
    await worker.deliver_due()
    await DatabaseEvents(ctx.db).reports("c", [ProviderReport("ffff", 4001)])
    frozen_clock.advance(3 * 86_400_000 + 1)
    await worker._prune_limit_hits()
    assert await rows(ctx, select(PendingReport.provider_message_id)) == []
    assert await rows(ctx, select(ProviderMessageId.provider_message_id)) == []


async def test_health_is_saved_per_worker_and_read_back(ctx: Context) -> None:
    worker = worker_for(ctx, Carrier("a"), Carrier("b"))
    router = worker.provider
    assert isinstance(router, Router)
    await router.submit_many([OutboundMessage("m", "sms", "+8613800138000", "hi")])
    await ctx.db.write(lambda conn: save_health(conn, router.breakers, 1000))
    await ctx.db.write(lambda conn: save_health(conn, router.breakers, 2000))  # an update
    health = {row.provider: row for row in await read_health(ctx.db)}
    assert set(health) == {"a", "b"}
    assert sum(row.accepted for row in health.values()) == 1
    assert {row.updated_at for row in health.values()} == {2000}
    assert len(await rows(ctx, select(ProviderHealth.provider))) == 2


async def test_a_change_of_state_is_saved_at_once_with_since_and_the_error(
    ctx: Context, frozen_clock: FrozenClock
) -> None:
    """The periodic write is an hour away here: only the change itself can bring the write."""
    a, b = Carrier("a"), Carrier("b")
    router = worker_for(ctx, a, b).provider
    assert isinstance(router, Router)
    changed, every = router.health_changed, 3600.0
    changed.set()  # as report_health starts: the first write at once
    await asyncio.wait_for(next_report(ctx.db, router.breakers, changed, every), WAIT)
    frozen_clock.advance(2_000)
    went_down = frozen_clock.now
    a.link.down("a#1: bind failed: ConnectionRefusedError")
    await asyncio.wait_for(next_report(ctx.db, router.breakers, changed, every), WAIT)
    health = {row.provider: row for row in await read_health(ctx.db)}
    assert (health["a"].state, health["a"].since) == ("down", went_down)
    assert health["a"].last_error == "a#1: bind failed: ConnectionRefusedError"
    assert (health["a"].last_error_at, health["a"].updated_at) == (went_down, went_down)
    assert health["b"].state == "closed"

    frozen_clock.advance(3_000)
    a.link.up()
    await asyncio.wait_for(next_report(ctx.db, router.breakers, changed, every), WAIT)
    [row] = [row for row in await read_health(ctx.db) if row.provider == "a"]
    assert (row.state, row.since) == ("closed", frozen_clock.now)
    assert row.last_error == "a#1: bind failed: ConnectionRefusedError"  # what happened last


async def test_the_id_as_the_report_spells_it_wins_over_its_other_readings(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    carrier = Carrier("c")
    first = await send(api, tenant, "1")
    await worker_for(ctx, carrier).deliver_due()  # numbered 1f0
    carrier.next_id = 0x1F0 * 16  # the next message is numbered "1f00"
    second = await send(api, tenant, "2")
    await worker_for(ctx, carrier).deliver_due()
    # "1f00" read as decimal would be another id; the exact spelling must win.
    await DatabaseEvents(ctx.db).reports("c", [ProviderReport("1f00", 4003, aliases=("1f0",))])
    assert (await message(ctx, second))[:2] == ("failed", 4003)
    assert (await message(ctx, first))[:2] == ("submitted", None)


class ByMsgId(Carrier):
    """Names each message by smsgate's msg_id, as the sandbox, Kannel and voice calls do."""

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        return [Accepted(message.msg_id) for message in messages]


async def test_a_report_by_msg_id_touches_only_a_message_that_provider_carried(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    msg_id = await send(api, tenant)
    await worker_for(ctx, ByMsgId("kan2")).deliver_due()
    events = DatabaseEvents(ctx.db)
    await events.reports("kan", [ProviderReport(msg_id, 4001)])
    assert (await message(ctx, msg_id))[:2] == ("submitted", None)
    await events.reports("kan2", [ProviderReport(msg_id, 4006)])
    assert (await message(ctx, msg_id))[:2] == ("failed", 4006)


async def test_a_report_by_msg_id_before_the_submit_answer_waits_for_its_provider(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """A call can end before the worker recorded that its trunk took it; another provider's
    report for the same msg_id, early too, never applies."""
    msg_id = await send(api, tenant)
    events = DatabaseEvents(ctx.db)
    await events.reports("trunk-b", [ProviderReport(msg_id, 4001)])
    await events.reports("trunk-a", [ProviderReport(msg_id, 4007)])
    assert (await message(ctx, msg_id))[:2] == ("accepted", None)
    await worker_for(ctx, ByMsgId("trunk-a")).deliver_due()
    assert (await message(ctx, msg_id))[:2] == ("failed", 4007)
