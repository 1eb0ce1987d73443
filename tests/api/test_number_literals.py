"""Numbers in temp_para are rendered exactly as the client wrote them: a big integer, trailing
zeros, an exponent and a negative zero are text on a handset, not floats."""

from httpx import AsyncClient
from sqlalchemy import select

from smsgate.context import Context
from smsgate.db.models import Message
from tests.api.helpers import rows
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

LITERALS = [
    "12345678901234567890123",
    "18446744073709551616",
    "9223372036854775807",
    "1.10",
    "1e2",
    "1E+2",
    "-0",
    "-0.0",
    "0.1000000000000000055511151231257827",
    "42",
]


def body_with(tenant: Tenant, literal: str) -> str:
    return (
        f'{{"mobile":"13800138000","temp_id":{tenant.notify_temp},'
        f'"temp_para":{{"name":{literal},"order":"A1"}}}}'
    )


async def test_single_sends_render_the_literal(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    for literal in LITERALS:
        response = await api.post(
            "/v1/messages", content=body_with(tenant, literal).encode(), auth=tenant.auth
        )
        assert response.status_code == 200, (literal, response.text)
    texts = {row.content for row in await rows(ctx, select(Message.content))}
    assert texts == {f"【smsgate】尊敬的{literal}，您的订单A1已发货。" for literal in LITERALS}


async def test_batches_and_schedules_keep_the_literal(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    recipients = ",".join(
        f'{{"mobile":"1380013800{n}","temp_para":{{"name":{literal},"order":"A1"}}}}'
        for n, literal in enumerate(["1.10", "12345678901234567890123", "1e2"])
    )
    body = f'{{"temp_id":{tenant.notify_temp},"recipients":[{recipients}]}}'
    response = await api.post("/v1/messages/batch", content=body.encode(), auth=tenant.auth)
    assert response.json()["success_count"] == 3, response.text
    texts = {row.content for row in await rows(ctx, select(Message.content))}
    assert {"1.10", "12345678901234567890123", "1e2"} == {
        text.removeprefix("【smsgate】尊敬的").split("，")[0] for text in texts
    }
    scheduled = f'{{"send_time":"9999-01-01 00:00:00",{body[1:]}'
    created = await api.post("/v1/schedule/batch", content=scheduled.encode(), auth=tenant.auth)
    shown = await api.get(f"/v1/schedule/{created.json()['schedule_id']}", auth=tenant.auth)
    names = [r["temp_para"]["name"] for r in shown.json()["recipients"]]
    assert names == ["1.10", "12345678901234567890123", "1e2"]


async def test_a_refused_recipient_echoes_its_parameters_as_sent(
    api: AsyncClient, tenant: Tenant
) -> None:
    body = (
        f'{{"temp_id":{tenant.notify_temp},"recipients":['
        '{"mobile":"12","temp_para":{"name":1.10,"order":"A1"}}]}'
    )
    response = await api.post("/v1/messages/batch", content=body.encode(), auth=tenant.auth)
    assert response.json()["failure_recipients"][0]["temp_para"]["name"] == "1.10"
    echoed = await api.post(
        "/v1/messages/batch",
        content=body.replace('"12"', "12.5").encode(),
        auth=tenant.auth,
    )
    assert echoed.json()["failure_recipients"][0]["mobile"] == "12.5", echoed.text
