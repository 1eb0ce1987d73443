"""The outbox and the worker: durable acceptance, at-least-once delivery, final statuses."""

from collections.abc import Sequence

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from smsgate import clock
from smsgate.context import Context, open_context
from smsgate.db.models import Message, OutboxEntry
from smsgate.delivery.providers.base import OutboundMessage, submit_each
from smsgate.delivery.providers.link import UP, Link
from smsgate.delivery.worker import DeliveryWorker
from smsgate.outbox import repository as outbox
from smsgate.provider_answers import SubmitResult, TryLater
from tests.api.helpers import inbox, rows, scalar
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "赵六", "order": "D4"}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": ""}


async def send(
    api: AsyncClient, tenant: Tenant, mobile: str = "13800138000", order: str = "D4"
) -> str:
    body = {
        "mobile": mobile,
        "temp_id": tenant.notify_temp,
        "temp_para": {**PARAMS, "order": order},
    }
    response = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["msg_id"])


async def statuses(ctx: Context) -> dict[str, tuple[str, int | None]]:
    found = await rows(ctx, select(Message.id, Message.status, Message.report_status))
    return {row.id: (row.status, row.report_status) for row in found}


async def test_a_new_process_delivers_what_an_old_one_accepted(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    accepted = [await send(api, tenant, order=str(i)) for i in range(5)]
    assert await inbox(ctx) == []  # no worker ran in the accepting process
    fresh = open_context(ctx.settings)  # a restarted server: nothing shared but the database
    try:
        await Delivery(fresh).run_until_idle()
    finally:
        await fresh.close()
    delivered = await inbox(ctx)
    assert sorted(e.msg_id for e in delivered) == sorted(accepted)
    assert all(status == ("delivered", 4001) for status in (await statuses(ctx)).values())


async def test_redelivery_after_a_lost_lease_reaches_the_handset_once(
    api: AsyncClient, ctx: Context, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    msg_id = await send(api, tenant)
    start = clock.now_ms()
    # A worker claims the row and dies before recording the provider's acceptance.
    [claimed] = await outbox.claim_due_outbox(ctx.db, start, 10, 60_000)
    delivery = Delivery(ctx)
    await delivery.provider.submit_many(
        [OutboundMessage(msg_id, "sms", claimed.payload["mobile"], claimed.payload["text"])]
    )
    assert await outbox.claim_due_outbox(ctx.db, start + 1_000, 10, 60_000) == []  # leased
    monkeypatch.setattr(clock, "now_ms", lambda: start + 61_000)
    await delivery.run_until_idle()
    assert [e.msg_id for e in await inbox(ctx)] == [msg_id]
    assert (await statuses(ctx))[msg_id] == ("delivered", 4001)
    assert await rows(ctx, select(OutboxEntry.id)) == []


@pytest.mark.parametrize("status", [4002, 4003, 4005, 4006, 4010, 4100])
async def test_sandbox_magic_numbers_report_their_status(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery, status: int
) -> None:
    msg_id = await send(api, tenant, mobile=f"1700000{status}")
    await worker.run_until_idle()
    assert (await statuses(ctx))[msg_id] == ("failed", status)


async def test_refused_at_submit_fails_without_reaching_the_inbox(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    msg_id = await send(api, tenant, mobile="17000004000")
    await worker.run_until_idle()
    assert await inbox(ctx) == []
    assert (await statuses(ctx))[msg_id] == ("failed", 4004)


class FlakyProvider:
    """Fails with a transport error a given number of times, then accepts."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.link = Link(UP)
        self.failures = failures
        self.calls = 0

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        return await submit_each(self.submit, messages)

    async def submit(self, message: OutboundMessage) -> SubmitResult:
        self.calls += 1
        if self.calls <= self.failures:
            return TryLater("connection reset")
        from smsgate.provider_answers import Accepted

        return Accepted(f"flaky-{self.calls}")

    async def run(self) -> None:
        return None


async def test_transport_errors_are_retried_with_backoff(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    msg_id = await send(api, tenant)
    provider = FlakyProvider(failures=2)
    worker = DeliveryWorker(ctx, provider)
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0  # backing off: not due yet
    frozen_clock.advance(2_001)  # the first retry after 2 s
    assert await worker.deliver_due() == 1
    frozen_clock.advance(4_001)  # then 4 s
    assert await worker.deliver_due() == 1
    assert provider.calls == 3
    assert (await statuses(ctx))[msg_id] == ("submitted", None)
    assert await scalar(ctx, select(Message.provider_message_id)) == "flaky-3"


async def test_giving_up_fails_the_message_and_refunds(
    api: AsyncClient, ctx: Context, frozen_clock: FrozenClock
) -> None:
    paid = await make_tenant(ctx, quotas={"industry": 3})
    msg_id = await send(api, paid)
    worker = DeliveryWorker(ctx, FlakyProvider(failures=100))
    for _ in range(ctx.settings.outbox_max_attempts):
        assert await worker.deliver_due() == 1
        frozen_clock.advance(301_000)  # past the longest backoff
    assert (await statuses(ctx))[msg_id] == ("failed", 4100)
    balance = await api.get("/v1/accounts/app", auth=paid.auth)
    assert balance.json()["app_industry"] == 3


async def test_embedded_worker_on_sqlite_resumes_claimed_rows_at_once(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """A killed server leaves rows claimed for a minute; its successor (the only worker SQLite
    has) takes them back at start instead of waiting the lease out."""
    msg_id = await send(api, tenant)
    [claimed] = await outbox.claim_due_outbox(ctx.db, clock.now_ms(), 10, 60_000)
    assert claimed.msg_id == msg_id
    delivery = Delivery(ctx)
    assert await delivery.worker.deliver_due() == 0  # still leased
    released = await outbox.release_all_leases(ctx.db)
    assert released == 1
    assert await delivery.worker.deliver_due() == 1
    assert [e.msg_id for e in await inbox(ctx)] == [msg_id]


class ExplodingProvider:
    name = "exploding"

    def __init__(self) -> None:
        self.link = Link(UP)

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        raise RuntimeError("provider bug")

    async def run(self) -> None:
        return None


async def test_a_provider_that_raises_loses_nothing(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    msg_id = await send(api, tenant)
    worker = DeliveryWorker(ctx, ExplodingProvider())
    assert await worker.deliver_due() == 1
    assert (await statuses(ctx))[msg_id] == ("accepted", None)
    [payload] = await rows(ctx, select(OutboxEntry.msg_id, OutboxEntry.last_error))
    assert tuple(payload) == (msg_id, "RuntimeError: provider bug")


async def test_sandbox_reports_survive_a_failed_pass(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database hiccup in one pass must not end the delivery reports for good."""
    import asyncio
    import contextlib

    provider = Delivery(ctx).provider
    calls = 0
    second_pass = asyncio.Event()
    real = provider.send_due_reports

    async def flaky() -> float:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database is locked")
        second_pass.set()
        return await real()

    monkeypatch.setattr(provider, "send_due_reports", flaky)
    task = asyncio.create_task(provider.run())
    try:
        await asyncio.wait_for(second_pass.wait(), timeout=10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert calls >= 2


async def test_pruning_keeps_what_an_apps_own_longer_limit_still_counts(
    api: AsyncClient, ctx: Context, frozen_clock: FrozenClock
) -> None:
    """An app limited to one code a week must still be refused after the server's longest
    default window (a day) has passed and old hits were pruned."""
    from smsgate.apps.service import update_app
    from tests.api.helpers import assert_error

    weekly = await make_tenant(ctx)
    await update_app(ctx.db, weekly.app_key, limits={"code_limits": "1/604800"})
    body = {"mobile": "13800138000", "temp_id": weekly.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=weekly.auth)).status_code == 200
    frozen_clock.advance(2 * 86_400_000)
    await Delivery(ctx).worker._prune_limit_hits()  # what the worker does every ten minutes
    assert_error(await api.post("/v1/codes", json=body, auth=weekly.auth), 403, 50009)
