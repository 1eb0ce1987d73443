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

    def _read(self, work: Callable[[Any], Any]) -> Any:
        """Run `work` on a connection of the server's database, from this (sync) test."""

        async def read() -> Any:
            db = Database(self.database_url)
            try:
                return await db.read(work)
            finally:
                await db.dispose()

        return asyncio.run(read())

    def message(self, msg_id: str) -> tuple[str, int | None, int]:
        query = select(Message.status, Message.report_status, Message.segments).where(
            Message.id == msg_id
        )
        return self._read(lambda conn: tuple(conn.execute(query).one()))

    def statuses(self, msg_ids: list[str]) -> dict[str, tuple[str, int | None]]:
        query = select(Message.id, Message.status, Message.report_status).where(
            Message.id.in_(msg_ids)
        )
        return self._read(lambda conn: {r[0]: (r[1], r[2]) for r in conn.execute(query)})

    def pending(self) -> int:
        """Reports kept for an id not recorded (yet)."""
        query = select(func.count()).select_from(PendingReport)
        return int(self._read(lambda conn: conn.execute(query).scalar_one()))

    def wait_final(self, msg_id: str) -> tuple[str, int | None, int]:
        return self.wait_for(
            lambda: (m := self.message(msg_id))[0] in ("delivered", "failed") and m,
            f"a final status for {msg_id}",
        )


def sent_text(parts: list[Event]) -> str:
    """The text the SMSC received: UCS-2 parts, joined in the order their UDH numbers them
    (Kannel submits the parts of a long text concurrently, so they may arrive in any order)."""
    assert all(part["data_coding"] == 8 for part in parts)
    pieces = []
    for part in parts:
        raw = bytes.fromhex(part["sm"])
        if part["esm_class"] & 0x40:
            pieces.append((concatenation_number(raw[1 : raw[0] + 1]), raw[raw[0] + 1 :]))
        else:
            pieces.append((1, raw))
    return b"".join(body for _, body in sorted(pieces)).decode("utf-16-be")


def concatenation_number(udh: bytes) -> int:
    """The part number in a UDH's concatenation element (8-bit 0x00 or 16-bit 0x08 reference)."""
    at = 0
    while at < len(udh):
        element, length = udh[at], udh[at + 1]
        data = udh[at + 2 : at + 2 + length]
        if element == 0x00:
            return data[2]
        if element == 0x08:
            return data[3]
        at += 2 + length
    raise AssertionError(f"no concatenation element in UDH {udh.hex()}")
