"""A batch of delivery reports is applied in a fixed number of statements, however many reports
it holds (status, parts, story, pull records and callbacks alike), with the same outcome as
applying them one after the other."""

from collections.abc import Sequence
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import Connection, event, select

from smsgate.callbacks import repository as callbacks
from smsgate.context import Context
from smsgate.db.models import CallbackEntry, PendingReport, PullRecord
from smsgate.delivery.provider_ids import apply_reports
from smsgate.provider_answers import ProviderReport
from tests.api.helpers import rows
from tests.delivery.test_provider_reports import Carrier, message, send, worker_for
from tests.support.tenants import Tenant


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": ""}


async def statements_to_apply(ctx: Context, reports: Sequence[ProviderReport]) -> int:
    """Applies the reports from provider "c" and counts the statements sent to the database."""

    def apply(conn: Connection) -> int:
        sent: list[str] = []

        def count(*args: Any) -> None:
            sent.append(args[2])

        event.listen(conn, "before_cursor_execute", count)
        try:
            apply_reports(conn, "c", reports, 1_700_000_000_000)
        finally:
            event.remove(conn, "before_cursor_execute", count)
        return len(sent)

    return await ctx.db.write(apply)


async def test_a_batch_of_reports_costs_the_same_statements_for_two_messages_as_for_eight(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await ctx.db.write(
        lambda conn: callbacks.save_callback(conn, tenant.app_id, {"url": "http://127.0.0.1:9/"})
    )
    carrier = Carrier("c")
    few = [await send(api, tenant, str(n)) for n in range(2)]
    await worker_for(ctx, carrier).deliver_due()
    two = await statements_to_apply(ctx, [ProviderReport("1f0", 4001), ProviderReport("1f1", 4001)])
    many = [await send(api, tenant, str(n)) for n in range(8)]
    await worker_for(ctx, carrier).deliver_due()
    reports = [ProviderReport(f"{0x1F2 + n:x}", 4001 if n % 2 else 4006) for n in range(8)]
    assert await statements_to_apply(ctx, reports) == two
    assert [(await message(ctx, msg_id))[:2] for msg_id in few] == [("delivered", 4001)] * 2
    assert [(await message(ctx, msg_id))[:2] for msg_id in many] == [
        ("failed", 4006) if n % 2 == 0 else ("delivered", 4001) for n in range(8)
    ]
    assert len(await rows(ctx, select(PullRecord.id))) == 10
    assert len(await rows(ctx, select(CallbackEntry.id))) == 10


async def test_early_reports_that_share_a_spelling_keep_the_later_one(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    msg_id = await send(api, tenant)
    # Both arrive before the submit answer, in one batch, each naming "1f0" among its readings.
    await statements_to_apply(
        ctx,
        [
            ProviderReport("1f0", 4006, aliases=("496",)),
            ProviderReport("00496", 4001, aliases=("1f0",)),
        ],
    )
    kept = await rows(
        ctx,
        select(
            PendingReport.provider_message_id, PendingReport.report_status, PendingReport.report_key
        ),
    )
    assert sorted(tuple(r) for r in kept) == [
        ("00496", 4001, "00496"),
        ("1f0", 4001, "00496"),
        ("496", 4006, "1f0"),
    ]
    await worker_for(ctx, Carrier("c")).deliver_due()
    assert (await message(ctx, msg_id))[:2] == ("delivered", 4001)
    assert [r[0] for r in await rows(ctx, select(PendingReport.provider_message_id))] == ["496"]
