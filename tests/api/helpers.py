"""Small assertions shared by the API tests."""

import re
from typing import Any

import httpx
from sqlalchemy import Row
from sqlalchemy.sql.base import Executable

from smsgate.context import Context
from smsgate.delivery.providers.sandbox import sandbox_inbox
from smsgate.delivery.repository import InboxEntry


def assert_error(response: httpx.Response, status: int, code: int) -> None:
    """The JSMS error envelope with this HTTP status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


async def inbox(ctx: Context, mobile: str | None = None) -> list[InboxEntry]:
    return await sandbox_inbox(ctx.db, mobile)


def code_in(text: str) -> str:
    """The first run of 4-8 digits in a delivered text."""
    match = re.search(r"(?<!\d)(\d{4,8})(?!\d)", text)
    assert match, text
    return match.group(1)


async def rows(ctx: Context, statement: Executable) -> list[Row[Any]]:
    """Every row a query returns, read through the service's own database access."""
    return await ctx.db.read(lambda conn: list(conn.execute(statement).all()))


async def scalar(ctx: Context, statement: Executable) -> Any:
    return await ctx.db.read(lambda conn: conn.execute(statement).scalar_one())
