"""SMPP throughput: messages per second through one bind of smsgate's SMPP provider, at window 1
and window 10, as a ratio to a bare smpp34 client against the same simulator in the same run.

  bare      smpp34.Client: submit_sm with at most `window` outstanding, nothing else
  provider  SmppProvider.submit_many, once with every message in one call (the provider
            pipelines them within the window), and once in batches of the worker's size
            (SMSGATE_OUTBOX_BATCH's default), where each batch's tail drains the window before
            the next batch starts, as in the worker

The simulator (tests/delivery/smpp_simulator.py, smpp34's server) runs in its own process,
answers every submit at once and sends no receipts. Texts are short GSM texts (one part each).

Usage: .venv/bin/python bench/smpp.py [--messages 3000] [--rounds 2]
"""

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

# The repository root, for smsgate and the tests' simulator, however this file was started.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import smpp34

from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.smpp.config import SmppConfig
from smsgate.delivery.providers.smpp.provider import SmppProvider
from smsgate.provider_answers import Accepted
from smsgate.settings import Settings
from tests.delivery.smpp_fixtures import RecordingEvents, running
from tests.delivery.smpp_peer import SmscSimulator

WINDOWS = (1, 10)
MOBILE = "8613800138000"


async def bare_rate(port: int, window: int, count: int) -> float:
    client = smpp34.Client(
        "127.0.0.1", port, "bench", "secret", bind_type="TRX", window_size=window
    )
    session = await client.connect()
    slots = asyncio.Semaphore(window)

    async def submit(n: int) -> None:
        async with slots:
            answer = await session.submit_sm(MOBILE, f"bench {n:06}".encode(), source_addr="1069")
            assert answer.is_success, answer.command_status

    started = time.perf_counter()
    await asyncio.gather(*(submit(n) for n in range(count)))
    elapsed = time.perf_counter() - started
    await session.unbind()
    await client.stop()
    return count / elapsed


async def provider_rate(port: int, window: int, count: int, batch: int) -> float:
    config = SmppConfig(
        name="bench",
        host="127.0.0.1",
        port=port,
        system_id="bench",
        password="secret",
        source_addr="1069",
        window=window,
        registered_delivery=False,
    )
    messages = [
        OutboundMessage(f"m{n:06}", "sms", "+" + MOBILE, f"bench {n:06}") for n in range(count)
    ]
    async with running(SmppProvider(config, RecordingEvents())) as provider:
        started = time.perf_counter()
        for start in range(0, count, batch):
            results = await provider.submit_many(messages[start : start + batch])
            assert all(isinstance(r, Accepted) for r in results), results
        elapsed = time.perf_counter() - started
    return count / elapsed


async def measure(simulator: SmscSimulator, count: int, rounds: int) -> None:
    batch = Settings().outbox_batch
    print(f"{count} messages a run, best of {rounds} runs (medians in brackets)")
    heading = ["window", "bare msg/s", "provider, one call", f"provider, batches of {batch}"]
    print(f"{heading[0]:>6} {heading[1]:>16} {heading[2]:>24} {heading[3]:>28}")
    for window in WINDOWS:
        bare: list[float] = []
        whole: list[float] = []
        batched: list[float] = []
        for _ in range(rounds):  # interleaved, so a busy moment of the machine hits all three
            bare.append(await bare_rate(simulator.port, window, count))
            whole.append(await provider_rate(simulator.port, window, count, count))
            batched.append(await provider_rate(simulator.port, window, count, batch))
        best = max(bare)
        print(
            f"{window:>6} {rate(bare):>16} {rate(whole):>17} = {max(whole) / best:.2f}"
            f" {rate(batched):>21} = {max(batched) / best:.2f}"
        )


def rate(runs: list[float]) -> str:
    """The best run, and the median in brackets."""
    return f"{max(runs):.0f} ({statistics.median(runs):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    simulator = SmscSimulator("--quiet")
    simulator.start()
    try:
        asyncio.run(measure(simulator, args.messages, args.rounds))
    finally:
        simulator.kill()


if __name__ == "__main__":
    main()
