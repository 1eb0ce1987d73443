"""End to end: messages accepted on POST /v1/messages until they reach the SMSC, next to a bare
smpp34 client with the same binds and window against the same SMSC in the same run.

  smsc      bench/smsc.py in its own process: answers every submit_sm at once and sends a
            DELIVRD receipt for each one that asks for it (registered_delivery), counting
  bare      smpp34.Client x binds, each with `window` outstanding submit_sm, asking receipts
            as smsgate does and reading them; before and after smsgate, the mean is the base
  smsgate   `smsgate serve` (SQLite in a fresh data dir, or --database-url) with an SMPP
            provider of the same binds and window; wrk posts /v1/messages for --duration s,
            then the run waits until every accepted message reached the SMSC (the drain)

The end-to-end rate is the messages the SMSC received from smsgate over the time from the first
to the last of them; the ratio is that rate over the bare client's. Both sides ask for receipts.

Usage: .venv/bin/python bench/e2e.py [--duration 15] [--binds 4] [--window 50] [--rev REV]
       [--database-url URL] [--workers N] [--separate-delivery]
"""

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import smpp34
from jasmin import measure_jasmin, print_jasmin
from scale import wait_until_all_serve
from servers import free_port, running_server, stop
from smsgate_setup import prepare_smsgate, smsgate_source
from wrk import Target, WrkSettings, find_wrk, run_wrk

BENCH_DIR = Path(__file__).resolve().parent

MOBILE = "8613800138000"
FIRST_MOBILE = 13700000000
STALL_SECONDS = 60.0  # no message reached the SMSC for this long: the drain is stuck
LOG_COPY = BENCH_DIR / "results" / "e2e-smsgate.log"


class SmscProcess:
    """bench/smsc.py, asked for its counters over stdin."""

    def __init__(self, nodelay: bool) -> None:
        self.port = free_port()
        command = [sys.executable, str(BENCH_DIR / "smsc.py"), "--port", str(self.port)]
        self.process = subprocess.Popen(
            command + ([] if nodelay else ["--no-nodelay"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        if json.loads(self.process.stdout.readline()).get("event") != "ready":
            raise RuntimeError("the SMSC did not start")

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer


async def bare_rate(port: int, binds: int, window: int, count: int) -> float:
    """Messages a second through `binds` bare smpp34 binds, `window` outstanding on each,
    receipts asked for and read."""
    clients = [
        smpp34.Client("127.0.0.1", port, "bare", "secret", bind_type="TRX", window_size=window)
        for _ in range(binds)
    ]
    sessions = [await client.connect() for client in clients]
    readers = [asyncio.create_task(drain_receipts(session)) for session in sessions]
    per_bind = count // binds

    async def submitter(session: smpp34.Smsc, first: int) -> None:
        slots = asyncio.Semaphore(window)

        async def one(n: int) -> None:
            async with slots:
                answer = await session.submit_sm(
                    MOBILE, f"bench {n:07}".encode(), source_addr="1069", registered_delivery=1
                )
                assert answer.is_success, answer.command_status

        await asyncio.gather(*(one(n) for n in range(first, first + per_bind)))

    started = time.perf_counter()
    await asyncio.gather(*(submitter(s, i * per_bind) for i, s in enumerate(sessions)))
    elapsed = time.perf_counter() - started
    for session in sessions:
        await session.unbind()
    for reader in readers:
        reader.cancel()
    for client in clients:
        await client.stop()
    return per_bind * binds / elapsed


async def drain_receipts(session: smpp34.Smsc) -> None:
    while not isinstance(await session.next(), smpp34.Disconnected):
        pass


def provider_toml(port: int, binds: int, window: int) -> str:
    return (
        "[[providers]]\n"
        'name = "smsc"\ntype = "smpp"\nhost = "127.0.0.1"\n'
        f'port = {port}\nsystem_id = "smsgate"\npassword = "secret"\nsource_addr = "1069"\n'
        f"binds = {binds}\nwindow = {window}\nregistered_delivery = true\n"
    )


@contextmanager
def smsgate_server(args: argparse.Namespace, smsc: SmscProcess, workdir: Path) -> Iterator[Any]:
    setup = prepare_smsgate(workdir, smsgate_source(args.rev, workdir))
    config = workdir / "smsgate.toml"
    config.write_text(provider_toml(smsc.port, args.binds, args.window))
    env = setup.env | {"SMSGATE_CONFIG": str(config)}
    command = [sys.executable, "-m", "smsgate", "serve", "--host", "127.0.0.1", *serve_args(args)]
    with running_server("smsgate", command, workdir, env) as server:
        wait_until_all_serve(server)
        deadline = time.monotonic() + 30
        while smsc.ask("report")["sessions"] < args.binds and time.monotonic() < deadline:
            time.sleep(0.1)
        yield server, setup


def serve_args(args: argparse.Namespace) -> list[str]:
    """The process topology asked for: API processes, delivery in a process of its own."""
    topology = ["--workers", str(args.workers)] if args.workers > 1 else []
    return topology + (["--separate-delivery"] if args.separate_delivery else [])


def measure_smsgate(args: argparse.Namespace, wrk: str, smsc: SmscProcess) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="smsgate-e2e-") as tmp:
        workdir = Path(tmp)
        if args.database_url:
            os.environ["SMSGATE_DATABASE_URL"] = args.database_url
        with smsgate_server(args, smsc, workdir) as (server, setup):
            smsc.ask("reset")
            settings = WrkSettings(1, args.connections, args.duration, 0)
            target = Target(server, "/v1/messages", setup.auth)
            load_started = time.monotonic()
            load_started_ms = time.time_ns() // 1_000_000
            script = ["message", str(FIRST_MOBILE), str(setup.temp_id)]
            result = run_wrk(wrk, settings, args.duration, target, script, "wrk")
            assert result is not None
            load_ended = time.monotonic()
            during = smsc.ask("report")["submits"]
            final = wait_for_drain(smsc, result.ok)
            if final["submits"] < result.ok:  # kept to explain the stall
                LOG_COPY.parent.mkdir(exist_ok=True)
                LOG_COPY.write_bytes((workdir / "smsgate.log").read_bytes())
                print(f"   smsgate's log: {LOG_COPY}")
            statuses = message_statuses(workdir, args.database_url, load_started_ms)
    reached = final["submits"]
    span = max(final["last"] - final["first"], 1e-9)
    return {
        "accepted": result.ok,
        "accepted_rps": result.ok_rps,
        "accept_p99_ms": result.latency_ms["p99"],
        "non_2xx": result.non_2xx,
        "reached": reached,
        "rate": reached / span,
        "during_load_rate": during / (load_ended - load_started),
        "drain_s": max(final["last"] - load_ended, 0.0),
        "receipts_sent": final["receipts"],
        "statuses": statuses,
    }


def wait_for_drain(smsc: SmscProcess, accepted: int) -> dict[str, Any]:
    """The SMSC's counters once every accepted message reached it (or nothing came for
    STALL_SECONDS), and every receipt was sent."""
    report = smsc.ask("report")
    while report["submits"] < accepted or report["receipts"] < report["asked_receipts"]:
        if report["now"] - max(report["last"], report["first"]) > STALL_SECONDS:
            print(f"   stalled: {report['submits']} of {accepted} reached the SMSC")
            break
        time.sleep(0.2)
        report = smsc.ask("report")
    return report


STATUSES = "SELECT status, count(*) FROM messages WHERE created_at >= {since} GROUP BY status"


def message_statuses(workdir: Path, database_url: str | None, since_ms: int) -> dict[str, int]:
    """The run's messages (created since `since_ms`) by status a few seconds after the drain:
    every receipt the SMSC sent should have been applied by then."""
    time.sleep(3)
    query = STATUSES.format(since=int(since_ms))
    if database_url is None:
        with sqlite3.connect(workdir / "data" / "smsgate.db") as conn:
            rows = conn.execute(query).fetchall()
        return {status: count for status, count in rows}

    async def read() -> dict[str, int]:
        url = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(url)
        try:
            return {row[0]: row[1] for row in await connection.fetch(query)}
        finally:
            await connection.close()

    return asyncio.run(read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--binds", type=int, default=4)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--bare-messages", type=int, default=20_000)
    parser.add_argument("--rev", help="measure this git revision of smsgate instead")
    parser.add_argument("--database-url", help="PostgreSQL instead of a fresh SQLite file")
    parser.add_argument(
        "--workers", type=int, default=1, help="smsgate serve --workers N (delivery apart)"
    )
    parser.add_argument(
        "--separate-delivery", action="store_true", help="smsgate serve --separate-delivery"
    )
    parser.add_argument(
        "--no-smsc-nodelay", dest="smsc_nodelay", action="store_false", help="Nagle on at the SMSC"
    )
    parser.add_argument("--with-jasmin", action="store_true", help="Jasmin too (bench/jasmin.py)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    wrk = find_wrk()
    if wrk is None:
        sys.exit(3)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    print(f"smsgate serve {' '.join(serve_args(args)) or '(one process)'}")
    print(f"binds {args.binds}, window {args.window}; both smsgate and the bare client ask for")
    print("receipts (registered_delivery=1); the SMSC answers at once and sends every receipt")
    smsc = SmscProcess(args.smsc_nodelay)
    try:
        bare = [asyncio.run(bare_rate(smsc.port, args.binds, args.window, args.bare_messages))]
        print(f"   bare smpp34 client: {bare[0]:.0f} msg/s")
        e2e = measure_smsgate(args, wrk, smsc)
        jasmin = measure_jasmin(args, wrk, smsc, receipts=True) if args.with_jasmin else None
        bare.append(asyncio.run(bare_rate(smsc.port, args.binds, args.window, args.bare_messages)))
        print(f"   bare smpp34 client again: {bare[1]:.0f} msg/s")
    finally:
        stop_smsc(smsc)
    base = sum(bare) / len(bare)
    print_summary(e2e, base)
    print_jasmin(jasmin, base)


def stop_smsc(smsc: SmscProcess) -> None:
    stop(smsc.process)  # type: ignore[arg-type]  # a text-mode Popen stops the same way


def print_summary(e2e: dict[str, Any], base: float) -> None:
    print(
        f"accepted {e2e['accepted_rps']:.0f} req/s (p99 {e2e['accept_p99_ms']:.1f} ms, "
        f"{e2e['non_2xx']} non-2xx); {e2e['reached']} of {e2e['accepted']} reached the SMSC "
        f"at {e2e['rate']:.0f} msg/s ({e2e['during_load_rate']:.0f} during the load), "
        f"last one {e2e['drain_s']:.1f} s after the load stopped"
    )
    print(f"receipts sent {e2e['receipts_sent']}; messages by status: {e2e['statuses']}")
    print(f"bare smpp34 client {base:.0f} msg/s; ratio {e2e['rate'] / base:.2f}")
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
