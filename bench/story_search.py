"""`smsgate messages show` and `search` on a million messages: how long each query takes on
SQLite and on PostgreSQL.

A fresh database of each kind is migrated with smsgate's own migrations and filled in bulk with
`--messages` messages spread over the last three days (the reports' retention) across 20 apps
and 200,000 numbers: 90% delivered, 5% failed, 3% submitted, 2% still accepted; each delivered
or failed message has a submitted and a receipt event, a third of them a code check, and one
send in twenty was refused (an event of its own with its number). Then every query runs
through smsgate's own service functions (the ones the commands call), `--rounds` times each,
and the median and slowest times are printed.

Usage: .venv/bin/python bench/story_search.py [--messages 1000000] [--rounds 20]
           [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--sqlite-only]
"""

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from smsgate.db.engine import Database
from smsgate.db.migrate import migrate
from smsgate.story.repository import Filters
from smsgate.story.service import message_story, search_messages

APPS = 20
NUMBERS = 200_000
DAY_MS = 86_400_000
CHUNK = 50_000
STATUSES = (("delivered", 90), ("failed", 5), ("submitted", 3), ("accepted", 2))
MESSAGE_COLUMNS = [
    "id",
    "app_id",
    "kind",
    "channel",
    "mobile",
    "template_id",
    "content",
    "segments",
    "quota_category",
    "quota_units",
    "status",
    "report_status",
    "provider",
    "provider_message_id",
    "created_at",
    "submitted_at",
    "reported_at",
    "request_id",
]
EVENT_COLUMNS = ("msg_id", "app_id", "at", "kind", "mobile", "request_id", "data")


def msg_id(at_ms: int, rng: random.Random) -> str:
    value = (at_ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62)
    return str(uuid.UUID(int=value | rng.getrandbits(62)))


def mobile(n: int) -> str:
    return f"+86138{n:08d}"


def generate(count: int, now: int) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (message rows, event rows), oldest first."""
    rng = random.Random(7)
    statuses = [name for name, share in STATUSES for _ in range(share)]
    start = now - 3 * DAY_MS
    for first in range(0, count, CHUNK):
        messages, events = [], []
        for n in range(first, min(first + CHUNK, count)):
            at = start + n * 3 * DAY_MS // count
            app, number = 1 + n % APPS, mobile(rng.randrange(NUMBERS))
            if n % 20 == 19:  # a refused send
                data = '{"error_code":50009,"rule":"frequency limit: code 1/60","kind":"code"}'
                events.append((None, app, at, "refused", number, f"req{n:x}", data))
                continue
            ident, status = msg_id(at, rng), rng.choice(statuses)
            final = status in ("delivered", "failed")
            report = (4001 if status == "delivered" else 4003) if final else None
            reported = at + 900 if final else None
            sent = ("sandbox", ident, at, at + 50, reported, f"req{n:x}")
            messages.append(
                (ident, app, "code", "sms", number, 1, None, 1, None, 0, status, report, *sent)
            )
            if status != "accepted":
                events.append((ident, None, at + 50, "submitted", None, None, '{"try":1}'))
            if final:
                receipt = f'{{"provider":"sandbox","status":{report}}}'
                events.append((ident, None, at + 900, "receipt", None, None, receipt))
                if n % 3 == 0:
                    verify = '{"outcome":"right"}'
                    events.append((ident, None, at + 9000, "verify", None, f"v{n:x}", verify))
        yield messages, events


def fill_sqlite(path: Path, count: int, now: int) -> None:
    conn = sqlite3.connect(path)
    _apps(conn.executemany)
    insert_messages = _insert("messages", MESSAGE_COLUMNS, "?")
    insert_events = _insert("message_events", EVENT_COLUMNS, "?")
    for messages, events in generate(count, now):
        conn.executemany(insert_messages, messages)
        conn.executemany(insert_events, events)
        conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


async def fill_postgres(url: str, count: int, now: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await _apps_async(conn)
        for messages, events in generate(count, now):
            await conn.copy_records_to_table("messages", records=messages, columns=MESSAGE_COLUMNS)
            await conn.copy_records_to_table(
                "message_events", records=events, columns=list(EVENT_COLUMNS)
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


APP_SQL = (
    "INSERT INTO apps (id, app_key, secret_hash, name, sms_enabled, created_at, blocked) "
    "VALUES ({}, {}, 'x', 'bench', true, 0, false)"
)


def _app_rows() -> list[tuple[int, str]]:
    return [(n, f"benchapp{n:016d}") for n in range(1, APPS + 1)]


def _apps(executemany: Callable[[str, list[tuple[int, str]]], object]) -> None:
    executemany(APP_SQL.format("?", "?"), _app_rows())


async def _apps_async(conn: asyncpg.Connection) -> None:
    await conn.executemany(APP_SQL.format("$1", "$2"), _app_rows())


def _insert(table: str, columns: list[str] | tuple[str, ...], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(mark * len(columns))})"


async def timed(work: Callable[[], Awaitable[object]], rounds: int) -> tuple[float, float]:
    await work()  # warm the caches once
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


async def measure(db: Database, now: int, rounds: int) -> dict[str, tuple[float, float]]:
    rng = random.Random(11)
    some = await search_messages(db, Filters(status="delivered", limit=500))
    ids = [found["msg_id"] for found in some]
    number = mobile(rng.randrange(NUMBERS))
    hour_ago = now - 3_600_000
    queries: dict[str, Callable[[], Awaitable[object]]] = {
        "show MSG_ID": lambda: message_story(db, rng.choice(ids)),
        "search (no filter)": lambda: search_messages(db, Filters()),
        "search --mobile M": lambda: search_messages(db, Filters(mobile=number)),
        "search --app KEY": lambda: search_messages(db, Filters(app_id=3)),
        "search --status failed": lambda: search_messages(db, Filters(status="failed")),
        "search --status accepted": lambda: search_messages(db, Filters(status="accepted")),
        "search --status refused": lambda: search_messages(db, Filters(status="refused")),
        "search --since 1h": lambda: search_messages(db, Filters(since=hour_ago)),
        "search --app KEY --status failed": lambda: search_messages(
            db, Filters(app_id=3, status="failed")
        ),
        "search --mobile M --since 1h": lambda: search_messages(
            db, Filters(mobile=number, since=hour_ago)
        ),
        "search --limit 1000": lambda: search_messages(db, Filters(limit=1000)),
    }
    return {name: await timed(work, rounds) for name, work in queries.items()}


async def run_backend(
    url: str, fill: Callable[[int], Awaitable[None]], args: Any
) -> dict[str, Any]:
    db = Database(url)
    await migrate(db)
    now = int(time.time() * 1000)
    started = time.perf_counter()
    await fill(now)
    filled = time.perf_counter() - started
    try:
        return {"fill_seconds": filled, "queries": await measure(db, now, args.rounds)}
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "story.db"

        async def fill_lite(now: int) -> None:
            await asyncio.to_thread(fill_sqlite, path, args.messages, now)

        results["SQLite"] = await run_backend(f"sqlite:///{path}", fill_lite, args)
    if not args.sqlite_only:
        name = f"smsgate_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
        try:

            async def fill_pg(now: int) -> None:
                await fill_postgres(url, args.messages, now)

            results["PostgreSQL"] = await run_backend(url, fill_pg, args)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    report(results, args)


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    print(f"{args.messages} messages, median / slowest of {args.rounds} rounds, in ms")
    names = list(next(iter(results.values()))["queries"])
    print("| query | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        cells = [
            f"{r['queries'][name][0]:.2f} / {r['queries'][name][1]:.2f}" for r in results.values()
        ]
        print(f"| `{name}` | " + " | ".join(cells) + " |")
    for backend, result in results.items():
        print(f"{backend}: filled in {result['fill_seconds']:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
