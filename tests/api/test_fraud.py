"""The pumping defence on the wire: refusals name their rule, shadow mode allows and records,
off records nothing, conversion throttles a range and lets it heal."""

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import Connection, func, select

from smsgate.context import Context
from smsgate.db.models import FraudAttempt, FraudCount, FraudEvent
from smsgate.fraud import repository as fraud_repository
from smsgate.fraud import service as fraud_service
from tests.api.helpers import code_in, inbox, rows, scalar
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "张三", "order": "A1001"}
MINUTE = 60_000


async def set_policy(ctx: Context, tenant: Tenant, **options: str) -> None:
    await fraud_service.update_policy(ctx.db, ctx.settings, tenant.app_key, **options)


async def send_code(api: AsyncClient, tenant: Tenant, mobile: str) -> Response:
    body = {"mobile": mobile, "temp_id": tenant.code_temp}
    return await api.post("/v1/codes", json=body, auth=tenant.auth)


def refused(response: Response, rule: str) -> bool:
    """403 with exactly the JSMS envelope of 50230 naming the rule."""
    expected = {"error": {"code": 50230, "message": f"destination refused: {rule}"}}
    return response.status_code == 403 and response.json() == expected


async def decisions(ctx: Context) -> list[tuple[str, str, str, str | None]]:
    found = await rows(ctx, select(FraudEvent).order_by(FraudEvent.id))
    return [(e.rule, e.mode, e.decision, e.msg_id) for e in found]


async def test_enforce_refuses_a_country_the_app_did_not_allow(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, mode="enforce")
    assert refused(await send_code(api, tenant, "+447400123456"), "destination country")
    await set_policy(ctx, tenant, allowed_countries="CN,GB")
    assert (await send_code(api, tenant, "+447400123457")).status_code == 200
    assert [d[:3] for d in await decisions(ctx)] == [("destination country", "enforce", "refused")]
    stored = (await rows(ctx, select(FraudEvent)))[0]
    assert stored.number_range == "+447400123"  # the range only, never the whole number


async def test_high_risk_ranges_need_an_allowed_prefix(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, mode="enforce", allowed_countries="CN,001")
    assert refused(await send_code(api, tenant, "+881612345678"), "high-risk range")
    await set_policy(ctx, tenant, allowed_prefixes="+8816")
    assert (await send_code(api, tenant, "+881612345679")).status_code == 200


async def test_a_blocked_prefix_refuses_one_batch_recipient_by_name(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, mode="enforce", blocked_prefixes="+86170")
    recipients = [
        {"mobile": "17012345678", "temp_para": PARAMS},
        {"mobile": "13800138000", "temp_para": PARAMS},
    ]
    body = {"temp_id": tenant.notify_temp, "recipients": recipients}
    answer = (await api.post("/v1/messages/batch", json=body, auth=tenant.auth)).json()
    assert answer["success_count"] == 1
    failure = answer["failure_recipients"][0]
    assert (failure["error_code"], failure["error_message"]) == (
        "50230",
        "destination refused: blocked prefix",
    )


async def test_sequential_numbers_are_refused_after_the_neighbours(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, mode="enforce")
    passed = [(await send_code(api, tenant, f"1380013800{n}")).status_code for n in range(4)]
    assert passed == [200] * 4
    assert refused(await send_code(api, tenant, "13800138004"), "sequential numbers")
    # The refused attempt counts too: the walk stays refused as it goes on.
    assert refused(await send_code(api, tenant, "13800138005"), "sequential numbers")
    # A number far from the walk is another person.
    assert (await send_code(api, tenant, "13912345678")).status_code == 200


@pytest.mark.parametrize(
    "settings_overrides", [{"fraud_range_limits": "3/600", "fraud_sequence_distance": 1}]
)
async def test_prefix_velocity_refuses_beyond_the_range_limit(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, mode="enforce")
    numbers = [f"1380013{n:04d}" for n in (0, 200, 400, 600)]
    answers = [await send_code(api, tenant, number) for number in numbers]
    assert [a.status_code for a in answers[:3]] == [200] * 3
    assert refused(answers[3], "prefix velocity")
    # Another range of the same app is not concerned.
    assert (await send_code(api, tenant, "13800140000")).status_code == 200


@pytest.mark.parametrize(
    "settings_overrides", [{"fraud_range_limits": "3/600", "fraud_sequence_distance": 1}]
)
async def test_prefix_velocity_is_exact_under_parallel_sends(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, mode="enforce")
    numbers = [f"1380013{n:04d}" for n in range(0, 2400, 200)]
    answers = await asyncio.gather(*(send_code(api, tenant, number) for number in numbers))
    assert sum(a.status_code == 200 for a in answers) == 3
    assert all(a.status_code == 200 or refused(a, "prefix velocity") for a in answers)


async def test_a_sequential_walk_across_a_range_border_is_exact_under_parallel_sends(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """The walk's numbers lie in two ranges (1380013xxxx and 1380014xxxx): each send locks both,
    so the neighbours it counts include those being sent beside it."""
    await set_policy(ctx, tenant, mode="enforce")
    numbers = [str(13800139996 + n) for n in range(8)]
    answers = await asyncio.gather(*(send_code(api, tenant, number) for number in numbers))
    assert sum(a.status_code == 200 for a in answers) == 4
    assert all(a.status_code == 200 or refused(a, "sequential numbers") for a in answers)


async def test_shadow_allows_and_records_what_enforce_would_refuse(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """The server's default mode is shadow: the send goes, the decision is kept with its
    msg_id, and the answer is byte for byte the one JSMS gives."""
    answer = await send_code(api, tenant, "+447911123456")
    assert answer.status_code == 200 and list(answer.json()) == ["msg_id"]
    msg_id = answer.json()["msg_id"]
    assert await decisions(ctx) == [("destination country", "shadow", "allowed", msg_id)]
    story = await ctx.db.read(lambda conn: fraud_service.events_of_message(conn, msg_id))
    assert [event["rule"] for event in story] == ["destination country"]


async def test_off_checks_and_records_nothing(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, mode="off")
    for n in range(6):
        assert (await send_code(api, tenant, f"1380013800{n}")).status_code == 200
    assert (await send_code(api, tenant, "+447911123456")).status_code == 200
    assert await decisions(ctx) == []
    assert await scalar(ctx, select(func.count()).select_from(FraudAttempt)) == 0


CONVERSION = {
    "fraud_range_limits": "",
    "fraud_sequence_distance": 1,
    "fraud_conversion_samples_range": 4,
    "fraud_conversion_ratio": 0.5,
    "fraud_conversion_grace_seconds": 60,
    "fraud_conversion_seconds": 1200,
    "fraud_throttled_range_limits": "1/300",
}


@pytest.mark.parametrize("settings_overrides", [CONVERSION])
async def test_a_range_whose_codes_go_unverified_is_throttled_then_heals(
    api: AsyncClient, ctx: Context, worker: Delivery, frozen_clock: FrozenClock
) -> None:
    tenant = await make_tenant(ctx, code_ttl=3600)
    await set_policy(ctx, tenant, mode="enforce")
    first = [await send_code(api, tenant, f"1380013{n:04d}") for n in (0, 10, 20, 30)]
    assert all(a.status_code == 200 for a in first)
    frozen_clock.advance(3 * MINUTE)  # settled: 0 of 4 verified
    assert refused(await send_code(api, tenant, "13800134000"), "prefix conversion")
    frozen_clock.advance(5 * MINUTE)  # throttled, not closed: one code per 5 minutes passes
    assert (await send_code(api, tenant, "13800135000")).status_code == 200
    assert refused(await send_code(api, tenant, "13800136000"), "prefix conversion")
    # Real people in the range verify their codes: the share heals and the range opens.
    await worker.run_until_idle()
    for answer, number in zip(first[:2], ("13800130000", "13800130010"), strict=True):
        code = code_in((await inbox(ctx, "+86" + number))[0].text)
        body = {"code": code}
        verified = await api.post(
            f"/v1/codes/{answer.json()['msg_id']}/valid", json=body, auth=tenant.auth
        )
        assert verified.json() == {"is_valid": True}
    assert (await send_code(api, tenant, "13800137000")).status_code == 200
    rules = [d[0] for d in await decisions(ctx)]
    assert rules == ["prefix conversion", "prefix conversion"]


async def test_status_shows_policy_and_conversion(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_policy(ctx, tenant, hourly_cap="100")
    status: dict[str, Any] = await fraud_service.fraud_status(ctx.db, ctx.settings, tenant.app_key)
    assert (status["fraud_mode"], status["allowed_countries"], status["hourly_cap"]) == (
        "shadow",
        "CN",
        100,
    )


@pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)
async def test_a_refused_send_gives_its_frequency_hit_back(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """Codes are limited to one per number per minute: a refusal must not use that one up,
    whether the hit was counted in the transaction or taken in Redis first."""
    await set_policy(ctx, tenant, mode="enforce")
    assert refused(await send_code(api, tenant, "+447400123456"), "destination country")
    await set_policy(ctx, tenant, allowed_countries="CN,GB")
    assert (await send_code(api, tenant, "+447400123456")).status_code == 200


async def test_counts_spread_over_shard_rows_sum_to_every_code(
    ctx: Context, tenant: Tenant
) -> None:
    """Each count lands on one of a bucket's shard rows; the conversion reads them all, and
    nothing of the next bucket."""
    bucket, next_bucket = 60_000 * 1000, 60_000 * 1001
    scopes = ("country:86", "range:+861380013")

    def count(conn: Connection) -> None:
        for _ in range(20):
            fraud_repository.count(conn, tenant.app_id, scopes, bucket, "sent")
        for _ in range(3):
            fraud_repository.count(conn, tenant.app_id, scopes, bucket, "verified")
        fraud_repository.count(conn, tenant.app_id, scopes, next_bucket, "sent")

    await ctx.db.write(count)
    read = await ctx.db.read(
        lambda conn: fraud_repository.conversion(conn, tenant.app_id, "country:86", bucket, bucket)
    )
    assert read == (20, 3)
    shards = await scalar(ctx, select(func.count()).select_from(FraudCount))
    assert 2 <= shards <= 2 * fraud_repository.COUNTER_SHARDS + 2
