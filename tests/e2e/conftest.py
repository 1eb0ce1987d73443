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

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.databases import POSTGRES_URL_ENV

from .server import ServerFactory, SmsgateServer, fresh_database, running_server

__all__ = ["fresh_database", "running_server"]  # the test modules that import them from here

E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: starts real smsgate server processes (slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e, so `-m "not e2e"` leaves out the process-starting ones."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def e2e_backend(request: pytest.FixtureRequest) -> str:
    """The database backend of the module's servers; PostgreSQL runs need
    SMSGATE_TEST_POSTGRES_URL (any database the role can connect to, with CREATE DATABASE)."""
    if request.param == "postgres" and not os.environ.get(POSTGRES_URL_ENV):
        pytest.skip(
            f"PostgreSQL e2e runs need {POSTGRES_URL_ENV} (e.g. postgresql://...:5432/test)"
        )
    return str(request.param)


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
