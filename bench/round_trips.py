"""Database round trips per accepted send on PostgreSQL, counted at the driver (asyncpg).

Runs smsgate's app in this process on a new database of the given server, sends codes through
POST /v1/codes with the default frequency limits (a new number each time) and counts, per send,
what asyncpg sent to the server: BEGIN, COMMIT and ROLLBACK, statements prepared (the first use
of a statement text on a connection) and statements executed. The delivery worker is off, so
only the accept path is counted; the first sends warm the prepared-statement caches.

Usage: .venv/bin/python bench/round_trips.py postgresql://postgres@127.0.0.1:5432/postgres
       [--sends 200]
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import asyncpg.prepared_stmt
import httpx
from scale import new_database, prepare_on
from smsgate_setup import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))  # smsgate of this checkout

from smsgate.app import create_app
from smsgate.context import open_context
from smsgate.settings import Settings

COUNTS: Counter[str] = Counter()
STATEMENTS: Counter[str] = Counter()  # the statements executed, by the start of their text
WARM_SENDS = 50


def count_round_trips() -> None:
    """Wrap the asyncpg calls that each cost one round trip to the server."""

    def counted(owner: type, name: str, label: Callable[[tuple[Any, ...]], str]) -> None:
        original = getattr(owner, name)

        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            COUNTS[label(args)] += 1
            return await original(self, *args, **kwargs)

        setattr(owner, name, wrapper)

    def simple(args: tuple[Any, ...]) -> str:
        return str(args[0]).split()[0].upper() if args else "execute"

    counted(asyncpg.Connection, "execute", simple)  # BEGIN / COMMIT / ROLLBACK, bare SQL
    counted(asyncpg.Connection, "prepare", lambda _: "prepare")
    counted(asyncpg.Connection, "fetchrow", lambda args: "ping" if args[:1] == (";",) else "row")
    prepared = asyncpg.prepared_stmt.PreparedStatement
    for name in ("fetch", "executemany"):
        original = getattr(prepared, name)

        def wrapper_for(original: Any) -> Any:
            async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                COUNTS["statement"] += 1
                STATEMENTS[" ".join(self.get_query().split())[:90]] += 1
                return await original(self, *args, **kwargs)

            return wrapper

        setattr(prepared, name, wrapper_for(original))


async def measure(url: str, sends: int, auth: str, temp_id: int, data: Path) -> dict[str, float]:
    settings = Settings(
        database_url=url,
        embedded_worker=False,
        create_demo=False,
        data_dir=data,
        console=False,
        log_level="warning",
        access_log=False,
    )
    ctx = open_context(settings)
    app = create_app(settings, ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        headers = {"Authorization": auth}

        async def send(n: int) -> None:
            body = {"mobile": f"1370000{n:04d}", "temp_id": temp_id}
            answer = await client.post("/v1/codes", json=body, headers=headers)
            assert answer.status_code == 200, answer.text

        for n in range(WARM_SENDS):
            await send(n)
        COUNTS.clear()
        STATEMENTS.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        for n in range(WARM_SENDS, WARM_SENDS + sends):
            await send(n)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    await ctx.close()
    per_send = {kind: count / sends for kind, count in sorted(COUNTS.items())}
    per_send["ms per send, one at a time"] = 1000 * elapsed / sends
    per_send["of it CPU of this process (ms)"] = 1000 * cpu / sends
    return per_send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("admin_url", help="PostgreSQL server (a new database is made on it)")
    parser.add_argument("--sends", type=int, default=200)
    args = parser.parse_args()
    with (
        new_database(args.admin_url) as url,
        tempfile.TemporaryDirectory(prefix="smsgate-rt-") as tmp,
    ):
        setup = prepare_on(url, Path(tmp))
        count_round_trips()
        per_send = asyncio.run(
            measure(url, args.sends, setup.auth, setup.temp_id, Path(tmp) / "data")
        )
    print("statements per send:")
    for statement, count in STATEMENTS.most_common():
        print(f"  {count / args.sends:5.2f}  {statement}")
    print(json.dumps(per_send, indent=1))
    trips = sum(v for k, v in per_send.items() if not k.startswith(("ms", "of it")))
    print(f"round trips per send: {trips:.2f}")


if __name__ == "__main__":
    main()
