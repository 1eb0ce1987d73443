"""A burst through the SMPP provider while the SMSC crashes and comes back: nothing is lost, and
only submits that never got a submit_sm_resp are sent again."""

import asyncio
from collections import Counter

from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import DOWN
from smsgate.delivery.providers.smpp.provider import SmppProvider
from smsgate.provider_answers import Accepted, TryLater
from tests.delivery.smpp_fixtures import RecordingEvents, running, smpp_config
from tests.delivery.smpp_peer import SmscSimulator

BURST = 500
BATCH = 100  # what the worker claims at once
BINDS, WINDOW = 2, 10


async def crash_and_restart(simulator: SmscSimulator, provider: SmppProvider) -> None:
    await simulator.until(lambda: len(simulator.accepted()) >= BURST * 3 // 10)  # mid-batch
    simulator.kill()
    async with asyncio.timeout(30):
        await provider.link.until(DOWN)  # no bind up
    simulator.start()


async def test_a_burst_survives_the_smsc_crashing_midway() -> None:
    simulator = SmscSimulator("--receipt-delay", "3600", "--answer-delay", "0.02")
    simulator.start()
    config = smpp_config(simulator, binds=BINDS, window=WINDOW, connect_timeout_seconds=2)
    messages = {
        f"m{n:03}": OutboundMessage(f"m{n:03}", "sms", "+8613800138000", f"burst {n:03}")
        for n in range(BURST)
    }
    accepted: dict[str, list[Accepted]] = {}
    deferred: Counter[str] = Counter()
    try:
        async with running(SmppProvider(config, RecordingEvents())) as provider:
            crash = asyncio.create_task(crash_and_restart(simulator, provider))
            pending = dict(messages)
            while pending:  # the worker's loop: submit what is due, retry what must be tried again
                batch = list(pending.values())[:BATCH]
                for message, result in zip(batch, await provider.submit_many(batch), strict=True):
                    if isinstance(result, Accepted):
                        accepted.setdefault(message.msg_id, []).append(result)
                        del pending[message.msg_id]
                    else:
                        assert isinstance(result, TryLater), result
                        deferred[message.msg_id] += 1
            await crash
            await simulator.until(lambda: len(simulator.accepted()) >= BURST)
    finally:
        simulator.kill()

    assert simulator.starts == 2 and deferred  # the crash did hit the burst
    assert all(len(results) == 1 for results in accepted.values()) and len(accepted) == BURST
    at_smsc: dict[str, list[str]] = {}
    for event in simulator.accepted():
        text = bytes.fromhex(event["sm"]).decode()
        at_smsc.setdefault(text, []).append(event["message_id"])
    for msg_id, [result] in accepted.items():
        ids = at_smsc[messages[msg_id].text]
        # What smsgate recorded is what the SMSC last gave this message.
        assert result.provider_message_id in ids
        # A message went out twice only if its first submit never got its answer.
        assert len(ids) == 1 or deferred[msg_id] > 0
    twice = [text for text, ids in at_smsc.items() if len(ids) > 1]
    assert len(twice) <= BINDS * WINDOW  # at most the submits in flight when it crashed
