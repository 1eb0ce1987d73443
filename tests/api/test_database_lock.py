"""Another process holding SQLite's write lock (the CLI, a backup): reads are answered at once,
writes wait for at most SMSGATE_SQLITE_LOCK_WAIT_SECONDS and then fail with 50019, writing
nothing."""

import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from smsgate.context import Context
from smsgate.db.models import Message
from tests.api.helpers import assert_error, scalar
from tests.support.tenants import Tenant


@pytest.fixture
def backend() -> str:
    return "sqlite"  # PostgreSQL has no database-wide write lock


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"sqlite_lock_wait_seconds": 0.05, "notification_limits": ""}


@pytest.fixture
def locked(ctx: Context, tenant: Tenant) -> Iterator[sqlite3.Connection]:
    other = sqlite3.connect(ctx.db.url.database or "", isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def test_reads_answer_and_writes_give_up_cleanly_while_the_database_is_locked(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, locked: sqlite3.Connection
) -> None:
    shown = await api.get(f"/v1/templates/{tenant.notify_temp}", auth=tenant.auth)
    assert shown.status_code == 200, shown.text
    body = {
        "mobile": "13800138000",
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "x", "order": "1"},
    }
    refused = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert_error(refused, 500, 50019)
    assert locked.in_transaction  # all of that while the lock was held
    locked.execute("ROLLBACK")
    assert await scalar(ctx, select(func.count()).select_from(Message)) == 0
    sent = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert sent.status_code == 200, sent.text
