"""Voice fallback: a code template that opts in gets a call with the same code, under the same
msg_id, once, when the SMS failed or had no receipt in time and the code is still open; charged
as voice; the sealed copy of the code is wiped whatever was decided."""

import asyncio
import json
import re

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate.context import Context, open_context
from smsgate.db.models import Message, VoiceFallback
from smsgate.messages.voice_fallback.service import PURPOSE, place_due_fallbacks
from smsgate.sealed import UnreadableSeal, unseal
from smsgate.story.service import message_story
from smsgate.templates.service import CODE, VoiceFallbackChoice, create_template
from tests.api.helpers import inbox, rows, scalar
from tests.api.test_verify import wrong
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import CODE_TEMPLATE, Tenant, make_tenant

AFTER_SECONDS = 30
FAILS_4003 = "17000004003"  # the sandbox accepts it, then reports 4003
REFUSED = "17000004000"  # the sandbox refuses it at submit (4004)


async def fallback_tenant(ctx: Context, **quotas: int) -> tuple[Tenant, int]:
    tenant = await make_tenant(ctx, quotas=dict(quotas) or None)
    temp_id = await create_template(
        ctx.db,
        tenant.app_id,
        template_type=CODE,
        text=CODE_TEMPLATE,
        ttl=300,
        approve=True,
        voice_fallback=VoiceFallbackChoice(AFTER_SECONDS, voice_lang=1),
    )
    return tenant, temp_id


async def send(api: AsyncClient, tenant: Tenant, temp_id: int, mobile: str) -> str:
    body = {"mobile": mobile, "temp_id": temp_id}
    response = await api.post("/v1/codes", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["msg_id"])


async def fallback(ctx: Context, msg_id: str) -> VoiceFallback:
    [row] = await rows(ctx, select(VoiceFallback).where(VoiceFallback.msg_id == msg_id))
    return row  # type: ignore[return-value]


async def calls(ctx: Context) -> int:
    query = select(func.count()).select_from(Message).where(Message.channel == "voice")
    return int(await scalar(ctx, query))


def digits(text: str) -> str:
    return "".join(re.findall(r"\d", text))


async def test_a_failed_sms_is_followed_by_a_call_with_the_same_code(
    api: AsyncClient, ctx: Context, worker: Delivery, backend: str
) -> None:
    tenant, temp_id = await fallback_tenant(ctx, industry=10, voice=5)
    msg_id = await send(api, tenant, temp_id, FAILS_4003)
    await worker.run_until_idle()  # the SMS goes out and is reported failed (4003)
    [sent] = await inbox(ctx)
    waiting = await fallback(ctx, msg_id)
    assert waiting.state == "waiting"
    # Kept sealed (the outbox row with the plaintext is gone): opens only with the server key,
    # and only for this msg_id.
    assert waiting.sealed_code and re.search(r"\d{6}", sent.text).group() not in waiting.sealed_code  # type: ignore[union-attr]
    assert unseal(ctx.server_key, PURPOSE, msg_id, waiting.sealed_code) in sent.text
    with pytest.raises(UnreadableSeal):
        unseal(ctx.server_key, PURPOSE, "another-msg-id", waiting.sealed_code)

    assert await place_due_fallbacks(ctx) == 1  # due at once, not after 30 s
    assert await place_due_fallbacks(ctx) == 0  # once
    await worker.run_until_idle()
    sms, call = await inbox(ctx, "+86" + FAILS_4003)
    assert (sms.msg_id, sms.channel, call.channel) == (msg_id, "sms", "voice")
    code = re.search(r"\d{6}", sms.text).group()  # type: ignore[union-attr]
    assert digits(call.text) == code * 2  # read out twice, in English
    assert call.text.startswith("Your verification code is")

    row = await fallback(ctx, msg_id)
    assert (row.state, row.reason, row.call_id, row.sealed_code) == (
        "placed",
        "sms failed 4003",
        call.msg_id,
        None,
    )
    balance = (await api.get("/v1/accounts/app", auth=tenant.auth)).json()
    assert (balance["app_industry"], balance["app_voice"]) == (9, 4)
    shown = (await api.get(f"/v1/codes/{msg_id}", auth=tenant.auth)).json()
    assert (shown["channel"], shown["delivery_status"]) == ("voice", 4003)
    # The app hears of its msg_id only: the call has no report of its own.
    reports = (await api.get("/v1/report", auth=tenant.auth)).json()
    assert [r["msgId"] for r in reports] == [msg_id]
    valid = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert valid.json() == {"is_valid": True}
    # The SMS's story tells of the call, and never of the code.
    told = await message_story(ctx.db, msg_id)
    assert told is not None
    [decided] = [e for e in told.as_json()["events"] if e["event"] == "voice_fallback"]
    assert (decided["decision"], decided["call_id"], decided["reason"]) == (
        "placed",
        call.msg_id,
        "sms failed 4003",
    )
    assert code not in json.dumps(told.as_json())


async def test_no_receipt_in_time_places_the_call(
    api: AsyncClient, ctx: Context, worker: Delivery, frozen_clock: FrozenClock, backend: str
) -> None:
    tenant, temp_id = await fallback_tenant(ctx)
    msg_id = await send(api, tenant, temp_id, "13800138000")
    await worker.worker.deliver_due()  # submitted; no report comes
    frozen_clock.advance(AFTER_SECONDS * 1000 - 1)
    assert await place_due_fallbacks(ctx) == 0
    frozen_clock.advance(1)
    assert await place_due_fallbacks(ctx) == 1
    row = await fallback(ctx, msg_id)
    assert (row.state, row.reason) == ("placed", "no receipt")
    await worker.worker.deliver_due()
    assert [e.channel for e in await inbox(ctx)] == ["sms", "voice"]


async def test_a_refusal_at_submit_counts_as_failed(
    api: AsyncClient, ctx: Context, worker: Delivery, backend: str
) -> None:
    tenant, temp_id = await fallback_tenant(ctx)
    msg_id = await send(api, tenant, temp_id, REFUSED)
    await worker.worker.deliver_due()
    assert await place_due_fallbacks(ctx) == 1
    assert (await fallback(ctx, msg_id)).reason == "sms failed 4004"


@pytest.mark.parametrize("outcome", ["delivered", "verified", "burned", "expired", "no money"])
async def test_no_call_when_none_is_needed(
    api: AsyncClient,
    ctx: Context,
    worker: Delivery,
    frozen_clock: FrozenClock,
    outcome: str,
) -> None:
    tenant, temp_id = await fallback_tenant(ctx, **({"voice": 0} if outcome == "no money" else {}))
    msg_id = await send(api, tenant, temp_id, "13800138000")
    if outcome == "delivered":
        await worker.run_until_idle()
    else:
        await worker.worker.deliver_due()
    [entry] = await inbox(ctx)
    code = re.search(r"\d{6}", entry.text).group()  # type: ignore[union-attr]
    tries = {"verified": [code], "burned": [wrong(code)] * 5}.get(outcome, [])
    for attempt in tries:
        await api.post(f"/v1/codes/{msg_id}/valid", json={"code": attempt}, auth=tenant.auth)
    frozen_clock.advance((300 if outcome == "expired" else AFTER_SECONDS) * 1000)
    await place_due_fallbacks(ctx)
    row = await fallback(ctx, msg_id)
    reasons = {"delivered": "sms delivered", "verified": "code verified"}
    reasons |= {"burned": "code burned", "expired": "code expired", "no money": "no money"}
    assert (row.state, row.reason, row.sealed_code) == ("skipped", reasons[outcome], None)
    assert await calls(ctx) == 0


async def test_templates_without_the_opt_in_plan_nothing(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    await send(api, tenant, tenant.code_temp, FAILS_4003)
    await worker.run_until_idle()
    assert await scalar(ctx, select(func.count()).select_from(VoiceFallback)) == 0


async def test_two_processes_place_one_call(
    api: AsyncClient, ctx: Context, worker: Delivery, backend: str
) -> None:
    tenant, temp_id = await fallback_tenant(ctx)
    await send(api, tenant, temp_id, FAILS_4003)
    await worker.run_until_idle()
    other = open_context(ctx.settings)
    try:
        await asyncio.gather(place_due_fallbacks(ctx), place_due_fallbacks(other))
    finally:
        await other.close()
    assert await calls(ctx) == 1
