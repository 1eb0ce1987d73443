"""The SMPP provider against a real SMSC simulator process (smpp34's server) over TCP."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from smsgate.delivery.config import BreakerConfig, DeliveryConfig, RouteConfig
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import DOWN, UP
from smsgate.delivery.providers.smpp.encoding import decode_gsm7
from smsgate.delivery.providers.smpp.provider import SmppProvider
from smsgate.delivery.routing import Router
from smsgate.provider_answers import Accepted, Rejected, TryLater
from tests.delivery.smpp_fixtures import WAIT_SECONDS, RecordingEvents, running, smpp_config
from tests.delivery.smpp_peer import SmscSimulator
from tests.support.clock import FrozenClock

MOBILE = "+8613800138000"


@pytest.fixture
def simulator() -> Iterator[SmscSimulator]:
    sim = SmscSimulator()
    sim.start()
    yield sim
    sim.kill()


def sms(text: str, mobile: str = MOBILE, msg_id: str = "m1") -> OutboundMessage:
    return OutboundMessage(msg_id=msg_id, channel="sms", mobile=mobile, text=text)


def submitted_text(event: dict[str, object]) -> str:
    body = bytes.fromhex(str(event["sm"]))
    if int(str(event["esm_class"])) & 0x40:
        body = body[1 + body[0] :]
    return decode_gsm7(body) if event["data_coding"] == 0 else body.decode("utf-16-be")


def part_number(event: dict[str, Any]) -> int:
    if event["esm_class"] & 0x40:
        return bytes.fromhex(event["sm"])[5]
    return int(event["tlvs"]["527"], 16)


async def test_a_gsm_text_goes_out_as_default_alphabet_and_comes_back_delivered(
    simulator: SmscSimulator,
) -> None:
    events = RecordingEvents()
    text = "Your code is 012345 [smsgate] €5"
    async with running(SmppProvider(smpp_config(simulator), events)) as provider:
        [result] = await provider.submit_many([sms(text)])
        await simulator.until(lambda: len(simulator.accepted()) == 1)
        [submit] = simulator.accepted()
        assert isinstance(result, Accepted)
        assert result.provider_message_id == submit["message_id"]
        assert result.part_ids == (submit["message_id"],)
        assert (submit["data_coding"], submit["esm_class"]) == (0, 0)
        assert (submit["dest"], submit["dest_ton"], submit["source"]) == (
            "8613800138000",
            1,
            "1069",
        )
        assert submit["registered_delivery"] == 1
        assert submitted_text(submit) == text
        await events.wait_for(lambda: len(events.received) == 1)
    [report] = events.received
    assert (report.provider_message_id, report.report_status) == (submit["message_id"], 4001)


async def test_receipts_of_the_gather_time_are_handed_over_together(
    simulator: SmscSimulator,
) -> None:
    """The first receipt waits `gather_seconds` for the others (here they all come within
    milliseconds), so the events get one batch: one transaction instead of one each."""
    events = RecordingEvents()
    config = smpp_config(simulator)
    messages = [sms(f"code {n}", msg_id=f"m{n}") for n in range(3)]
    async with running(SmppProvider(config, events, gather_seconds=1.0)) as provider:
        results = await provider.submit_many(messages)
        assert all(isinstance(result, Accepted) for result in results)
        await events.wait_for(lambda: len(events.received) == len(messages))
    assert events.report_batches == [len(messages)]


async def test_chinese_goes_out_as_ucs2(simulator: SmscSimulator) -> None:
    text = "您的验证码是012345，5分钟内有效。😀"
    async with running(SmppProvider(smpp_config(simulator), RecordingEvents())) as provider:
        [result] = await provider.submit_many([sms(text)])
    await simulator.until(lambda: len(simulator.accepted()) == 1)
    [submit] = simulator.accepted()
    assert isinstance(result, Accepted)
    assert submit["data_coding"] == 8
    assert bytes.fromhex(submit["sm"]) == text.encode("utf-16-be")


@pytest.mark.parametrize("concatenation", ["udh", "sar"])
async def test_a_200_character_text_goes_out_as_concatenated_parts(
    simulator: SmscSimulator, concatenation: str
) -> None:
    text = "".join(str(n % 10) for n in range(200))
    config = smpp_config(simulator, concatenation=concatenation)
    events = RecordingEvents()
    async with running(SmppProvider(config, events)) as provider:
        [result] = await provider.submit_many([sms(text)])
        await events.wait_for(lambda: len(events.received) == 2)
    await simulator.until(lambda: len(simulator.accepted()) == 2)
    parts = sorted(simulator.accepted(), key=part_number)  # parts go out concurrently
    assert isinstance(result, Accepted)
    assert result.part_ids == tuple(p["message_id"] for p in parts)
    assert {r.provider_message_id for r in events.received} == set(result.part_ids)
    if concatenation == "udh":
        headers = [bytes.fromhex(p["sm"])[:6] for p in parts]
        assert [p["esm_class"] for p in parts] == [0x40, 0x40]
        assert headers[0][:4] == headers[1][:4]  # one reference ties them
        assert [h[4:] for h in headers] == [b"\x02\x01", b"\x02\x02"]
    else:
        assert [p["esm_class"] for p in parts] == [0, 0]
        assert [p["tlvs"]["526"] for p in parts] == ["02", "02"]  # sar_total_segments
        assert [p["tlvs"]["527"] for p in parts] == ["01", "02"]  # sar_segment_seqnum
        assert parts[0]["tlvs"]["524"] == parts[1]["tlvs"]["524"]  # sar_msg_ref_num
    assert "".join(submitted_text(p) for p in parts) == text
    assert [len(submitted_text(p)) for p in parts] == [153, 47]


async def test_a_refused_number_is_rejected_as_not_existing(simulator: SmscSimulator) -> None:
    async with running(SmppProvider(smpp_config(simulator), RecordingEvents())) as provider:
        results = await provider.submit_many([sms("hi", "+8617000004000"), sms("hi", msg_id="m2")])
    assert isinstance(results[0], Rejected) and results[0].report_status == 4004
    assert "ESME_RINVDSTADR" in results[0].reason
    assert isinstance(results[1], Accepted)


async def test_failed_receipts_map_to_jsms_statuses() -> None:
    simulator = SmscSimulator()
    simulator.start()
    events = RecordingEvents()
    try:
        async with running(SmppProvider(smpp_config(simulator), events)) as provider:
            mobiles = ["+8617000004003", "+8617000004002", "+8617000004100"]
            results = await provider.submit_many(
                [sms("hi", mobile, f"m{n}") for n, mobile in enumerate(mobiles)]
            )
            await events.wait_for(lambda: len(events.received) == 3)
    finally:
        simulator.kill()
    by_id = {r.provider_message_id: r.report_status for r in events.received}
    assert [by_id[r.provider_message_id] for r in results if isinstance(r, Accepted)] == [
        4003,
        4002,
        4100,
    ]


async def test_receipts_with_decimal_ids_name_the_hex_id_as_an_alias() -> None:
    simulator = SmscSimulator("--decimal-text-id", "--no-receipt-tlvs")
    simulator.start()
    events = RecordingEvents()
    try:
        async with running(SmppProvider(smpp_config(simulator), events)) as provider:
            [result] = await provider.submit_many([sms("hi")])
            await events.wait_for(lambda: len(events.received) == 1)
    finally:
        simulator.kill()
    [report] = events.received
    assert isinstance(result, Accepted) and result.provider_message_id is not None
    assert report.provider_message_id == str(int(result.provider_message_id, 16))
    assert result.provider_message_id in report.aliases
    assert report.report_status == 4001


async def test_a_receipt_before_its_submit_resp_is_passed_on() -> None:
    simulator = SmscSimulator("--receipt-first")
    simulator.start()
    events = RecordingEvents()
    try:
        async with running(SmppProvider(smpp_config(simulator), events)) as provider:
            [result] = await provider.submit_many([sms("hi")])
            await simulator.until(lambda: len(simulator.accepted()) == 1)
            # The receipt was sent before the submit_sm_resp; it was reported all the same.
            assert (
                simulator.of_kind("receipt")[0]["message_id"]
                == simulator.accepted()[0]["message_id"]
            )
            await events.wait_for(lambda: len(events.received) == 1)
    finally:
        simulator.kill()
    assert isinstance(result, Accepted)
    assert events.received[0].provider_message_id == result.provider_message_id


async def test_throttling_answers_are_waited_out_not_failed() -> None:
    simulator = SmscSimulator("--throttle-first")
    simulator.start()
    try:
        async with running(SmppProvider(smpp_config(simulator), RecordingEvents())) as provider:
            results = await provider.submit_many(
                [sms(f"hello {n}", msg_id=f"m{n}") for n in range(5)]
            )
        await simulator.until(lambda: len(simulator.of_kind("submit")) == 10)
    finally:
        simulator.kill()
    statuses = [e["status"] for e in simulator.of_kind("submit")]
    assert statuses.count(0x58) == 5 and statuses.count(0) == 5
    assert all(isinstance(r, Accepted) for r in results)


async def test_a_concatenated_ucs2_reply_becomes_one_inbound_sms(simulator: SmscSimulator) -> None:
    events = RecordingEvents()
    text = "退订" * 40  # 80 UTF-16 units: two parts
    encoded = text.encode("utf-16-be")
    async with running(SmppProvider(smpp_config(simulator), events)):
        await simulator.until(lambda: len(simulator.of_kind("bound")) == 1)
        simulator.send_mo("8613800138000", "1069", [encoded[:134], encoded[134:]], data_coding=8)
        simulator.send_mo("8613900139000", "1069", [b"STOP"], data_coding=0)
        await events.wait_for(lambda: len(events.replies) == 2)
    assert [(r.to, r.mobile, r.text) for r in events.replies] == [
        ("1069", "+8613800138000", text),
        ("1069", "+8613900139000", "STOP"),
    ]


async def test_the_bind_comes_back_after_the_smsc_restarts(simulator: SmscSimulator) -> None:
    config = smpp_config(simulator, connect_timeout_seconds=0.5)
    async with running(SmppProvider(config, RecordingEvents())) as provider:
        [bind] = provider.binds
        simulator.kill()
        async with asyncio.timeout(WAIT_SECONDS):
            await bind.link.until(DOWN)
        [down] = await provider.submit_many([sms("while down")])
        assert isinstance(down, TryLater)
        simulator.start()
        async with asyncio.timeout(WAIT_SECONDS):
            await bind.ready.wait()
        [result] = await provider.submit_many([sms("after restart")])
        await simulator.until(lambda: len(simulator.accepted()) == 1)
    assert isinstance(result, Accepted)
    assert bind.times_bound == 2
    assert [submitted_text(e) for e in simulator.accepted()] == ["after restart"]


async def test_a_dead_smsc_shows_the_provider_down_without_a_message_sent(
    simulator: SmscSimulator, frozen_clock: FrozenClock
) -> None:
    """Down as soon as no bind is up, with since and the error, and back in service when a bind
    is up again; the router's view follows without a single submit."""
    config = smpp_config(simulator, binds=2)
    provider = SmppProvider(config, RecordingEvents())
    route = RouteConfig(providers=(config.name,))
    routing = DeliveryConfig({config.name: config}, (route,), BreakerConfig(), None)
    health = Router({config.name: provider}, routing).breakers[config.name].health
    async with running(provider):
        assert provider.link.current.state == UP and health.state == "closed"
        frozen_clock.advance(1_000)
        simulator.kill()
        async with asyncio.timeout(WAIT_SECONDS):
            await provider.link.until(DOWN)
        assert not any(bind.ready.is_set() for bind in provider.binds)  # down: none is up
        assert (health.state, health.since) == ("down", frozen_clock.now)
        assert health.last_error is not None and "carrier-a#" in health.last_error
        assert health.submitted == 0 and not simulator.of_kind("submit")

        frozen_clock.advance(1_000)
        simulator.start()
        async with asyncio.timeout(WAIT_SECONDS):
            await provider.link.until(UP)
        assert (health.state, health.since) == ("closed", frozen_clock.now)


async def test_stopping_the_provider_unbinds(simulator: SmscSimulator) -> None:
    async with running(SmppProvider(smpp_config(simulator, binds=2), RecordingEvents())):
        await simulator.until(lambda: len(simulator.of_kind("bound")) == 2)
        assert not simulator.of_kind("unbound")
    simulator.wait_for(lambda: len(simulator.of_kind("unbound")) == 2)


async def test_submits_pipeline_up_to_the_window_and_no_further() -> None:
    simulator = SmscSimulator("--answer-delay", "0.05")  # a slow SMSC: submits pile up
    simulator.start()
    try:
        config = smpp_config(simulator, window=3)
        async with running(SmppProvider(config, RecordingEvents())) as provider:
            messages = [sms(f"hello {n}", msg_id=f"m{n}") for n in range(12)]
            results = await provider.submit_many(messages)
            await simulator.until(lambda: len(simulator.accepted()) == 12)
    finally:
        simulator.kill()
    assert all(isinstance(r, Accepted) for r in results)
    assert max(e["in_flight"] for e in simulator.accepted()) == 3


async def test_submits_are_paced_to_the_tps(simulator: SmscSimulator) -> None:
    config = smpp_config(simulator, tps=40)
    async with running(SmppProvider(config, RecordingEvents())) as provider:
        loop = asyncio.get_running_loop()
        started = loop.time()
        results = await provider.submit_many([sms("hi", msg_id=f"m{n}") for n in range(9)])
        elapsed = loop.time() - started
    assert all(isinstance(r, Accepted) for r in results)
    # Paced, the ninth submit cannot start before 8 / 40 s; unpaced they all go at once.
    assert elapsed >= 8 / 40
