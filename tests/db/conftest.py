"""The database layer on its own: a `Database` on each backend's test database."""

from collections.abc import AsyncIterator

import pytest

from smsgate.db.engine import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()
