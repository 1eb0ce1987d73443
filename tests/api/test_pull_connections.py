"""Pulls over real connections (uvicorn in process, with smsgate's connection watch): a client
that resets its socket after sending GET /v1/report gets those records on its next pull; a client
that took its answer (next request on the connection, a clean close, or connected and quiet past
the grace) never sees a record twice."""

import asyncio
import base64
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from smsgate.app import create_app
from smsgate.connection_watch import WatchedHttpToolsProtocol
from smsgate.context import Context
from smsgate.db.models import PullRecord
from smsgate.reports.service import FinalStatus, record_final_statuses
from tests.api.helpers import scalar
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

PULL_GAP_MS = 5_000


@dataclass
class Served:
    port: int
    answered: "asyncio.Queue[str]" = field(default_factory=asyncio.Queue)  # last byte handed over
    finished: "asyncio.Queue[str]" = field(default_factory=asyncio.Queue)  # the app call ended

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def served(ctx: Context) -> AsyncIterator[Served]:
    app = create_app(ctx.settings, ctx)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    watched = Served(listener.getsockname()[1])

    async def observed(scope: Any, receive: Any, send: Any) -> None:
        async def observed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                watched.answered.put_nowait(scope["path"])

        try:
            await app(scope, receive, observed_send)
        finally:
            watched.finished.put_nowait(scope["path"])

    config = uvicorn.Config(
        observed, http=WatchedHttpToolsProtocol, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield watched
    finally:
        server.should_exit = True
        await serving
        listener.close()


async def add_reports(ctx: Context, tenant: Tenant, count: int) -> list[str]:
    finals = [FinalStatus(f"m{i:05d}", tenant.app_id, "+8613800138000", 4001) for i in range(count)]
    await ctx.db.write(lambda conn: record_final_statuses(conn, finals))
    return [final.msg_id for final in finals]


def raw_pull(tenant: Tenant) -> bytes:
    token = base64.b64encode(f"{tenant.app_key}:{tenant.secret}".encode()).decode()
    return (
        f"GET /v1/report HTTP/1.1\r\nHost: smsgate\r\nAuthorization: Basic {token}\r\n\r\n"
    ).encode()


async def pulled(served: Served, tenant: Tenant) -> list[str]:
    async with httpx.AsyncClient(base_url=served.url) as client:
        response = await client.get("/v1/report", auth=tenant.auth)
    assert response.status_code == 200, response.text
    return [record["msgId"] for record in response.json()]


async def left(ctx: Context) -> int:
    return int(await scalar(ctx, select(func.count()).select_from(PullRecord)))


async def test_a_client_that_resets_after_its_request_gets_the_records_next_time(
    ctx: Context, tenant: Tenant, served: Served, frozen_clock: FrozenClock
) -> None:
    msg_ids = await add_reports(ctx, tenant, 300)
    client = socket.create_connection(("127.0.0.1", served.port))
    client.sendall(raw_pull(tenant))
    assert await served.answered.get() == "/v1/report"  # the whole answer went out...
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # ...and the client dies without reading it: a reset
    assert await served.finished.get() == "/v1/report"
    frozen_clock.advance(PULL_GAP_MS)  # the 5 s rule holds: the lost pull counted
    assert await pulled(served, tenant) == msg_ids
    frozen_clock.advance(PULL_GAP_MS)
    assert await pulled(served, tenant) == []


async def test_the_next_request_on_the_connection_settles_the_answer(
    ctx: Context, tenant: Tenant, served: Served, frozen_clock: FrozenClock
) -> None:
    msg_ids = await add_reports(ctx, tenant, 3)
    async with httpx.AsyncClient(base_url=served.url) as keep_alive:
        first = await keep_alive.get("/v1/report", auth=tenant.auth)
        assert [r["msgId"] for r in first.json()] == msg_ids
        frozen_clock.advance(PULL_GAP_MS)
        second = await keep_alive.get("/v1/report", auth=tenant.auth)
        assert second.json() == []
        assert await served.finished.get() == "/v1/report"
    assert await left(ctx) == 0


async def test_a_client_that_read_the_answer_and_closed_never_sees_it_again(
    ctx: Context, tenant: Tenant, served: Served, frozen_clock: FrozenClock
) -> None:
    await add_reports(ctx, tenant, 3)
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(raw_pull(tenant))
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ).split(b":")[1]
    )
    await reader.readexactly(length)
    writer.close()  # a clean close (FIN)
    assert await served.finished.get() == "/v1/report"
    assert await left(ctx) == 0
    frozen_clock.advance(PULL_GAP_MS)
    assert await pulled(served, tenant) == []


@pytest.mark.parametrize("settings_overrides", [{"report_pull_grace_seconds": 0.05}])
async def test_a_quiet_open_connection_settles_the_answer_after_the_grace(
    ctx: Context, tenant: Tenant, served: Served, frozen_clock: FrozenClock
) -> None:
    msg_ids = await add_reports(ctx, tenant, 3)
    async with httpx.AsyncClient(base_url=served.url) as keep_alive:
        first = await keep_alive.get("/v1/report", auth=tenant.auth)
        assert [r["msgId"] for r in first.json()] == msg_ids
        assert await served.finished.get() == "/v1/report"  # still connected, quiet
        assert await left(ctx) == 0
