"""The operator console's pages on a million messages: how long each takes to answer.

A fresh database (SQLite, and PostgreSQL when `--postgres URL` is given) is migrated with
smsgate's own migrations and filled in bulk: `--messages` messages over the last `--days` days
across 20 apps (three templates each) and 200,000 numbers, 40% codes (three in five of them
verified), 50% notifications, 10% marketing; 90% delivered, 5% failed, 3% submitted, 2%
accepted; each sent one with its submitted and receipt events, one send in twenty refused (an
event of its own). Besides: 20,000 schedules (pending, sent, cancelled) and 50,000 replies.

Then each page is requested through the real ASGI app (routing, session check, templates) by a
signed-in operator, `--rounds` times, and the median and slowest times are printed.

Usage: .venv/bin/python bench/console.py [--messages 1000000] [--days 30] [--rounds 10]
           [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

import argparse
import asyncio
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import httpx

from smsgate.app import create_app
from smsgate.console.accounts import create_operator
from smsgate.context import open_context
from smsgate.db.engine import Database
from smsgate.db.migrate import migrate
from smsgate.settings import Settings

APPS = 20
NUMBERS = 200_000
SCHEDULES = 20_000
REPLIES = 50_000
DAY_MS = 86_400_000
CHUNK = 50_000
PASSWORD = "bench operator password"
STATUSES = [
    s for s, share in (("delivered", 90), ("failed", 5), ("submitted", 3)) for _ in range(share)
]
STATUSES += ["accepted", "accepted"]
KINDS = ["code"] * 4 + ["notification"] * 5 + ["marketing"]
COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": (
        "id", "app_id", "kind", "channel", "mobile", "template_id", "content", "segments",
        "quota_category", "quota_units", "status", "report_status", "provider",
        "provider_message_id", "created_at", "submitted_at", "reported_at", "request_id",
    ),
    "message_events": ("msg_id", "app_id", "at", "kind", "mobile", "request_id", "data"),
    "verification_codes": (
        "msg_id", "app_id", "code_hash", "expires_at", "attempts", "verified_at",
    ),
    "schedules": (
        "id", "app_id", "kind", "temp_id", "sign_id", "tag", "recipients", "send_at", "status",
        "version", "lease_until", "created_at", "updated_at", "sent_at",
    ),
    "replies": ("app_id", "mobile", "reply_number", "text", "received_at"),
}  # fmt: skip
APP_SQL = (
    "INSERT INTO apps (id, app_key, secret_hash, name, sms_enabled, created_at, blocked) "
    "VALUES ({}, {}, 'x', 'bench', true, 0, false)"
)


def new_id(at_ms: int, rng: random.Random) -> str:
    """A UUIDv7 of that time, as smsgate's msg_ids are."""
    value = (at_ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62)
    return str(uuid.UUID(int=value | rng.getrandbits(62)))


def mobile(n: int) -> str:
    return f"+86138{n:08d}"


def app_key(n: int) -> str:
    return f"benchapp{n:016d}"


Rows = dict[str, list[tuple[Any, ...]]]


def messages(count: int, days: int, now: int) -> Iterator[Rows]:
    """Chunks of rows per table, oldest first."""
    rng = random.Random(7)
    start = now - days * DAY_MS
    for first in range(0, count, CHUNK):
        rows: Rows = {"messages": [], "message_events": [], "verification_codes": []}
        for n in range(first, min(first + CHUNK, count)):
            at = start + n * days * DAY_MS // count
            app, number = 1 + n % APPS, mobile(rng.randrange(NUMBERS))
            if n % 20 == 19:
                data = '{"error_code":50009,"rule":"frequency limit","kind":"code"}'
                rows["message_events"].append((None, app, at, "refused", number, None, data))
                continue
            _message(rows, rng, n, at, app, number)
        yield rows


def _message(rows: Rows, rng: random.Random, n: int, at: int, app: int, number: str) -> None:
    ident, status, kind = new_id(at, rng), rng.choice(STATUSES), KINDS[n % len(KINDS)]
    final = status in ("delivered", "failed")
    report = (4001 if status == "delivered" else 4004) if final else None
    reported = at + 900 if final else None
    template = app * 10 + KINDS.index(kind) + rng.randrange(2) * (kind == "code")
    content = None if kind == "code" else "【bench】您的订单已发货。"
    sent = ("sandbox", ident, at, at + 50, reported, f"req{n:x}")
    rows["messages"].append(
        (ident, app, kind, "sms", number, template, content, 1, None, 0, status, report, *sent)
    )
    if status != "accepted":
        rows["message_events"].append((ident, None, at + 50, "submitted", None, None, "{}"))
    if final:
        receipt = f'{{"provider":"sandbox","status":{report}}}'
        rows["message_events"].append((ident, None, reported, "receipt", None, None, receipt))
    if kind == "code":
        verified = at + 20_000 if rng.random() < 0.6 else None
        rows["verification_codes"].append((ident, app, "x" * 64, at + 300_000, 0, verified))


def others(days: int, now: int) -> Rows:
    rng = random.Random(9)
    rows: Rows = {"schedules": [], "replies": []}
    for n in range(SCHEDULES):
        send_at = now + rng.randrange(-days * DAY_MS, 7 * DAY_MS)
        status = "pending" if send_at > now else rng.choice(["sent"] * 9 + ["deleted"])
        status = "deleted" if status == "pending" and n % 10 == 0 else status
        app = 1 + n % APPS
        recipients = json.dumps(
            [{"msg_id": new_id(send_at, rng), "mobile": "13800138000", "number": mobile(n),
              "temp_para": {"name": "张三", "order": str(n)}}]
        )  # fmt: skip
        created = min(send_at, now) - 3_600_000
        sent_at = send_at if status == "sent" else None
        rows["schedules"].append(
            (new_id(created, rng), app, "single", app * 10 + 1, None, None, recipients,
             send_at, status, 1, None, created, created, sent_at)
        )  # fmt: skip
    for n in range(REPLIES):
        at = now - days * DAY_MS + n * days * DAY_MS // REPLIES
        app = 1 + n % APPS
        rows["replies"].append(
            (app, mobile(rng.randrange(NUMBERS)), f"1069{app:04d}", "收到，谢谢", at)
        )
    return rows


def _insert(table: str, mark: str) -> str:
    columns = COLUMNS[table]
    marks = ", ".join(mark.format(n + 1) for n in range(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def fill_sqlite(path: Path, count: int, days: int, now: int) -> None:
    conn = sqlite3.connect(path)
    conn.executemany(APP_SQL.format("?", "?"), [(n, app_key(n)) for n in range(1, APPS + 1)])
    for chunk in [*messages(count, days, now), others(days, now)]:
        for table, rows in chunk.items():
            conn.executemany(_insert(table, "?"), rows)
        conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


async def fill_postgres(url: str, count: int, days: int, now: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.executemany(
            APP_SQL.format("$1", "$2"), [(n, app_key(n)) for n in range(1, APPS + 1)]
        )
        for chunk in [*messages(count, days, now), others(days, now)]:
            for table, rows in chunk.items():
                await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
        await conn.execute("VACUUM ANALYZE")  # as autovacuum leaves a table in use
    finally:
        await conn.close()


def field_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M")


def pages(sample_id: str, number: str, now: int) -> dict[str, str]:
    """Each page, with a message, a number and an app the database has."""
    key = app_key(3)
    window = f"since={field_time(now - 2 * DAY_MS)}&until={field_time(now - DAY_MS)}"
    return {
        "overview": "/console/overview",
        "messages (no filter)": "/console/messages",
        "messages by number": f"/console/messages?mobile={number}",
        "messages by msg_id": f"/console/messages?msg_id={sample_id}",
        "messages by app+status+time": f"/console/messages?app={key}&status=failed&{window}",
        "message page": f"/console/messages/{sample_id}",
        "schedules (no filter)": "/console/schedules",
        "schedules pending of an app": f"/console/schedules?app={key}&status=pending",
        "schedules page 20": "/console/schedules?page=20",
        "reports (no filter)": "/console/reports",
        "reports of an app, failed": f"/console/reports?app={key}&status=failed",
        "reports by number": f"/console/reports?mobile={number}",
        "reports of a day": f"/console/reports?{window}",
        "replies (no filter)": "/console/replies",
        "replies of an app": f"/console/replies?app={key}",
        "replies by number": f"/console/replies?mobile={number}",
        "delivery": "/console/delivery",
    }


async def signed_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, "no sign-in form"
    data = {"csrf": token.group(1), "name": "bench", "password": PASSWORD}
    answer = await client.post("/console/login", data=data)
    assert answer.status_code == 303, answer.text


async def measure(url: str, data_dir: Path, now: int, rounds: int) -> dict[str, list[float]]:
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="bench",
        embedded_worker=False,
        create_demo=False,
    )
    ctx = open_context(settings)
    try:
        await create_operator(ctx.db, "bench", PASSWORD)
        sample = await ctx.db.read(
            lambda conn: conn.exec_driver_sql(
                "SELECT id, mobile FROM messages WHERE status = 'delivered' "
                "ORDER BY created_at DESC LIMIT 1 OFFSET 500"
            ).one()
        )
        transport = httpx.ASGITransport(app=create_app(settings, ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await signed_in(client)
            chosen = pages(sample.id, sample.mobile[3:], now)
            return {name: await _timed(client, path, rounds) for name, path in chosen.items()}
    finally:
        await ctx.close()


async def _timed(client: httpx.AsyncClient, path: str, rounds: int) -> list[float]:
    first = await client.get(path)  # warms the caches once
    assert first.status_code == 200, (path, first.status_code)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    return times


async def run_sqlite(args: Any, now: int) -> tuple[float, dict[str, list[float]]]:
    with tempfile.TemporaryDirectory(prefix="smsgate-console-bench-") as directory:
        path = Path(directory) / "console.db"
        db = Database(f"sqlite:///{path}")
        await migrate(db)
        await db.dispose()
        started = time.perf_counter()
        await asyncio.to_thread(fill_sqlite, path, args.messages, args.days, now)
        filled = time.perf_counter() - started
        return filled, await measure(f"sqlite:///{path}", Path(directory), now, args.rounds)


async def run_postgres(args: Any, now: int) -> tuple[float, dict[str, list[float]]]:
    name = f"smsgate_console_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    try:
        db = Database(url)
        await migrate(db)
        await db.dispose()
        started = time.perf_counter()
        await fill_postgres(url, args.messages, args.days, now)
        filled = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix="smsgate-console-bench-") as directory:
            return filled, await measure(url, Path(directory), now, args.rounds)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--postgres", help="a PostgreSQL URL: a database is made beside it")
    args = parser.parse_args()
    now = int(time.time() * 1000)
    results = {"SQLite": await run_sqlite(args, now)}
    if args.postgres:
        results["PostgreSQL"] = await run_postgres(args, now)
    print(f"{args.messages} messages over {args.days} days; median / slowest of {args.rounds}, ms")
    print("| page | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for name in next(iter(results.values()))[1]:
        cells = [
            f"{statistics.median(r[1][name]):.1f} / {max(r[1][name]):.1f}" for r in results.values()
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for backend, (filled, _times) in results.items():
        print(f"{backend}: filled in {filled:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
