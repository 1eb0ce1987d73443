"""Every metric family moves when its event happens, with bounded labels only."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import httpx
import pytest
from httpx import AsyncClient

from smsgate.callbacks.sender import CallbackSender
from smsgate.callbacks.service import set_callback_url
from smsgate.context import Context
from smsgate.delivery.config import load_delivery_config
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import UP, Link
from smsgate.delivery.providers.sandbox import sandbox_inbox
from smsgate.delivery.providers.smpp.provider import SmppProvider
from smsgate.delivery.routing import Router
from smsgate.messages.schedules.scheduler import send_due_schedules
from smsgate.messages.schedules.send_time import format_send_time, schedule_zone
from smsgate.observability import live
from smsgate.observability.gauges import refresh_gauges
from smsgate.provider_answers import SubmitResult, TryLater
from smsgate.reports.service import FinalStatus, record_final_statuses
from smsgate.settings import Settings
from smsgate.telemetry.process_state import Heartbeats, ProcessState
from tests.api.callback_receiver import CallbackReceiver
from tests.api.helpers import code_in
from tests.delivery.smpp_fixtures import WAIT_SECONDS, RecordingEvents, running, smpp_config
from tests.delivery.smpp_peer import SmscSimulator
from tests.observability.helpers import Delta, value
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

MOBILE = "13800138000"
REQUESTS = "smsgate_api_requests_total"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # One failed callback try, then dead; schedules count as late a minute after their time.
    return {"callback_retry_delays": "60", "schedule_late_seconds": 60.0}


async def test_api_requests_by_route_template_status_and_jsms_code(
    api: AsyncClient, tenant: Tenant
) -> None:
    sent = Delta(REQUESTS, route="/v1/codes", method="POST", status="200", code="0")
    timed = Delta("smsgate_api_request_duration_seconds_count", route="/v1/codes", method="POST")
    verify_route = "/v1/codes/{msg_id}/valid"
    unknown = Delta(REQUESTS, route=verify_route, method="POST", status="403", code="50026")
    unmatched = Delta(REQUESTS, route="unmatched", method="GET", status="404", code="50016")
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).status_code == 200
    other = {"mobile": "13800138001", "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes/", json=other, auth=tenant.auth)).status_code == 200
    guess = "/v1/codes/0190a0b0-0000-7000-8000-000000000000/valid"
    assert (await api.post(guess, json={"code": "123456"}, auth=tenant.auth)).status_code == 403
    assert (await api.get("/v1/no/such/route/13800138000")).status_code == 404
    assert (sent(), timed(), unknown(), unmatched()) == (2, 2, 1, 1)


async def test_sends_accepted_and_refused_by_reason_channel_and_type_and_units_charged(
    api: AsyncClient, ctx: Context
) -> None:
    tenant = await make_tenant(ctx, quotas={"balance": 100})
    key = tenant.app_key
    code = Delta(
        "smsgate_sends_accepted_total",
        app_key=key,
        temp_id=str(tenant.code_temp),
        channel="sms",
        template_type="code",
    )
    voice = Delta(
        "smsgate_sends_accepted_total",
        app_key=key,
        temp_id="none",
        channel="voice",
        template_type="voice_code",
    )
    notification = Delta(
        "smsgate_sends_accepted_total",
        app_key=key,
        temp_id=str(tenant.notify_temp),
        channel="sms",
        template_type="notification",
    )
    units = Delta("smsgate_units_charged_total", app_key=key, category="balance")
    bad_code = Delta(
        "smsgate_sends_refused_total", reason="50006", channel="sms", template_type="code"
    )
    bad_batch = Delta(
        "smsgate_sends_refused_total", reason="50006", channel="sms", template_type="template"
    )
    too_soon = Delta(
        "smsgate_sends_refused_total", reason="50009", channel="sms", template_type="code"
    )

    async def post(path: str, body: dict[str, object]) -> httpx.Response:
        return await api.post(path, json=body, auth=tenant.auth)

    assert (await post("/v1/codes", {"mobile": MOBILE, "temp_id": tenant.code_temp})).is_success
    assert not (await post("/v1/codes", {"mobile": MOBILE, "temp_id": tenant.code_temp})).is_success
    assert not (
        await post("/v1/codes", {"mobile": "12345", "temp_id": tenant.code_temp})
    ).is_success
    assert (await post("/v1/voice_codes", {"mobile": MOBILE})).is_success
    recipients = [
        {"mobile": "13800138002", "temp_para": {"name": "张三", "order": "A1"}},
        {"mobile": "12345", "temp_para": {"name": "李四", "order": "A2"}},
    ]
    batch = await post(
        "/v1/messages/batch", {"temp_id": tenant.notify_temp, "recipients": recipients}
    )
    assert batch.json()["success_count"] == 1, batch.text
    assert (code(), voice(), notification()) == (1, 1, 1)
    assert units() == 3  # one SMS part each, one call
    assert (bad_code(), too_soon(), bad_batch()) == (1, 1, 1)


async def test_verifies_by_outcome_per_app_and_template(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery
) -> None:
    def verifies(outcome: str) -> Delta:
        return Delta(
            "smsgate_verifies_total",
            app_key=tenant.app_key,
            temp_id=str(tenant.code_temp),
            outcome=outcome,
        )

    verified, wrong, again = verifies("verified"), verifies("wrong"), verifies("already_verified")
    sent = await api.post(
        "/v1/codes", json={"mobile": MOBILE, "temp_id": tenant.code_temp}, auth=tenant.auth
    )
    msg_id = sent.json()["msg_id"]
    await worker.run_until_idle()
    [entry] = await sandbox_inbox(ctx.db, "+86" + MOBILE)
    the_code = code_in(entry.text)
    wrong_code = "000000" if the_code != "000000" else "111111"
    for guess in (wrong_code, the_code, the_code):
        await api.post(f"/v1/codes/{msg_id}/valid", json={"code": guess}, auth=tenant.auth)
    assert (verified(), wrong(), again()) == (1, 1, 1)


async def test_outbox_depth_and_oldest_age_are_read_from_the_database(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery, frozen_clock: FrozenClock
) -> None:
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).is_success
    frozen_clock.advance(4_500)
    await refresh_gauges(ctx)
    assert value("smsgate_outbox_depth") == 1
    assert value("smsgate_outbox_oldest_age_seconds") == 4.5
    await worker.run_until_idle()
    await refresh_gauges(ctx)
    assert (value("smsgate_outbox_depth"), value("smsgate_outbox_oldest_age_seconds")) == (0, 0)


async def test_provider_submits_receipts_and_submit_to_receipt_latency(
    api: AsyncClient, tenant: Tenant, worker: Delivery
) -> None:
    accepted = Delta("smsgate_provider_submits_total", provider="sandbox", outcome="accepted")
    refused = Delta("smsgate_provider_submits_total", provider="sandbox", outcome="refused")
    delivered = Delta("smsgate_receipts_total", provider="sandbox", status="4001")
    blacklisted = Delta("smsgate_receipts_total", provider="sandbox", status="4002")
    latency = Delta("smsgate_submit_to_receipt_seconds_count", provider="sandbox")
    for mobile in (MOBILE, "17000004000", "17000004002"):
        body = {
            "mobile": mobile,
            "temp_id": tenant.notify_temp,
            "temp_para": {"name": "n", "order": "o"},
        }
        assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).is_success
    await worker.run_until_idle()
    assert (accepted(), refused()) == (2, 1)
    assert (delivered(), blacklisted(), latency()) == (1, 1, 2)


class _Failing:
    """A provider whose link is down: every submit is a transport failure."""

    name = "down"

    def __init__(self) -> None:
        self.link = Link(UP)

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        return [TryLater("connection refused") for _ in messages]

    async def run(self) -> None:
        await asyncio.Event().wait()


async def test_transport_failures_and_breaker_state_per_provider(
    tmp_path: object, settings: Settings
) -> None:
    config_file = settings.data_dir / "delivery.toml"
    config_file.write_text(
        '[[providers]]\nname = "down"\ntype = "sandbox"\n[breaker]\nfailures = 2\n'
    )
    config = load_delivery_config(settings.model_copy(update={"config": config_file}))
    router = Router({"down": _Failing()}, config)
    failures = Delta("smsgate_provider_submits_total", provider="down", outcome="transport_failure")
    async with watching(ProcessState(provider=router)):
        message = OutboundMessage("m1", "sms", "+8613800138000", "text")
        assert value("smsgate_provider_breaker_state", provider="down", state="closed") == 1
        await router.submit_many([message, message])
        await router.submit_many([message])
        assert failures() == 3
        assert value("smsgate_provider_breaker_state", provider="down", state="open") == 1
        assert value("smsgate_provider_breaker_state", provider="down", state="closed") == 0
        router.providers["down"].link.down("connection refused")
        assert value("smsgate_provider_breaker_state", provider="down", state="down") == 1
        assert value("smsgate_provider_breaker_state", provider="down", state="open") == 0


@pytest.fixture
def receiver(tenant: Tenant) -> Iterator[CallbackReceiver]:
    with CallbackReceiver(tenant.app_key, tenant.secret).running() as running:
        yield running


async def test_callbacks_sent_failed_and_dead(
    ctx: Context, tenant: Tenant, receiver: CallbackReceiver, frozen_clock: FrozenClock
) -> None:
    await set_callback_url(ctx, tenant.app_key, receiver.url, tenant.secret)
    sent, failed, dead = (
        Delta("smsgate_callbacks_total", type="SMS_REPORT", outcome=outcome)
        for outcome in ("sent", "failed", "dead")
    )
    final = FinalStatus("m1", tenant.app_id, "+8613800138000", 4001)
    async with httpx.AsyncClient(timeout=5.0) as client:
        sender = CallbackSender(ctx, client)
        await ctx.db.write(lambda conn: record_final_statuses(conn, [final]))
        assert await sender.send_due() == 1
        receiver.default_status = 500
        await ctx.db.write(lambda conn: record_final_statuses(conn, [final]))
        assert await sender.send_due() == 1
        frozen_clock.advance(60_000)
        assert await sender.send_due() == 1
    assert (sent(), failed(), dead()) == (1, 1, 1)


async def test_schedules_due_and_late(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    send_at = frozen_clock.now + 3_600_000 - frozen_clock.now % 1000
    body = {
        "send_time": format_send_time(send_at, schedule_zone(ctx.settings)),
        "mobile": MOBILE,
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "n", "order": "o"},
    }
    assert (await api.post("/v1/schedule", json=body, auth=tenant.auth)).is_success
    readings = []
    for moment in (send_at - 1, send_at, send_at + 60_001):
        frozen_clock.now = moment
        await refresh_gauges(ctx)
        readings.append((value("smsgate_schedules_due"), value("smsgate_schedules_late")))
    assert readings == [(0, 0), (1, 0), (1, 1)]
    assert await send_due_schedules(ctx) == 1
    await refresh_gauges(ctx)
    assert (value("smsgate_schedules_due"), value("smsgate_schedules_late")) == (0, 0)


async def test_loop_heartbeats_are_exported_as_ages() -> None:
    now = [100.0]
    state = ProcessState(heartbeats=Heartbeats(lambda: now[0]))
    state.heartbeats.beat("delivery")
    now[0] += 7.5
    async with watching(state):
        assert value("smsgate_loop_heartbeat_age_seconds", loop="delivery") == 7.5


@contextlib.asynccontextmanager
async def watching(state: ProcessState) -> AsyncIterator[None]:
    live.watch(state)
    try:
        yield
    finally:
        live.unwatch(state)


@pytest.fixture
def slow_smsc() -> Iterator[SmscSimulator]:
    """An SMSC that answers each submit_sm after 30 s: submits stay in the window."""
    simulator = SmscSimulator("--answer-delay", "30")
    simulator.start()
    yield simulator
    simulator.kill()


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Yield to the loop until `condition` holds (the state of a bind has no event to await)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not condition():
            await asyncio.sleep(0.01)
    assert condition(), what


async def test_smpp_binds_up_and_window_in_use(slow_smsc: SmscSimulator) -> None:
    provider = SmppProvider(smpp_config(slow_smsc, binds=2, window=5), RecordingEvents())
    name = {"provider": "carrier-a"}
    async with watching(ProcessState(provider=provider)):
        assert (value("smsgate_smpp_binds", **name), value("smsgate_smpp_binds_up", **name)) == (
            2,
            0,
        )
        async with running(provider):
            assert value("smsgate_smpp_binds_up", **name) == 2
            messages = [
                OutboundMessage(f"m{n}", "sms", "+8613800138000", "hello") for n in range(3)
            ]
            submitting = asyncio.create_task(provider.submit_many(messages))
            await eventually(
                lambda: value("smsgate_smpp_window_in_use", **name) == 3, "3 submits in flight"
            )
            submitting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await submitting
        assert value("smsgate_smpp_binds_up", **name) == 0
