"""/healthz and /readyz: ready only with the database reachable and at head, loops beating,
providers configured, and the process not stopping."""

import os
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import Connection, text

from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.db.migrate import migrate, schema_head
from smsgate.delivery.providers.sandbox import SandboxProvider
from smsgate.observability.endpoints import create_metrics_app
from smsgate.observability.health import readiness
from smsgate.telemetry.process_state import Heartbeats, ProcessState

STUCK_AFTER = 120.0
POSTGRES_URL = os.environ.get("SMSGATE_TEST_POSTGRES_URL")


async def test_healthz_and_readyz_answer_json_outside_v1(api: AsyncClient) -> None:
    health = await api.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = await api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["ready"] is True
    assert set(ready.json()["checks"]) == {"database", "loops", "providers", "process"}
    unknown = await api.get("/v1/readyz")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, 50016)


async def test_ready_with_beating_loops_and_a_provider(ctx: Context) -> None:
    now = [1000.0]
    state = ProcessState(heartbeats=Heartbeats(lambda: now[0]))
    state.provider = SandboxProvider(ctx.db, 0.0)
    state.heartbeats.beat("delivery")
    now[0] += STUCK_AFTER  # exactly at the limit is still alive
    ready = await readiness(ctx.db, state, STUCK_AFTER)
    assert ready.ready, ready.checks
    assert ready.checks["providers"] == {"ok": True, "delivering": True, "names": ["sandbox"]}


async def test_a_stuck_loop_is_not_ready(ctx: Context) -> None:
    now = [1000.0]
    state = ProcessState(heartbeats=Heartbeats(lambda: now[0]))
    state.heartbeats.beat("delivery")
    state.heartbeats.beat("callbacks")
    now[0] += STUCK_AFTER / 2
    state.heartbeats.beat("callbacks")
    now[0] += STUCK_AFTER / 2 + 0.001
    ready = await readiness(ctx.db, state, STUCK_AFTER)
    assert not ready.ready
    assert ready.checks["loops"]["ok"] is False
    assert ready.checks["loops"]["reason"] == "no heartbeat for 120 s: delivery"
    assert ready.checks["database"]["ok"] is True


async def test_a_loop_without_a_first_pass_is_not_ready(ctx: Context) -> None:
    now = [1000.0]
    state = ProcessState(heartbeats=Heartbeats(lambda: now[0]))
    state.heartbeats.expect("delivery", "gauges")
    state.heartbeats.beat("gauges")
    ready = await readiness(ctx.db, state, STUCK_AFTER)
    assert not ready.ready
    assert ready.checks["loops"]["reason"] == "no first pass yet: delivery"
    assert ready.checks["loops"]["age_seconds"] == {"gauges": 0.0}
    state.heartbeats.beat("delivery")
    assert (await readiness(ctx.db, state, STUCK_AFTER)).ready


async def test_a_stopping_process_is_not_ready(ctx: Context) -> None:
    ctx.process.stopping.set()
    ready = await readiness(ctx.db, ctx.process, STUCK_AFTER)
    assert not ready.ready
    assert ready.checks["process"] == {"ok": False, "reason": "stopping"}


async def test_a_schema_behind_the_code_is_not_ready(ctx: Context) -> None:
    def stamp(revision: str | None) -> Callable[[Connection], object]:
        return lambda conn: conn.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": revision}
        )

    await ctx.db.write(stamp("0001"))
    try:  # the PostgreSQL test database is shared by the session: put the head back
        ready = await readiness(ctx.db, ctx.process, STUCK_AFTER)
    finally:
        await ctx.db.write(stamp(schema_head()))
    assert not ready.ready
    assert ready.checks["database"]["reason"] == "schema not at head"
    assert ready.checks["database"]["head"] == schema_head()


@pytest.fixture
async def own_sqlite(tmp_path: object) -> AsyncIterator[tuple[Database, str]]:
    path = f"{tmp_path}/own.db"
    db = Database(f"sqlite:///{path}")
    await migrate(db)
    yield db, path
    await db.dispose()


async def test_sqlite_file_removed_is_not_ready(own_sqlite: tuple[Database, str]) -> None:
    db, path = own_sqlite
    assert (await readiness(db, ProcessState(), STUCK_AFTER)).ready
    os.remove(path)
    ready = await readiness(db, ProcessState(), STUCK_AFTER)
    assert not ready.ready
    assert ready.checks["database"] == {"ok": False, "reason": "database file missing"}


async def _admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.mark.skipif(not POSTGRES_URL, reason="SMSGATE_TEST_POSTGRES_URL is not set")
async def test_postgres_database_dropped_is_not_ready() -> None:
    assert POSTGRES_URL is not None
    name = f"smsgate_ready_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    db = Database(POSTGRES_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        await migrate(db)
        assert (await readiness(db, ProcessState(), STUCK_AFTER)).ready
        await _admin(f'DROP DATABASE "{name}" WITH (FORCE)')
        ready = await readiness(db, ProcessState(), STUCK_AFTER)
        assert not ready.ready
        assert ready.checks["database"]["reason"].startswith("unreachable")
    finally:
        await db.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_an_unreachable_postgres_is_not_ready() -> None:
    db = Database("postgresql://smsgate@127.0.0.1:9/nowhere")  # the discard port: refused
    try:
        ready = await readiness(db, ProcessState(), STUCK_AFTER)
    finally:
        await db.dispose()
    assert not ready.ready
    assert ready.checks["database"]["reason"].startswith("unreachable")


async def test_the_metrics_port_serves_metrics_and_health(ctx: Context, api: AsyncClient) -> None:
    await api.get("/healthz")
    transport = ASGITransport(app=create_metrics_app(ctx))
    async with AsyncClient(transport=transport, base_url="http://metrics") as client:
        scraped = await client.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain; version=")
        assert (
            'smsgate_api_requests_total{code="0",method="GET",route="/healthz",status="200"}'
            in scraped.text
        )
        assert (await client.get("/readyz")).json()["ready"] is True
        assert (await client.get("/healthz")).status_code == 200
