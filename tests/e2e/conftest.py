"""Fixtures that run the real `smsgate serve` process, as an operator would start it.

In-process tests share one event loop and one engine with the code under test, so they cannot show
what a crash, a socket closed half-way or an official SDK speaking over TCP does. These fixtures
start `python -m smsgate serve` in its own process group on a free port with its own data
directory, wait (polling, with a deadline) until it listens and answers HTTP, and kill the whole
group afterwards, whatever the test did.

Every test here runs once per database backend: SQLite always, PostgreSQL when
SMSGATE_TEST_POSTGRES_URL names a server (each server process then gets a database of its own,
created for it and dropped afterwards).

Starting a server costs a second or two (imports, migrations), so one server is shared by the
tests of a module; tests stay independent by creating their own app and using their own numbers.
"""

import asyncio
import os
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from .server import ServerFactory, SmsgateServer, clean_environment

E2E_DIR = Path(__file__).resolve().parent
POSTGRES_URL_ENV = "SMSGATE_TEST_POSTGRES_URL"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: starts real smsgate server processes (slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e, so `-m "not e2e"` leaves out the process-starting ones."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def run_apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on a loop of its own thread: a fixture may be set up while a test's
    event loop is running in this thread."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _postgres_execute(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def e2e_backend(request: pytest.FixtureRequest) -> str:
    """The database backend of the module's servers; PostgreSQL runs need
    SMSGATE_TEST_POSTGRES_URL (any database the role can connect to, with CREATE DATABASE)."""
    if request.param == "postgres" and not os.environ.get(POSTGRES_URL_ENV):
        pytest.skip(
            f"PostgreSQL e2e runs need {POSTGRES_URL_ENV} (e.g. postgresql://...:5432/test)"
        )
    return str(request.param)


@contextmanager
def fresh_database(backend: str) -> Iterator[str | None]:
    """None for SQLite (the server keeps smsgate.db in its data dir); for PostgreSQL the URL of
    a new, uniquely named database, dropped afterwards even if a killed server left sessions."""
    if backend == "sqlite":
        yield None
        return
    admin_url = os.environ[POSTGRES_URL_ENV]
    name = f"smsgate_e2e_{uuid.uuid4().hex[:16]}"
    run_apart(_postgres_execute(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(admin_url, name)
    finally:
        run_apart(
            _postgres_execute(
                admin_url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
                f'DROP DATABASE IF EXISTS "{name}"',
            )
        )


@contextmanager
def running_server(
    data_dir: Path, backend: str, extra_env: Mapping[str, str]
) -> Iterator[SmsgateServer]:
    """A started `smsgate serve` on an empty database without the demo app; killed (the whole
    process group) and its database dropped on the way out, whatever happened inside."""
    with fresh_database(backend) as database_url:
        env = clean_environment()
        env.update(
            {
                "SMSGATE_DATA_DIR": str(data_dir),
                "SMSGATE_CREATE_DEMO": "false",
                "SMSGATE_LOG_LEVEL": "info",  # uvicorn says when it listens
            }
        )
        if database_url is not None:
            env["SMSGATE_DATABASE_URL"] = database_url
        env.update(extra_env)
        server = SmsgateServer(data_dir, env)
        try:
            server.start()
            yield server
        finally:
            server.kill()


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Extra SMSGATE_* settings for the module's server; a test module overrides this fixture."""
    return {}


@pytest.fixture(scope="module")
def smsgate_server(
    tmp_path_factory: pytest.TempPathFactory, e2e_backend: str, server_env: dict[str, str]
) -> Iterator[SmsgateServer]:
    """The module's running server: base_url, env, cli(), kill(), restart()."""
    with running_server(tmp_path_factory.mktemp("smsgate"), e2e_backend, server_env) as server:
        yield server


@pytest.fixture
def start_fresh_server(
    tmp_path_factory: pytest.TempPathFactory, e2e_backend: str
) -> Iterator[ServerFactory]:
    """Start servers of a test's own, each on a new data dir and database: for tests that need
    an untouched database or must not disturb the module's server."""
    with ExitStack() as stack:

        def start(**extra_env: str) -> SmsgateServer:
            data_dir = tmp_path_factory.mktemp("smsgate")
            return stack.enter_context(running_server(data_dir, e2e_backend, extra_env))

        yield start
