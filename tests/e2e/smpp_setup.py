"""A running `smsgate serve` delivering over SMPP to simulators, seen from a test: the app's
credentials, what each SMSC received, and message statuses read from the server's database."""

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from smsgate.db.engine import Database
from smsgate.db.models import Message, PendingReport
from tests.delivery.smpp_peer import Event, SmscSimulator

from .server import SmsgateServer

WAIT_SECONDS = 30.0


class SmppSetup:
    def __init__(self, server: SmsgateServer, simulator: SmscSimulator, database_url: str):
        self.server = server
        self.simulator = simulator
        self.database_url = database_url
        banner = server.log_tail(400)
        key, secret = (
            re.search(r"appKey:\s+(\S+)", banner),
            re.search(r"masterSecret:\s+(\S+)", banner),
        )
        assert key and secret, banner
        self.app_key = key.group(1)
        self.auth = (key.group(1), secret.group(1))

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.server.base_url}{path}", json=body, auth=self.auth, timeout=10)

    def submits_to(self, dest: str) -> list[Event]:
        return [e for e in self.simulator.of_kind("submit") if e["dest"] == dest]

    def wait_for(self, ready: Callable[[], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
        deadline = time.monotonic() + seconds
        while not (found := ready()):
            if time.monotonic() > deadline:
                raise AssertionError(f"waited for {what}\n{self.server.log_tail()}")
            time.sleep(0.1)
        return found

    def message(self, msg_id: str) -> tuple[str, int | None, int]:
        query = select(Message.status, Message.report_status, Message.segments).where(
            Message.id == msg_id
        )

        async def read() -> tuple[str, int | None, int]:
            db = Database(self.database_url)
            try:
                row = await db.read(lambda conn: conn.execute(query).one())
                return row[0], row[1], row[2]
            finally:
                await db.dispose()

        return asyncio.run(read())

    def statuses(self, msg_ids: list[str]) -> dict[str, tuple[str, int | None]]:
        query = select(Message.id, Message.status, Message.report_status).where(
            Message.id.in_(msg_ids)
        )

        async def read() -> dict[str, tuple[str, int | None]]:
            db = Database(self.database_url)
            try:
                rows = await db.read(lambda conn: conn.execute(query).all())
                return {row[0]: (row[1], row[2]) for row in rows}
            finally:
                await db.dispose()

        return asyncio.run(read())

    def pending(self) -> int:
        """Reports kept for an id not recorded (yet)."""

        async def read() -> int:
            db = Database(self.database_url)
            try:
                query = select(func.count()).select_from(PendingReport)
                return int(await db.read(lambda conn: conn.execute(query).scalar_one()))
            finally:
                await db.dispose()

        return asyncio.run(read())

    def wait_final(self, msg_id: str) -> tuple[str, int | None, int]:
        return self.wait_for(
            lambda: (m := self.message(msg_id))[0] in ("delivered", "failed") and m,
            f"a final status for {msg_id}",
        )


def sent_text(parts: list[Event]) -> str:
    """The text the SMSC received: UCS-2 parts in order, each after its UDH."""
    ordered = sorted(parts, key=lambda p: bytes.fromhex(p["sm"])[5] if p["esm_class"] else 0)
    body = b""
    for part in ordered:
        raw = bytes.fromhex(part["sm"])
        body += raw[raw[0] + 1 :] if part["esm_class"] & 0x40 else raw
    return body.decode("utf-16-be")
